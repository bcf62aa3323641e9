"""Names to classes: ``@register("gopher_quality")`` on a step, ``@register("jsonl", kind="reader")`` on a reader.

Built-in components are found by importing every module under ``winnow.steps`` and ``winnow.io`` on the first
lookup, so adding a step is one class in one module; third-party packages add theirs through the
``winnow.steps`` entry-point group.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Any, Callable, TypeVar

from .errors import ConfigError

__all__ = ["register", "lookup", "names", "load_builtins"]

KINDS = ("step", "reader", "writer")
_REGISTRY: dict[str, dict[str, type]] = {k: {} for k in KINDS}
_loaded = False
T = TypeVar("T", bound=type)


def register(name: str, kind: str = "step") -> Callable[[T], T]:
    if kind not in _REGISTRY:
        raise ValueError(f"unknown registry kind {kind!r}; expected one of {KINDS}")

    def deco(cls: T) -> T:
        existing = _REGISTRY[kind].get(name)
        if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
            raise ValueError(f"{kind} {name!r} is registered twice: {existing.__module__} and {cls.__module__}")
        cls.name = name
        _REGISTRY[kind][name] = cls
        return cls

    return deco


def load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for pkg_name in ("winnow.io", "winnow.steps"):
        pkg = importlib.import_module(pkg_name)
        for mod in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
            if mod.name.rsplit(".", 1)[-1].startswith("_"):
                continue
            importlib.import_module(mod.name)
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="winnow.steps"):
            ep.load()
    except Exception as exc:  # a broken plugin must not hide the built-ins; say so instead
        import warnings

        warnings.warn(f"winnow: a plugin in entry-point group 'winnow.steps' failed to load: {exc}")


def lookup(name: str, kind: str = "step") -> type:
    load_builtins()
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY[kind], n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(f"unknown {kind} type {name!r}{hint} (known: {', '.join(sorted(_REGISTRY[kind]))})") from None


def names(kind: str = "step") -> dict[str, type]:
    load_builtins()
    return dict(sorted(_REGISTRY[kind].items()))


def all_components() -> dict[str, dict[str, Any]]:
    load_builtins()
    return {k: dict(v) for k, v in _REGISTRY.items()}

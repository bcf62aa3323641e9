"""Names to classes: ``@register("gopher_quality")`` on a step, ``@register("jsonl", kind="reader")`` on a reader.

Built-in components are found by reading the sources of the modules under ``winnow.steps`` and ``winnow.io`` for
their ``@register(...)`` lines: a lookup imports only the module that defines the name (a FineWeb pipeline imports
its five step modules, not the forty others with their models, regexes and pyarrow: ~0.3 CPU s less per process,
workers included; bench/results/e2e.md). A name not found there, ``names()`` and ``all_components()`` import every
module, so adding a step is still one class in one module; third-party packages add theirs through the
``winnow.steps`` entry-point group.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from typing import Any, Callable, TypeVar

from .errors import ConfigError

__all__ = ["register", "lookup", "names", "load_builtins"]

KINDS = ("step", "reader", "writer")
_REGISTRY: dict[str, dict[str, type]] = {k: {} for k in KINDS}
_loaded = False
_index: dict[tuple[str, str], str] | None = None
# A decorator line as the built-in modules write it; a registration in any other form is still found, by the full
# import that a lookup falls back to.
_DECORATOR = re.compile(r"""^@register\(\s*["']([^"']+)["']\s*(?:,\s*kind\s*=\s*["'](\w+)["']\s*)?\)""", re.M)
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


def _builtin_modules() -> dict[tuple[str, str], str]:
    """(kind, name) -> the built-in module whose source registers it, read once per process without importing."""
    global _index
    if _index is None:
        index: dict[tuple[str, str], str] = {}
        for pkg_name in ("winnow.io", "winnow.steps"):
            pkg = importlib.import_module(pkg_name)
            for mod_name, origin in _sources(list(pkg.__path__), pkg_name):
                try:
                    with open(origin, encoding="utf-8") as f:
                        source = f.read()
                except (OSError, TypeError):
                    continue  # not a source file (a zip, a compiled module): the full import finds it
                for name, kind in _DECORATOR.findall(source):
                    index.setdefault((kind or "step", name), mod_name)
        _index = index
    return _index


def _sources(path: list[str], prefix: str):
    """(module name, source file) of the public modules below ``path``, sub-packages included (their
    ``__init__.py``), found without importing them (``pkgutil.walk_packages`` imports every sub-package it enters,
    which would load a family's models for a lookup that does not need them)."""
    for mod in pkgutil.iter_modules(path, prefix + "."):
        if mod.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        spec = getattr(mod.module_finder, "find_spec", lambda _n: None)(mod.name)
        yield mod.name, getattr(spec, "origin", None)
        if mod.ispkg and spec is not None and spec.submodule_search_locations:
            yield from _sources(list(spec.submodule_search_locations), mod.name)


def lookup(name: str, kind: str = "step") -> type:
    cls = _REGISTRY.get(kind, {}).get(name)
    if cls is not None:
        return cls
    if not _loaded:
        module = _builtin_modules().get((kind, name))
        if module is not None:
            importlib.import_module(module)
            cls = _REGISTRY.get(kind, {}).get(name)
            if cls is not None:
                return cls
    load_builtins()
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        from .peers import peer_hint

        peer = peer_hint(name) if isinstance(name, str) else None
        if peer:  # a datatrove/Dolma/NeMo Curator name: its counterpart, not the nearest spelling
            raise ConfigError(f"unknown {kind} type {name!r}: {peer}") from None
        close = difflib.get_close_matches(name, _REGISTRY[kind], n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(f"unknown {kind} type {name!r}{hint} (known: {', '.join(sorted(_REGISTRY[kind]))})") from None


def names(kind: str = "step") -> dict[str, type]:
    load_builtins()
    return dict(sorted(_REGISTRY[kind].items()))


def all_components() -> dict[str, dict[str, Any]]:
    load_builtins()
    return {k: dict(v) for k, v in _REGISTRY.items()}

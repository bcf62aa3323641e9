"""Registry names as attributes: ``winnow.steps.gopher_quality`` is the class a pipeline file calls
``gopher_quality``, and so for ``winnow.readers`` and ``winnow.writers``. One namespace per kind, filled from the
registry on first use, so a plugin's steps appear there too."""

from __future__ import annotations

from typing import Any


def attribute(kind: str, module: dict[str, Any], name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    from .registry import _REGISTRY, load_builtins

    load_builtins()
    if name in module:  # a submodule that loading imported (winnow.steps.quality)
        return module[name]
    cls = _REGISTRY[kind].get(name)
    if cls is None:
        import difflib

        from .peers import peer_hint

        close = difflib.get_close_matches(name, _REGISTRY[kind], n=2, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        peer = peer_hint(name)
        if peer:  # steps.GopherQualityFilter: a datatrove/Dolma/NeMo Curator name
            hint = f": {peer}"
        raise AttributeError(f"no {kind} type {name!r}{hint} (known: {', '.join(sorted(_REGISTRY[kind]))})")
    return cls


def listing(kind: str, module: dict[str, Any]) -> list[str]:
    from .registry import names

    return sorted(set(module) | set(names(kind)))

"""The small model files shipped in ``winnow/data`` (coherence, line noise), read one way: absent is None (the step
falls back or does nothing), present but fitted on other features is an error naming the script that refits it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def packaged_model(folder: str, name: str, features: tuple, refit: str = "bench/",
                   check: dict[str, tuple] | None = None) -> dict[str, Any] | None:
    """The parsed JSON of ``winnow/data/<folder>/<name>``, or None when it is not installed. Its ``features`` (and
    any key of ``check``) must equal what this code computes, in order."""
    try:
        raw = resources.files("winnow").joinpath("data", folder, name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    m = json.loads(raw)
    for key, want in {"features": features, **(check or {})}.items():
        if tuple(m.get(key, ())) != tuple(want):
            raise ValueError(f"winnow/data/{folder}/{name} was fitted on other {key}; refit it ({refit})")
    return m

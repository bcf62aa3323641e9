"""Executors only schedule work: they run picklable tasks (one pass of one shard, or a piece of a corpus step's
reduce) and hand back results. Everything else (planning, resume, the ledger) lives in ``winnow.run``.

* ``inline``: in this process, in order; for tests and debugging
* ``local``:  a pool of worker processes on this machine (default: all cores)
* ``ray``:    Ray tasks on a cluster (the ``winnow[ray]`` extra, imported only when used)
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import Executor, TaskFailure
from .inline import InlineExecutor
from .local import LocalExecutor

__all__ = ["Executor", "TaskFailure", "InlineExecutor", "LocalExecutor", "make_executor", "validate_executor_spec"]

_TYPES = ("inline", "local", "ray")


def _cls(kind: str):
    if kind == "inline":
        return InlineExecutor
    if kind == "local":
        return LocalExecutor
    if kind == "ray":
        from .ray import RayExecutor  # heavy optional dependency: only when asked for

        return RayExecutor
    import difflib

    close = difflib.get_close_matches(str(kind), _TYPES, n=1)
    raise ConfigError(f"unknown executor type {kind!r}" + (f"; did you mean {close[0]!r}?" if close else "")
                      + f" (types: {', '.join(_TYPES)})")


def validate_executor_spec(spec: dict[str, Any], where: str = "executor") -> dict[str, Any]:
    import dataclasses
    import typing

    from .._components import check_type

    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}: expected a mapping with 'type' (one of {', '.join(_TYPES)})")
    kind = spec["type"]
    if kind == "ray":
        allowed = {"address", "retries", "num_cpus", "workers", "forward_env"}  # validated by RayExecutor
        unknown = set(spec) - allowed - {"type"}
        if unknown:
            raise ConfigError(f"{where}: unknown parameter(s) {sorted(unknown)} for executor ray "
                              f"(parameters: {', '.join(sorted(allowed))})")
        return dict(spec)
    try:
        cls = _cls(kind)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    out = {"type": kind}
    for k, v in spec.items():
        if k == "type":
            continue
        if k not in fields:
            import difflib

            close = difflib.get_close_matches(k, fields, n=1)
            raise ConfigError(f"{where}: unknown parameter {k!r} for executor {kind}"
                              + (f"; did you mean {close[0]!r}?" if close else "")
                              + f" (parameters: {', '.join(fields)})")
        out[k] = check_type(v, hints[k], f"{where}.{k}")
    return out


def make_executor(spec: dict[str, Any] | str | None = None, **overrides: Any) -> Executor:
    if spec is None:
        spec = {"type": "local"}
    if isinstance(spec, str):
        spec = {"type": spec}
    spec = {**spec, **{k: v for k, v in overrides.items() if v is not None}}
    kind = spec.pop("type")
    return _cls(kind)(**spec)

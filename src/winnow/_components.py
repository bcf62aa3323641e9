"""Checking a component's parameters against its typed fields, and a component back to its spec.

A leaf module (it imports only ``errors``) so that the executors, the pipeline and the config can all use it
without importing one another: the config builds executors and pipelines, so neither may import the config."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, Union

from .errors import ConfigError


_EXPECTED = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list",
             tuple: "a list", dict: "a mapping", type(None): "null"}


def _type_name(hint: Any) -> str:
    """What a value of ``hint`` is, in the words of the single-type errors and of YAML ("an integer or null", not
    Python's "int or NoneType")."""
    base = typing.get_origin(hint) or hint
    if base in _EXPECTED:
        return _EXPECTED[base]
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_type(value: Any, hint: Any, where: str) -> Any:
    """Return ``value`` (ints widened to float where a float is asked) or raise ConfigError."""
    if hint is Any or hint is typing.Any:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        errors = []
        for a in args:
            try:
                return check_type(value, a, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: expected {' or '.join(_type_name(a) for a in args)}, got "
                          f"{type(value).__name__} {value!r}")
    if origin is Literal:
        if value in args:
            return value
        close = difflib.get_close_matches(str(value), [str(a) for a in args], n=1)
        hint_s = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{where}: {value!r} is not one of {list(args)}{hint_s}")
    if hint is type(None) or hint is None:
        if value is None:
            return None
        raise ConfigError(f"{where}: expected null, got {value!r}")
    if origin in (list, tuple) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__} {value!r}")
        item = args[0] if args else Any
        out = [check_type(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if (origin is tuple or hint is tuple) else out
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
        if args:
            return {check_type(k, args[0], f"{where} key"): check_type(v, args[1], f"{where}.{k}")
                    for k, v in value.items()}
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
    if isinstance(hint, type):
        if isinstance(value, hint):
            return value
        raise ConfigError(f"{where}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def component_to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": obj.name}
    for f in dataclasses.fields(obj):
        if f.name.startswith("_") or not f.init:
            continue
        v = getattr(obj, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out

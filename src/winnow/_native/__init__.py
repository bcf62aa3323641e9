"""winnow's compiled kernels: kernels.c, built by ``make setup`` into ``_kernels.so`` here, loaded with ctypes.

Each kernel computes exactly what a pure-Python/numpy path computes (the same float operations in the same order),
so outputs never depend on whether the library is there: a machine without a C compiler, an installed wheel (the
library is not packaged) or ``WINNOW_PURE_PYTHON=1`` in the environment runs the pure path, at its speed.
tests/test_native.py compares both paths. A library that is absent, fails to load or was built from other sources
(its version number differs) is logged once at debug level and not used; nothing fails because of it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from pathlib import Path

__all__ = ["ENV", "LIB_PATH", "kernels"]

log = logging.getLogger(__name__)

ENV = "WINNOW_PURE_PYTHON"  # set to 1 (or true/yes) to use the pure-Python paths even where the library is built
LIB_PATH = Path(__file__).with_name("_kernels.so")
_VERSION = 3  # kernels.c's winnow_kernels_version(): raised there with every change to a signature

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL | None] = {}


def pure_forced() -> bool:
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _declare(lib: ctypes.CDLL) -> None:
    c = ctypes
    i64, i32, vp = c.c_int64, c.c_int, c.c_void_p
    lib.fastlid_new.restype = vp
    lib.fastlid_new.argtypes = [vp, i64, i32, i32, i32, i64, i64, vp, vp, vp, vp, i64, i64, i64]
    lib.fastlid_free.restype = None
    lib.fastlid_free.argtypes = [vp]
    lib.fastlid_cached.restype = i64
    lib.fastlid_cached.argtypes = [vp]
    lib.fastlid_hidden.restype = i32
    lib.fastlid_hidden.argtypes = [vp, c.c_char_p, i64, vp, c.POINTER(i64)]
    lib.ngram_top.restype = i64
    lib.ngram_top.argtypes = [vp, i64, i32, vp]
    lib.ngram_dup.restype = i32
    lib.ngram_dup.argtypes = [vp, i64, vp, i64, i32, i32, vp]
    lib.chunktab_new.restype = vp
    lib.chunktab_new.argtypes = [c.c_char_p, i64]
    lib.chunktab_free.restype = None
    lib.chunktab_free.argtypes = [vp]
    lib.chunktab_size.restype = i64
    lib.chunktab_size.argtypes = [vp]
    lib.chunktab_chars.restype = i64
    lib.chunktab_chars.argtypes = [vp]
    lib.chunktab_split.restype = i64
    lib.chunktab_split.argtypes = [vp, vp, i64, i64, i64, vp, vp, vp, vp, vp, vp, vp]
    lib.sent_steps.restype = None
    lib.sent_steps.argtypes = [vp, vp, vp, vp, i32, i32, vp, i64, vp]


def kernels(path: Path | None = None) -> ctypes.CDLL | None:
    """The loaded library (once per process and path), or None: forced off by ``WINNOW_PURE_PYTHON``, not built,
    or not loadable; the reason is logged once at debug level."""
    if pure_forced():
        return None
    p = str(path or LIB_PATH)
    with _lock:
        if p not in _loaded:
            lib = None
            try:
                lib = ctypes.CDLL(p)
                lib.winnow_kernels_version.restype = ctypes.c_int
                got = lib.winnow_kernels_version()
                if got != _VERSION:
                    raise OSError(f"built from other sources (version {got}, expected {_VERSION}): run `make setup`")
                _declare(lib)
            except (OSError, AttributeError) as e:
                log.debug("compiled kernels not used, the pure-Python paths run (%s): %s", p, e)
                lib = None
            _loaded[p] = lib
        return _loaded[p]

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

__all__ = ["ENV", "EXTRACT_PATH", "LIB_PATH", "extract_kernels", "kernels"]

log = logging.getLogger(__name__)

ENV = "WINNOW_PURE_PYTHON"  # set to 1 (or true/yes) to use the pure-Python paths even where the library is built
LIB_PATH = Path(__file__).with_name("_kernels.so")
_VERSION = 5  # kernels.c's winnow_kernels_version(): raised there with every change to a signature
# html_extract's kernels live in their own file and library (extract.c -> _extract.so), with their own version
EXTRACT_PATH = Path(__file__).with_name("_extract.so")
_EXTRACT_VERSION = 3  # extract.c's winnow_extract_version()

_lock = threading.Lock()
_loaded: dict[str, ctypes.CDLL | None] = {}


def _after_fork_in_child() -> None:
    # a child forked while another thread held the lock (inside kernels()) would wait on it forever
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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
    lib.dup_pieces.restype = i32
    lib.dup_pieces.argtypes = [vp, vp, i64, i32, i32, vp]
    lib.spacy_tok_new.restype = vp
    lib.spacy_tok_new.argtypes = [vp, vp, i64, c.c_char_p, i64]
    lib.spacy_tok_free.restype = None
    lib.spacy_tok_free.argtypes = [vp]
    lib.spacy_tok_chunks.restype = i64
    lib.spacy_tok_chunks.argtypes = [vp, vp, i64, vp, vp, i64, vp, vp, i64]
    lib.sent_steps.restype = None
    lib.sent_steps.argtypes = [vp, vp, vp, vp, i32, i32, vp, i64, vp]


def _load(path: str, version_fn: str, version: int, declare, what: str) -> ctypes.CDLL | None:
    """One library, loaded once per process and path: None where it is not built, not loadable or built from other
    sources (its ``version_fn()`` differs from ``version``); the reason is logged once at debug level."""
    with _lock:
        if path not in _loaded:
            lib = None
            try:
                lib = ctypes.CDLL(path)
                getattr(lib, version_fn).restype = ctypes.c_int
                got = getattr(lib, version_fn)()
                if got != version:
                    raise OSError(f"built from other sources (version {got}, expected {version}): run `make setup`")
                declare(lib)
            except (OSError, AttributeError) as e:
                log.debug("%s not used, the pure-Python paths run (%s): %s", what, path, e)
                lib = None
            _loaded[path] = lib
        return _loaded[path]


def kernels(path: Path | None = None) -> ctypes.CDLL | None:
    """The loaded library (once per process and path), or None: forced off by ``WINNOW_PURE_PYTHON``, not built,
    or not loadable; the reason is logged once at debug level."""
    if pure_forced():
        return None
    return _load(str(path or LIB_PATH), "winnow_kernels_version", _VERSION, _declare, "compiled kernels")


def _declare_extract(lib: ctypes.CDLL) -> None:
    lib.attrs_ok.restype = ctypes.c_int
    lib.attrs_ok.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_int]
    lib.blocks_parse.restype = ctypes.c_int64
    lib.blocks_parse.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                 ctypes.c_int64]
    lib.blocks_match.restype = ctypes.c_int
    lib.blocks_match.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                                 ctypes.c_int, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
    lib.py_isspace.restype = ctypes.c_int
    lib.py_isspace.argtypes = [ctypes.c_uint32]


# CPython's compact str (Include/cpython/unicodeobject.h): a header whose `state` bit field holds the kind (bytes
# per character, bits 2-4), `compact` (bit 5) and `ascii` (bit 6), then the characters; an ASCII str's header is
# shorter. The offsets are found at first use, and a str is read in place only when its own state says compact.
_KIND_SHIFT, _COMPACT, _ASCII = 2, 1 << 5, 1 << 6


def _state(s: str, at: int) -> int:
    return ctypes.c_uint8.from_address(id(s) + at).value


def _str_layout() -> tuple[int, int, int] | None:
    """(offset of `state`, bytes before an ASCII str's characters, before any other str's), found from
    ``sys.getsizeof`` and the state bits of test strings and checked by reading their characters back through their
    address; None where that does not hold (another implementation or layout: the caller then encodes)."""
    import sys

    if sys.implementation.name != "cpython":
        return None
    try:
        ascii_head = sys.getsizeof("ab") - 3
        head = sys.getsizeof("\xe9b") - 3
        samples = [("".join(map(chr, range(97, 97 + n))) * 3, 1, True) for n in (1, 5, 9)]
        samples += [(c * n + "<a b='c'>", w, False) for c, w in (("\xe9", 1), ("\u0101", 2), ("\U0001f600", 4))
                    for n in (1, 6, 11)]
        found = [k for k in range(0, ascii_head) if all(
            (_state(t, k) >> _KIND_SHIFT) & 7 == w and _state(t, k) & _COMPACT and bool(_state(t, k) & _ASCII) == asc
            for t, w, asc in samples)]
        if len(found) != 1:
            return None
        layout = (found[0], ascii_head, head)
        for t, w, _ in samples:
            view = str_units(t, layout)
            if view is None or view[1] != w or ctypes.string_at(view[0], len(t) * w) != t.encode(
                    ("latin-1", "latin-1", "utf-16-le", None, "utf-32-le")[w]):
                return None
        return layout
    except Exception:  # noqa: BLE001 - any surprise means: do not read str buffers
        return None


_LAYOUT: list = []


def str_units(s: str, layout: tuple[int, int, int] | None = None) -> tuple[int, int] | None:
    """(address of the characters, bytes per character) of an exact ``str`` in CPython's compact layout, read in
    place without a copy (for a C kernel that reads them while ``s`` is alive), or None: the caller then encodes."""
    if layout is None:
        if not _LAYOUT:
            _LAYOUT.append(_str_layout())
        layout = _LAYOUT[0]
        if layout is None:
            return None
    if type(s) is not str:  # a subclass keeps its characters elsewhere
        return None
    state = _state(s, layout[0])
    if not state & _COMPACT:
        return None
    width = (state >> _KIND_SHIFT) & 7
    if state & _ASCII:
        return (id(s) + layout[1], 1) if width == 1 else None
    return (id(s) + layout[2], width) if width in (1, 2, 4) else None


def extract_kernels(path: Path | None = None) -> ctypes.CDLL | None:
    """html_extract's library (extract.c), loaded as ``kernels`` loads its own: once per process and path, None
    where forced off, not built, not loadable or built from other sources (logged once at debug level)."""
    if pure_forced():
        return None
    return _load(str(path or EXTRACT_PATH), "winnow_extract_version", _EXTRACT_VERSION, _declare_extract,
                 "html_extract's compiled kernels")

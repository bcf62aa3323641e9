"""Text from crawled pages on a terminal. A page can carry ESC sequences (set the window title, clear the screen,
rewrite earlier lines, on some terminals even answer back), C1 controls (U+009B is a one-character CSI) and
bidirectional overrides that make text read differently from what it is. ``explain`` and ``inspect`` print
document text, ids and attribute names; everything from a document goes through ``printable`` first."""

from __future__ import annotations

__all__ = ["printable", "json_printable", "shell_arg", "shell_path"]

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _escape(cp: int) -> str:
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


# C0 controls except tab and newline (kept: the text's own layout), DEL, C1 controls, bidi controls
_TABLE = {cp: _escape(cp) for cp in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI]}
_TABLE_ONE_LINE = {**_TABLE, 0x0A: "\\n", 0x09: "\\t"}
# JSON already escapes C0 controls; C1 and bidi characters are valid raw in JSON strings, escaped they mean the same
_JSON_TABLE = {cp: f"\\u{cp:04x}" for cp in [*range(0x80, 0xA0), *_BIDI]}


def printable(s: object, one_line: bool = False) -> str:
    """``s`` with every control character shown as an escape (``\\x1b``); newlines and tabs kept unless
    ``one_line``."""
    return str(s).translate(_TABLE_ONE_LINE if one_line else _TABLE)


def json_printable(s: str) -> str:
    """Serialised JSON made safe for a terminal and still the same JSON: these characters only occur inside
    strings, where ``\\u0080`` means the character itself."""
    return s.translate(_JSON_TABLE)


def shell_path(path: object) -> str:
    """A path as a shell argument in a command shown to paste: quoted (spaces, quotes, ``&``), and a relative one
    with a leading ``-`` as ``./-run`` (pathlib drops the ``./`` the user typed, and ``winnow apply -run`` is read
    as an option)."""
    import shlex

    text = str(path)
    return shlex.quote("./" + text if text.startswith("-") else text)


def shell_arg(value: str) -> str:
    """A value as the last positional argument of a command shown to paste: quoted, and after ``--`` when it starts
    with ``-`` (an id such as ``-x1`` is read as an option)."""
    import shlex

    return ("-- " if value.startswith("-") else "") + shlex.quote(value)

"""Readers and writers. Each is registered by type name (``@register("jsonl", kind="reader")``)."""

from .base import Reader, Writer, atomic_path, open_read, open_write

__all__ = ["Reader", "Writer", "atomic_path", "open_read", "open_write"]

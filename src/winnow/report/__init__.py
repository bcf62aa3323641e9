"""The run report (filled in by the report work)."""

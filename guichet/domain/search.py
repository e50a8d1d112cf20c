"""Text search in SQL: a user's text is matched literally, whatever LIKE would make of it."""

from __future__ import annotations

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards (% and _) and the escape character escaped (use escape=ESCAPE)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern (compare with lower(column)) for values containing `text`."""
    return f"%{escape_like(text.strip().lower())}%"

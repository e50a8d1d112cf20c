"""Messages of the payments area."""

MESSAGES: dict[str, dict[str, str]] = {}

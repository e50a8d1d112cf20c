"""Messages of the access area."""

MESSAGES: dict[str, dict[str, str]] = {}

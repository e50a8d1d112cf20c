"""Messages of the schedules area."""

MESSAGES: dict[str, dict[str, str]] = {}

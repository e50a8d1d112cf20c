"""Messages of the invoices area."""

MESSAGES: dict[str, dict[str, str]] = {}

"""The one error type of the back-office feed: which record is at fault, and why."""

from __future__ import annotations


class FeedError(Exception):
    """A feed record is invalid; nothing of the feed is written.

    `path` names the record in the document (e.g. ``organisations[0].invoices[3] (F-2026-000004)``),
    `message` says what is wrong in one line. ``str(error)`` is ``"<path>: <message>"``.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

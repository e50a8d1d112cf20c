"""The back-office feed (`guichet import`): validate a JSON document, then upsert it in one transaction.

`FeedError(path, message)` is the one error type: the schedules area raises it too for its records.
"""

from guichet.domain.feed.errors import FeedError

__all__ = ["FeedError"]

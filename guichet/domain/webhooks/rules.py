"""The rules of outgoing webhooks: limits, the retry schedule, and who may read an event.

Retries back off exponentially (30 s, 1 min, 2 min, ... doubling, at most 12 h apart) for
3 days after the delivery was created; the last attempt falls at the 3-day mark, after which the
delivery is FAILED and its endpoint DISABLED.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.webhooks.events import EventType
from guichet.policies.engine import AccountScope

MAX_ENDPOINTS = 10
DESCRIPTION_MAX = 500
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=12)
RETRY_WINDOW = timedelta(days=3)
# A 2xx within this long is a success (OPERATIONS.md).
RESPONSE_TIMEOUT_SECONDS = 10.0

ENABLED, DISABLED = "ENABLED", "DISABLED"
PENDING, RETRYING, SUCCEEDED, FAILED = "PENDING", "RETRYING", "SUCCEEDED", "FAILED"
DUE_STATUSES = (PENDING, RETRYING)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s doubling, at most 12 h."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def next_attempt(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after a failure at `now`; None once the 3-day window is spent."""
    deadline = created_at + RETRY_WINDOW
    if now >= deadline:
        return None
    return min(now + retry_delay(attempts), deadline)


def may_read(scope: AccountScope, accounts: Collection[int], owner: str | None, principal: str) -> bool:
    """Whether a principal whose READ scope on the event's module is `scope` may read its subject.

    A subject of some billing accounts needs every one of them in scope; one of none (the whole
    organisation's) needs the whole organisation; an owned subject (an export) its owner alone.
    """
    if owner is not None and owner != principal:
        return False
    if scope.all_accounts:
        return True
    return bool(accounts) and all(a in scope.account_ids for a in accounts)


def check_event_types(types: Collection[str]) -> list[str]:
    """Distinct types in contract order; raise DomainError(VALIDATION) on input.eventTypes when none."""
    chosen = [t.value for t in EventType if t.value in set(types)]
    if not chosen:
        raise DomainError(ErrorCode.VALIDATION, "webhook_event_types_empty", field=["input", "eventTypes"])
    return chosen


def check_description(description: str | None) -> str | None:
    """Trimmed (None when blank); raise DomainError(VALIDATION) on input.description past 500 characters."""
    if description is None or not description.strip():
        return None
    if len(description.strip()) > DESCRIPTION_MAX:
        raise DomainError(ErrorCode.VALIDATION, "webhook_description_too_long", field=["input", "description"])
    return description.strip()

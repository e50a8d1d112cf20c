"""Every (status, event) pair of the service-request state machine, against OPERATIONS.md's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.service_requests.transitions import Event, Status, allowed, transition

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
RESOLVED_AT = NOW - timedelta(days=2)  # inside the 7-day reopen window

S, E = Status, Event
# The expected answer of every pair: a status, or the error code refusing it.
EXPECTED: dict[tuple[Status, Event], Status | ErrorCode] = {}
_INVALID = ErrorCode.INVALID_STATUS_TRANSITION
for status in Status:
    for event in Event:
        EXPECTED[(status, event)] = _INVALID
for status in (S.CLOSED, S.REJECTED, S.CANCELLED):
    EXPECTED[(status, E.CUSTOMER_COMMENT)] = ErrorCode.SERVICE_REQUEST_CLOSED
EXPECTED.update(
    {
        (S.SUBMITTED, E.SUPPORT_ACKNOWLEDGE): S.ACKNOWLEDGED,
        (S.SUBMITTED, E.SUPPORT_REJECT): S.REJECTED,
        (S.ACKNOWLEDGED, E.SUPPORT_START): S.IN_PROGRESS,
        (S.ACKNOWLEDGED, E.SUPPORT_REJECT): S.REJECTED,
        (S.IN_PROGRESS, E.SUPPORT_ASK_CUSTOMER): S.AWAITING_CUSTOMER,
        (S.IN_PROGRESS, E.SUPPORT_RESOLVE): S.RESOLVED,
        (S.AWAITING_CUSTOMER, E.SUPPORT_START): S.IN_PROGRESS,
        (S.AWAITING_CUSTOMER, E.SUPPORT_CLOSE): S.CLOSED,
        (S.RESOLVED, E.SUPPORT_CLOSE): S.CLOSED,
        (S.AWAITING_CUSTOMER, E.JOB_CLOSE_NO_RESPONSE): S.CLOSED,
        (S.RESOLVED, E.JOB_CLOSE_RESOLVED): S.CLOSED,
        (S.RESOLVED, E.CUSTOMER_CONFIRM): S.CLOSED,
        (S.RESOLVED, E.CUSTOMER_REOPEN): S.IN_PROGRESS,
        (S.SUBMITTED, E.CUSTOMER_CANCEL): S.CANCELLED,
        (S.ACKNOWLEDGED, E.CUSTOMER_CANCEL): S.CANCELLED,
        (S.IN_PROGRESS, E.CUSTOMER_CANCEL): S.CANCELLED,
        (S.AWAITING_CUSTOMER, E.CUSTOMER_CANCEL): S.CANCELLED,
        (S.SUBMITTED, E.CUSTOMER_COMMENT): S.SUBMITTED,
        (S.ACKNOWLEDGED, E.CUSTOMER_COMMENT): S.ACKNOWLEDGED,
        (S.IN_PROGRESS, E.CUSTOMER_COMMENT): S.IN_PROGRESS,
        (S.AWAITING_CUSTOMER, E.CUSTOMER_COMMENT): S.IN_PROGRESS,
        (S.RESOLVED, E.CUSTOMER_COMMENT): S.RESOLVED,
    }
)


def _outcome(status: Status, event: Event, resolved_at: datetime | None) -> Status | ErrorCode:
    try:
        return transition(status, event, now=NOW, resolved_at=resolved_at)
    except DomainError as error:
        return error.code


@pytest.mark.parametrize(("status", "event"), sorted(EXPECTED, key=str), ids=lambda v: str(v))
def test_every_status_and_event_pair_follows_the_table(status: Status, event: Event) -> None:
    assert _outcome(status, event, RESOLVED_AT) == EXPECTED[(status, event)]


def test_the_table_covers_every_pair() -> None:
    assert len(EXPECTED) == len(Status) * len(Event)


def test_reopening_at_the_deadline_is_refused_with_reopen_window_expired() -> None:
    just_inside = NOW - timedelta(days=7) + timedelta(seconds=1)
    at_deadline = NOW - timedelta(days=7)

    assert _outcome(S.RESOLVED, E.CUSTOMER_REOPEN, just_inside) == S.IN_PROGRESS
    assert _outcome(S.RESOLVED, E.CUSTOMER_REOPEN, at_deadline) == ErrorCode.REOPEN_WINDOW_EXPIRED


def test_final_statuses_accept_no_event_at_all() -> None:
    for status in (S.CLOSED, S.REJECTED, S.CANCELLED):
        assert [e for e in Event if allowed(status, e, now=NOW, resolved_at=RESOLVED_AT)] == []

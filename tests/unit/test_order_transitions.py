"""The order state machine, pair by pair: every (status, event) either moves to the one status
OPERATIONS.md's table names or is refused with the error its caller answers."""

from __future__ import annotations

import pytest

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.shop.transitions import TABLE, Event, Status, allowed, initial_status, transition

S, E = Status, Event

# The table of OPERATIONS.md ("Orders"), written out: (from, event) -> to.
EXPECTED: dict[tuple[Status, Event], Status] = {
    (S.PENDING_APPROVAL, E.APPROVE): S.AWAITING_PAYMENT,
    (S.PENDING_APPROVAL, E.APPROVE_NOTHING_TO_PAY): S.ACKNOWLEDGED,
    (S.PENDING_APPROVAL, E.REJECT): S.REJECTED,
    (S.PENDING_APPROVAL, E.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, E.APPROVAL_TIMEOUT): S.CANCELLED,
    (S.AWAITING_PAYMENT, E.PAYMENT_RECEIVED): S.ACKNOWLEDGED,
    (S.AWAITING_PAYMENT, E.CANCEL): S.CANCELLED,
    (S.AWAITING_PAYMENT, E.PAYMENT_EXPIRED): S.CANCELLED,
    (S.ACKNOWLEDGED, E.BACK_OFFICE_START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, E.BACK_OFFICE_REJECT): S.REJECTED,
    (S.ACKNOWLEDGED, E.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, E.BACK_OFFICE_HOLD): S.HELD,
    (S.IN_PROGRESS, E.BACK_OFFICE_COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, E.BACK_OFFICE_FAIL): S.FAILED,
    (S.IN_PROGRESS, E.CANCEL): S.CANCELLATION_REQUESTED,
    (S.HELD, E.BACK_OFFICE_START): S.IN_PROGRESS,
    (S.HELD, E.BACK_OFFICE_CANCEL): S.CANCELLED,
    (S.CANCELLATION_REQUESTED, E.BACK_OFFICE_CANCEL): S.CANCELLED,
    (S.CANCELLATION_REQUESTED, E.BACK_OFFICE_START): S.IN_PROGRESS,
}

REFUSAL = {
    E.CANCEL: ErrorCode.ORDER_NOT_CANCELLABLE,
    E.APPROVE: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
    E.APPROVE_NOTHING_TO_PAY: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
    E.REJECT: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
}

PAIRS = [(status, event) for status in Status for event in Event]


@pytest.mark.parametrize(("status", "event"), PAIRS, ids=[f"{s.value}-{e.value}" for s, e in PAIRS])
def test_every_pair(status: Status, event: Event) -> None:
    target = EXPECTED.get((status, event))
    if target is not None:
        assert transition(status, event) is target
        assert allowed(status, event) is True
        return
    with pytest.raises(DomainError) as refused:
        transition(status, event)
    assert refused.value.code is REFUSAL.get(event, ErrorCode.INVALID_STATUS_TRANSITION)
    assert refused.value.field == ["input", "orderId"]
    assert allowed(status, event) is False


def test_the_table_holds_exactly_the_documented_pairs() -> None:
    assert TABLE == EXPECTED


def test_final_statuses_accept_no_event() -> None:
    for status in (S.COMPLETED, S.CANCELLED, S.REJECTED, S.FAILED):
        assert [e for e in Event if allowed(status, e)] == []


@pytest.mark.parametrize(
    ("needs_approval", "to_pay", "expected"),
    [
        (True, True, S.PENDING_APPROVAL),
        (True, False, S.PENDING_APPROVAL),
        (False, True, S.AWAITING_PAYMENT),
        (False, False, S.ACKNOWLEDGED),
    ],
)
def test_checkout_starts_by_policy_then_terms(needs_approval: bool, to_pay: bool, expected: Status) -> None:
    assert initial_status(needs_approval=needs_approval, to_pay=to_pay) is expected

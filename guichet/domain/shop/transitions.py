"""The one state machine of orders (OPERATIONS.md's transition table, TMF622 trimmed, approval added).

Checkout, approveOrder / rejectOrder / cancelOrder, the payment's settlement, the back-office
webhook and the expire-carts job all ask `initial_status` or `transition` what an order becomes;
nothing else decides a status. It is pure: the services apply its answer in their unit of work.
"""

from __future__ import annotations

from enum import StrEnum

from guichet.domain.errors import DomainError, ErrorCode


class Status(StrEnum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    HELD = "HELD"
    COMPLETED = "COMPLETED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class Event(StrEnum):
    # The customer (mutations).
    APPROVE = "approve"  # approveOrder, with something left to pay
    APPROVE_NOTHING_TO_PAY = "approve_nothing_to_pay"  # approveOrder of an ON_ACCOUNT order
    REJECT = "reject"  # rejectOrder
    CANCEL = "cancel"  # cancelOrder
    # The payment machinery and the job.
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_EXPIRED = "payment_expired"
    APPROVAL_TIMEOUT = "approval_timeout"
    # The back office (webhook): one event per status it may send.
    BACK_OFFICE_START = "back_office_start"
    BACK_OFFICE_HOLD = "back_office_hold"
    BACK_OFFICE_COMPLETE = "back_office_complete"
    BACK_OFFICE_FAIL = "back_office_fail"
    BACK_OFFICE_CANCEL = "back_office_cancel"
    BACK_OFFICE_REJECT = "back_office_reject"


FINAL = frozenset({Status.COMPLETED, Status.CANCELLED, Status.REJECTED, Status.FAILED})

# The statuses of the webhook body, as events.
BACK_OFFICE_EVENTS: dict[Status, Event] = {
    Status.IN_PROGRESS: Event.BACK_OFFICE_START,
    Status.HELD: Event.BACK_OFFICE_HOLD,
    Status.COMPLETED: Event.BACK_OFFICE_COMPLETE,
    Status.FAILED: Event.BACK_OFFICE_FAIL,
    Status.CANCELLED: Event.BACK_OFFICE_CANCEL,
    Status.REJECTED: Event.BACK_OFFICE_REJECT,
}

# (from, event) -> to. Anything else is refused.
TABLE: dict[tuple[Status, Event], Status] = {
    (Status.PENDING_APPROVAL, Event.APPROVE): Status.AWAITING_PAYMENT,
    (Status.PENDING_APPROVAL, Event.APPROVE_NOTHING_TO_PAY): Status.ACKNOWLEDGED,
    (Status.PENDING_APPROVAL, Event.REJECT): Status.REJECTED,
    (Status.PENDING_APPROVAL, Event.CANCEL): Status.CANCELLED,
    (Status.PENDING_APPROVAL, Event.APPROVAL_TIMEOUT): Status.CANCELLED,
    (Status.AWAITING_PAYMENT, Event.PAYMENT_RECEIVED): Status.ACKNOWLEDGED,
    (Status.AWAITING_PAYMENT, Event.CANCEL): Status.CANCELLED,
    (Status.AWAITING_PAYMENT, Event.PAYMENT_EXPIRED): Status.CANCELLED,
    (Status.ACKNOWLEDGED, Event.BACK_OFFICE_START): Status.IN_PROGRESS,
    (Status.ACKNOWLEDGED, Event.BACK_OFFICE_REJECT): Status.REJECTED,
    (Status.ACKNOWLEDGED, Event.CANCEL): Status.CANCELLED,
    (Status.IN_PROGRESS, Event.BACK_OFFICE_HOLD): Status.HELD,
    (Status.IN_PROGRESS, Event.BACK_OFFICE_COMPLETE): Status.COMPLETED,
    (Status.IN_PROGRESS, Event.BACK_OFFICE_FAIL): Status.FAILED,
    (Status.IN_PROGRESS, Event.CANCEL): Status.CANCELLATION_REQUESTED,
    (Status.HELD, Event.BACK_OFFICE_START): Status.IN_PROGRESS,
    (Status.HELD, Event.BACK_OFFICE_CANCEL): Status.CANCELLED,
    (Status.CANCELLATION_REQUESTED, Event.BACK_OFFICE_CANCEL): Status.CANCELLED,
    (Status.CANCELLATION_REQUESTED, Event.BACK_OFFICE_START): Status.IN_PROGRESS,
}

# The refusal a mutation's event answers with; the webhook and jobs answer INVALID_STATUS_TRANSITION.
_REFUSAL: dict[Event, ErrorCode] = {
    Event.CANCEL: ErrorCode.ORDER_NOT_CANCELLABLE,
    Event.APPROVE: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
    Event.APPROVE_NOTHING_TO_PAY: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
    Event.REJECT: ErrorCode.ORDER_NOT_PENDING_APPROVAL,
}


def initial_status(*, needs_approval: bool, to_pay: bool) -> Status:
    """Where a checked-out order starts: waiting for an approver, for a payment, or acknowledged."""
    if needs_approval:
        return Status.PENDING_APPROVAL
    if to_pay:
        return Status.AWAITING_PAYMENT
    return Status.ACKNOWLEDGED


def transition(status: Status, event: Event) -> Status:
    """The status `event` moves an order in `status` to.

    Raise DomainError(ORDER_NOT_CANCELLABLE) for a cancellation, DomainError(ORDER_NOT_PENDING_APPROVAL)
    for a decision, and DomainError(INVALID_STATUS_TRANSITION) for any other event, when the
    table does not hold the pair.
    """
    target = TABLE.get((status, event))
    if target is None:
        code = _REFUSAL.get(event)
        if code is None:
            raise DomainError(
                ErrorCode.INVALID_STATUS_TRANSITION,
                "order_invalid_status_transition",
                field=["input", "orderId"],
                params={"status": status.value},
            )
        raise DomainError(code, field=["input", "orderId"], params={"status": status.value})
    return target


def allowed(status: Status, event: Event) -> bool:
    """Whether `transition` would accept the event (the `can…` flags the portal shows)."""
    return (status, event) in TABLE

"""The one state machine of service requests (OPERATIONS.md's transition table, TMF621 trimmed).

Customer mutations, the back-office webhook and the close-service-requests job all ask
`transition` what a request becomes; nothing else decides a status. It is pure: the services
apply its answer inside their unit of work.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from guichet.domain.errors import DomainError, ErrorCode


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class Event(StrEnum):
    # The customer (mutations).
    CUSTOMER_COMMENT = "CUSTOMER_COMMENT"
    CUSTOMER_CANCEL = "CUSTOMER_CANCEL"
    CUSTOMER_CONFIRM = "CUSTOMER_CONFIRM"
    CUSTOMER_REOPEN = "CUSTOMER_REOPEN"
    # The back office (webhook): one event per status it may send.
    SUPPORT_ACKNOWLEDGE = "SUPPORT_ACKNOWLEDGE"
    SUPPORT_REJECT = "SUPPORT_REJECT"
    SUPPORT_START = "SUPPORT_START"
    SUPPORT_ASK_CUSTOMER = "SUPPORT_ASK_CUSTOMER"
    SUPPORT_RESOLVE = "SUPPORT_RESOLVE"
    SUPPORT_CLOSE = "SUPPORT_CLOSE"
    # The job.
    JOB_CLOSE_RESOLVED = "JOB_CLOSE_RESOLVED"
    JOB_CLOSE_NO_RESPONSE = "JOB_CLOSE_NO_RESPONSE"


TERMINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})
REOPEN_WINDOW = timedelta(days=7)
RESOLVED_CLOSE_AFTER = timedelta(days=7)
AWAITING_CLOSE_AFTER = timedelta(days=14)
NO_RESPONSE_CODE = "no_response"

# The back-office statuses of the webhook body, as events.
SUPPORT_EVENTS: dict[Status, Event] = {
    Status.ACKNOWLEDGED: Event.SUPPORT_ACKNOWLEDGE,
    Status.REJECTED: Event.SUPPORT_REJECT,
    Status.IN_PROGRESS: Event.SUPPORT_START,
    Status.AWAITING_CUSTOMER: Event.SUPPORT_ASK_CUSTOMER,
    Status.RESOLVED: Event.SUPPORT_RESOLVE,
    Status.CLOSED: Event.SUPPORT_CLOSE,
}

_OPEN = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)

# (from, event) -> to. A customer comment keeps the status except while AWAITING_CUSTOMER.
TABLE: dict[tuple[Status, Event], Status] = {
    (Status.SUBMITTED, Event.SUPPORT_ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.SUBMITTED, Event.SUPPORT_REJECT): Status.REJECTED,
    (Status.ACKNOWLEDGED, Event.SUPPORT_START): Status.IN_PROGRESS,
    (Status.ACKNOWLEDGED, Event.SUPPORT_REJECT): Status.REJECTED,
    (Status.IN_PROGRESS, Event.SUPPORT_ASK_CUSTOMER): Status.AWAITING_CUSTOMER,
    (Status.IN_PROGRESS, Event.SUPPORT_RESOLVE): Status.RESOLVED,
    (Status.AWAITING_CUSTOMER, Event.SUPPORT_START): Status.IN_PROGRESS,
    (Status.AWAITING_CUSTOMER, Event.SUPPORT_CLOSE): Status.CLOSED,
    (Status.RESOLVED, Event.SUPPORT_CLOSE): Status.CLOSED,
    (Status.AWAITING_CUSTOMER, Event.JOB_CLOSE_NO_RESPONSE): Status.CLOSED,
    (Status.RESOLVED, Event.JOB_CLOSE_RESOLVED): Status.CLOSED,
    (Status.RESOLVED, Event.CUSTOMER_CONFIRM): Status.CLOSED,
    (Status.RESOLVED, Event.CUSTOMER_REOPEN): Status.IN_PROGRESS,
    **{(s, Event.CUSTOMER_CANCEL): Status.CANCELLED for s in _OPEN},
    **{(s, Event.CUSTOMER_COMMENT): s for s in (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)},
    (Status.AWAITING_CUSTOMER, Event.CUSTOMER_COMMENT): Status.IN_PROGRESS,
    (Status.RESOLVED, Event.CUSTOMER_COMMENT): Status.RESOLVED,
}


def reopen_deadline(resolved_at: datetime | None) -> datetime | None:
    """The last moment a RESOLVED request may be reopened (7 days after its resolution)."""
    return resolved_at + REOPEN_WINDOW if resolved_at is not None else None


def transition(status: Status, event: Event, *, now: datetime, resolved_at: datetime | None = None) -> Status:
    """The status `event` moves a request in `status` to.

    Raise DomainError(SERVICE_REQUEST_CLOSED) for a customer comment on a final request,
    DomainError(REOPEN_WINDOW_EXPIRED) for a reopening at or after the reopen deadline, and
    DomainError(INVALID_STATUS_TRANSITION) for any other pair the table does not hold.
    """
    target = TABLE.get((status, event))
    if target is None:
        if event is Event.CUSTOMER_COMMENT and status in TERMINAL:
            raise DomainError(ErrorCode.SERVICE_REQUEST_CLOSED, field=["input", "serviceRequestId"])
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            field=["input", "serviceRequestId"],
            params={"status": status.value},
        )
    if event is Event.CUSTOMER_REOPEN:
        deadline = reopen_deadline(resolved_at)
        if deadline is None or now >= deadline:
            raise DomainError(ErrorCode.REOPEN_WINDOW_EXPIRED, field=["input", "serviceRequestId"])
    return target


def allowed(status: Status, event: Event, *, now: datetime, resolved_at: datetime | None = None) -> bool:
    """Whether `transition` would accept the event now (the `can…` flags the portal shows)."""
    try:
        transition(status, event, now=now, resolved_at=resolved_at)
    except DomainError:
        return False
    return True

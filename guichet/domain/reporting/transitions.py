"""The export job's state machine: every transition in one table, used by mutations and the worker.

    CREATED  --claim-->  RUNNING  --complete--> COMPLETED --expire--> EXPIRED (7 days later)
    RUNNING  --claim-->  RUNNING (a lease that ran out: another worker resumes it)
    RUNNING  --fail-->   FAILED
    CREATED, RUNNING --cancel--> CANCELED

COMPLETED is read as EXPIRED once its link lapsed (effective_status); FAILED, CANCELED and
EXPIRED are final.
"""

from __future__ import annotations

from datetime import datetime

from guichet.domain.errors import DomainError, ErrorCode

CREATED, RUNNING, COMPLETED, FAILED, CANCELED, EXPIRED = (
    "CREATED",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELED",
    "EXPIRED",
)
STATUSES = (CREATED, RUNNING, COMPLETED, FAILED, CANCELED, EXPIRED)
ACTIVE = (CREATED, RUNNING)

TRANSITIONS: dict[tuple[str, str], str] = {
    (CREATED, "claim"): RUNNING,
    (RUNNING, "claim"): RUNNING,
    (RUNNING, "complete"): COMPLETED,
    (RUNNING, "fail"): FAILED,
    (CREATED, "cancel"): CANCELED,
    (RUNNING, "cancel"): CANCELED,
    (COMPLETED, "expire"): EXPIRED,
}
EVENTS = ("claim", "complete", "fail", "cancel", "expire")


def next_status(status: str, event: str) -> str:
    """The status after `event`; raise DomainError(EXPORT_NOT_CANCELLABLE) for a cancel that
    cannot be, DomainError(INVALID_STATUS_TRANSITION) for any other impossible event."""
    found = TRANSITIONS.get((status, event))
    if found is None:
        if event == "cancel":
            raise DomainError(ErrorCode.EXPORT_NOT_CANCELLABLE, field=["input", "exportId"])
        raise DomainError(ErrorCode.INVALID_STATUS_TRANSITION)
    return found


def effective_status(status: str, url_expires_at: datetime | None, now: datetime) -> str:
    """What a reader sees: a COMPLETED export whose link lapsed is EXPIRED."""
    if status == COMPLETED and url_expires_at is not None and url_expires_at <= now:
        return next_status(status, "expire")
    return status

"""The SLA clock shown to the customer: due dates, breach flags, and the pause while AWAITING_CUSTOMER.

Due dates are createdAt plus the category's hours (clock hours, fixed when the request is
created), pushed back by the time spent waiting for the customer. A paused clock does not run:
while AWAITING_CUSTOMER a breach is judged at the moment the pause began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from guichet.domain.models.service_requests import ServiceRequest
from guichet.domain.service_requests.transitions import Status


@dataclass(frozen=True)
class Sla:
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    responded_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    paused: bool


def compute(
    *,
    created_at: datetime,
    response_hours: int | None,
    resolution_hours: int | None,
    responded_at: datetime | None,
    resolved_at: datetime | None,
    paused_seconds: int,
    paused_since: datetime | None,
    now: datetime,
) -> Sla:
    """The SLA of a request as of `now` (paused_since set: the clock is stopped since then)."""
    paused = paused_since is not None
    pause = timedelta(seconds=paused_seconds)
    # A stopped clock reads the moment it stopped: resolution, or the start of the current pause.
    clock = resolved_at or paused_since or now
    response_due = created_at + timedelta(hours=response_hours) if response_hours is not None else None
    resolution_due = None
    resolution_breached = False
    if resolution_hours is not None:
        base_due = created_at + timedelta(hours=resolution_hours) + pause
        resolution_breached = clock > base_due
        # Shown while paused: the due date moves with the pause.
        resolution_due = base_due + (
            now - paused_since if paused_since is not None and resolved_at is None else timedelta(0)
        )
    response_breached = response_due is not None and (responded_at or clock) > response_due
    return Sla(response_due, resolution_due, responded_at, response_breached, resolution_breached, paused)


def of(request: ServiceRequest, now: datetime) -> Sla:
    """The SLA of a stored request; the clock stops for good once it is resolved or final."""
    stopped = request.resolved_at or request.closed_at
    return compute(
        created_at=request.created_at,
        response_hours=request.response_hours,
        resolution_hours=request.resolution_hours,
        responded_at=request.responded_at,
        resolved_at=stopped,
        paused_seconds=request.paused_seconds,
        paused_since=request.paused_since,
        now=now,
    )


def pause_change(
    *, before: Status, after: Status, paused_seconds: int, paused_since: datetime | None, now: datetime
) -> tuple[int, datetime | None]:
    """The pause columns after a move from `before` to `after` (entering or leaving AWAITING_CUSTOMER)."""
    if after is Status.AWAITING_CUSTOMER and before is not Status.AWAITING_CUSTOMER:
        return paused_seconds, now
    if before is Status.AWAITING_CUSTOMER and after is not Status.AWAITING_CUSTOMER and paused_since is not None:
        return paused_seconds + int((now - paused_since).total_seconds()), None
    return paused_seconds, paused_since

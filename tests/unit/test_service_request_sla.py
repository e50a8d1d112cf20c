"""SLA due dates from createdAt + category hours, breach flags, and the pause while AWAITING_CUSTOMER."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guichet.domain.service_requests import sla
from guichet.domain.service_requests.transitions import Status

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _sla(now: datetime, **kw: object) -> sla.Sla:
    values: dict[str, object] = {
        "created_at": CREATED,
        "response_hours": 4,
        "resolution_hours": 24,
        "responded_at": None,
        "resolved_at": None,
        "paused_seconds": 0,
        "paused_since": None,
        "now": now,
    }
    values.update(kw)
    return sla.compute(**values)  # type: ignore[arg-type]


def test_due_dates_are_created_at_plus_the_category_hours() -> None:
    result = _sla(CREATED + H)

    assert (result.response_due_at, result.resolution_due_at) == (CREATED + 4 * H, CREATED + 24 * H)
    assert (result.response_breached, result.resolution_breached, result.paused) == (False, False, False)


def test_no_answer_after_the_response_hours_is_a_response_breach() -> None:
    assert _sla(CREATED + 5 * H).response_breached is True
    assert _sla(CREATED + 5 * H, responded_at=CREATED + 3 * H).response_breached is False


def test_a_late_resolution_stays_breached_and_an_early_one_never_breaches() -> None:
    late = _sla(CREATED + 100 * H, responded_at=CREATED + H, resolved_at=CREATED + 30 * H)
    early = _sla(CREATED + 100 * H, responded_at=CREATED + H, resolved_at=CREATED + 20 * H)

    assert (late.resolution_breached, early.resolution_breached) == (True, False)


def test_the_clock_stops_while_awaiting_the_customer() -> None:
    # Paused 10 hours after creation; 20 hours later (past 24 h) it is still not breached.
    result = _sla(CREATED + 30 * H, responded_at=CREATED + H, paused_since=CREATED + 10 * H)

    assert result.paused is True
    assert result.resolution_breached is False
    assert result.resolution_due_at == CREATED + 24 * H + 20 * H


def test_time_spent_paused_pushes_the_resolution_due_date_back() -> None:
    result = _sla(CREATED + 30 * H, responded_at=CREATED + H, paused_seconds=10 * 3600)

    assert result.resolution_due_at == CREATED + 34 * H
    assert result.resolution_breached is False


def test_entering_and_leaving_awaiting_customer_accumulates_the_pause() -> None:
    entered = sla.pause_change(
        before=Status.IN_PROGRESS, after=Status.AWAITING_CUSTOMER, paused_seconds=60, paused_since=None, now=CREATED
    )
    left = sla.pause_change(
        before=Status.AWAITING_CUSTOMER,
        after=Status.IN_PROGRESS,
        paused_seconds=entered[0],
        paused_since=entered[1],
        now=CREATED + 2 * H,
    )

    assert entered == (60, CREATED)
    assert left == (60 + 7200, None)


def test_a_category_without_hours_has_no_due_date_and_never_breaches() -> None:
    result = _sla(CREATED + 1000 * H, response_hours=None, resolution_hours=None)

    assert (result.response_due_at, result.resolution_due_at) == (None, None)
    assert (result.response_breached, result.resolution_breached) == (False, False)

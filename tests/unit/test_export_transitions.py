"""The export job's state machine, every (status, event) pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.reporting import transitions as t

ALLOWED = {
    ("CREATED", "claim"): "RUNNING",
    ("RUNNING", "claim"): "RUNNING",
    ("RUNNING", "complete"): "COMPLETED",
    ("RUNNING", "fail"): "FAILED",
    ("CREATED", "cancel"): "CANCELED",
    ("RUNNING", "cancel"): "CANCELED",
    ("COMPLETED", "expire"): "EXPIRED",
}


@pytest.mark.parametrize("status", t.STATUSES)
@pytest.mark.parametrize("event", t.EVENTS)
def test_every_status_and_event(status: str, event: str) -> None:
    if (status, event) in ALLOWED:
        assert t.next_status(status, event) == ALLOWED[(status, event)]
        return
    with pytest.raises(DomainError) as refused:
        t.next_status(status, event)
    expected = ErrorCode.EXPORT_NOT_CANCELLABLE if event == "cancel" else ErrorCode.INVALID_STATUS_TRANSITION
    assert refused.value.code is expected


def test_a_completed_export_reads_expired_once_its_link_lapsed() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert t.effective_status("COMPLETED", now + timedelta(seconds=1), now) == "COMPLETED"
    assert t.effective_status("COMPLETED", now, now) == "EXPIRED"
    assert t.effective_status("CANCELED", now - timedelta(days=1), now) == "CANCELED"

"""INVOICE_OVERDUE: recorded once for each invoice that became overdue (past due and unpaid).

Overdue is not a stored transition but a date passing (status.py), so the webhook loop asks
this once an hour: every invoice OVERDUE today whose due date is at most LOOKBACK ago and that
has no INVOICE_OVERDUE event yet gets one. The look-back stays well inside the events' 30 days,
so a purged event is never recorded again; a deployment stopped longer than that misses those
invoices' events. On PostgreSQL an advisory lock makes two processes record each invoice once;
on SQLite the second writer's stale snapshot fails its transaction, retried at the next pass.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.invoices.status import OVERDUE, status_condition
from guichet.domain.models import Invoice
from guichet.domain.models.webhooks import Event
from guichet.domain.webhooks.events import EventType, record_events

LOOKBACK = timedelta(days=7)
LOCK_KEY = 0x4775696368657401  # "Guichet" + 1: one advisory lock for this job
LIMIT = 5000


async def record_overdue(session: AsyncSession, *, today: date, now: datetime) -> int:
    """Record INVOICE_OVERDUE for invoices newly overdue on `today`; answer how many. The caller commits."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    already = exists().where(Event.type == EventType.INVOICE_OVERDUE.value, Event.subject_pk == Invoice.id)
    rows = (
        await session.execute(
            select(Invoice.id, Invoice.organisation_id, Invoice.billing_account_id)
            .where(status_condition(OVERDUE, today), Invoice.due_date >= today - LOOKBACK, ~already)
            .order_by(Invoice.organisation_id, Invoice.id)
            .limit(LIMIT)
        )
    ).all()
    by_organisation: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
    for invoice_id, organisation_id, account_id in rows:
        by_organisation[organisation_id].append((invoice_id, [account_id]))
    for organisation_id, subjects in by_organisation.items():
        await record_events(
            session, type=EventType.INVOICE_OVERDUE, organisation_id=organisation_id, subjects=subjects, now=now
        )
    return len(rows)

"""record_event: the one call an area makes, inside its own transaction, to report a change.

The event row is the delivery outbox (models/webhooks.py): it commits or rolls back with the
change, and the delivery loop fans it out to the endpoints later, so recording never blocks a
request and a crash after commit loses nothing.

Which permission reads a subject is fixed here, per event type (SUBJECT_ACCESS); the delivery
loop and the `events` list ask Casbin that same question for the endpoint's key or the reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.webhooks import Event, EventAccount
from guichet.policies.rules import Action, Module

# `events` answers this far back; the delivery loop purges what is older.
RETENTION = timedelta(days=30)
# Subjects per statement of record_events.
CHUNK = 500


class EventType(StrEnum):
    """The contract's WebhookEventType."""

    INVOICE_ISSUED = "INVOICE_ISSUED"
    INVOICE_OVERDUE = "INVOICE_OVERDUE"
    INVOICE_PAID = "INVOICE_PAID"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    INSTALLMENT_UNPAID = "INSTALLMENT_UNPAID"
    PENDING_PAYMENT_CREATED = "PENDING_PAYMENT_CREATED"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    SERVICE_REQUEST_STATUS_CHANGED = "SERVICE_REQUEST_STATUS_CHANGED"
    EXPORT_COMPLETED = "EXPORT_COMPLETED"


# Event type -> (subject node type, the module and action that read it).
SUBJECT_ACCESS: dict[EventType, tuple[str, Module, Action]] = {
    EventType.INVOICE_ISSUED: ("Invoice", Module.INVOICES, Action.READ),
    EventType.INVOICE_OVERDUE: ("Invoice", Module.INVOICES, Action.READ),
    EventType.INVOICE_PAID: ("Invoice", Module.INVOICES, Action.READ),
    EventType.PAYMENT_SUCCEEDED: ("Payment", Module.PAYMENTS, Action.READ),
    EventType.PAYMENT_FAILED: ("Payment", Module.PAYMENTS, Action.READ),
    EventType.INSTALLMENT_UNPAID: ("Schedule", Module.SCHEDULES, Action.READ),
    EventType.PENDING_PAYMENT_CREATED: ("PendingPayment", Module.INVOICES, Action.READ),
    EventType.ORDER_STATUS_CHANGED: ("Order", Module.ORDERS, Action.READ),
    EventType.SERVICE_REQUEST_STATUS_CHANGED: ("ServiceRequest", Module.SERVICE_REQUESTS, Action.READ),
    # An export is its principal's alone (owner), who needed REPORTS EXPORT to see it.
    EventType.EXPORT_COMPLETED: ("ExportJob", Module.REPORTS, Action.EXPORT),
}


async def record_event(
    session: AsyncSession,
    *,
    type: EventType | str,
    organisation_id: int,
    subject_pk: int,
    billing_account_ids: Iterable[int] = (),
    now: datetime,
    owner_principal: str | None = None,
) -> int:
    """Write one event (delivered after commit) and answer its id; the caller's transaction owns it.

    `billing_account_ids`: the accounts the subject belongs to (none: the whole organisation's,
    readable only over the whole organisation). `owner_principal` ("api_key:<id>",
    "contact:<id>") when only that principal may read the subject (exports).
    Raise KeyError for a type outside WebhookEventType.
    """
    kind = EventType(type)
    subject_type, module, action = SUBJECT_ACCESS[kind]
    event_id = (
        await session.execute(
            insert(Event)
            .values(
                organisation_id=organisation_id,
                type=kind.value,
                subject_type=subject_type,
                subject_pk=subject_pk,
                module=module.value,
                action=action.value,
                owner_principal=owner_principal,
                is_test=False,
                created_at=now,
                fanned_out_at=None,
            )
            .returning(Event.id)
        )
    ).scalar_one()
    accounts = sorted(set(billing_account_ids))
    if accounts:
        await session.execute(insert(EventAccount), [{"event_id": event_id, "billing_account_id": a} for a in accounts])
    return int(event_id)


async def record_events(
    session: AsyncSession,
    *,
    type: EventType | str,
    organisation_id: int,
    subjects: Sequence[tuple[int, Iterable[int]]],
    now: datetime,
) -> None:
    """record_event for many subjects of one type at once ((subject pk, its billing accounts) each):
    a few statements per 500 subjects rather than two per subject (the feed's import of invoices)."""
    kind = EventType(type)
    subject_type, module, action = SUBJECT_ACCESS[kind]
    for start in range(0, len(subjects), CHUNK):
        chunk = list(subjects[start : start + CHUNK])
        await session.execute(
            insert(Event),
            [
                {
                    "organisation_id": organisation_id,
                    "type": kind.value,
                    "subject_type": subject_type,
                    "subject_pk": pk,
                    "module": module.value,
                    "action": action.value,
                    "owner_principal": None,
                    "is_test": False,
                    "created_at": now,
                    "fanned_out_at": None,
                }
                for pk, _accounts in chunk
            ],
        )
        ids = dict(
            (
                await session.execute(
                    select(Event.subject_pk, Event.id).where(
                        Event.organisation_id == organisation_id,
                        Event.type == kind.value,
                        Event.fanned_out_at.is_(None),
                        Event.subject_pk.in_([pk for pk, _ in chunk]),
                    )
                )
            ).all()
        )
        rows = [{"event_id": ids[pk], "billing_account_id": a} for pk, accounts in chunk for a in sorted(set(accounts))]
        if rows:
            await session.execute(insert(EventAccount), rows)


async def purge_old_events(session: AsyncSession, *, now: datetime) -> int:
    """Delete events (and their deliveries) older than RETENTION; answer how many."""
    result = await session.execute(
        delete(Event).where(Event.created_at < now - RETENTION).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""Apply a status the state machine decided: the guarded UPDATE, the history entry, the buyer's
e-mail and the audit event, inside the caller's unit of work (never commits).

Shared by every path that moves an order (mutations, the payment's settlement, the webhook and
the job), so each move looks the same whoever made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.shop import Order, OrderStatusChange
from guichet.domain.shop.transitions import FINAL, Status
from guichet.domain.webhooks import events as webhook_events

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "PENDING_APPROVAL": ("En attente d'approbation", "Waiting for approval"),
    "AWAITING_PAYMENT": ("En attente de paiement", "Awaiting payment"),
    "ACKNOWLEDGED": ("Prise en compte", "Acknowledged"),
    "IN_PROGRESS": ("En cours de traitement", "In progress"),
    "HELD": ("Suspendue", "On hold"),
    "COMPLETED": ("Terminée", "Completed"),
    "CANCELLATION_REQUESTED": ("Annulation demandée", "Cancellation requested"),
    "CANCELLED": ("Annulée", "Cancelled"),
    "REJECTED": ("Rejetée", "Rejected"),
    "FAILED": ("En échec", "Failed"),
}


@dataclass(frozen=True)
class Change:
    """What a subscriber reloads after commit (guichet.events)."""

    kind: str
    id: int
    organisation_id: int


def change_of(order: Order) -> list[Change]:
    return [Change("order", order.id, order.organisation_id)]


async def contact_email(session: AsyncSession, contact_id: int | None) -> str | None:
    """The e-mail of an active contact, None otherwise."""
    if contact_id is None:
        return None
    return (
        await session.execute(
            select(models.Person.email)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .where(models.Contact.id == contact_id, models.Contact.status == "ACTIVE")
        )
    ).scalar_one_or_none()


async def email_buyer(session: AsyncSession, order: Order, *, note: str | None, now: datetime) -> None:
    """Tell the buyer the order is now in its current status (French then English)."""
    to = await contact_email(session, order.placed_by_contact_id)
    if to is None:
        return
    fr, en = STATUS_LABELS[order.status]
    extra = f"\n\n{note}" if note else ""
    body = (
        f"Bonjour,\n\nVotre commande {order.number} est désormais : {fr}.{extra}\n\n"
        f"---\n\nHello,\n\nYour order {order.number} is now: {en}.{extra}\n"
    )
    await enqueue_email(
        session, to=to, subject=f"Commande {order.number} : {fr} / Order {order.number}: {en}", body=body, now=now
    )


async def record_history(
    session: AsyncSession, order: Order, *, now: datetime, by_contact_id: int | None, note: str | None
) -> None:
    session.add(
        OrderStatusChange(
            organisation_id=order.organisation_id,
            order_id=order.id,
            status=order.status,
            at=now,
            by_contact_id=by_contact_id,
            note=note,
        )
    )
    await session.flush()
    # Every status an order enters is an ORDER_STATUS_CHANGED event for outgoing webhooks.
    await webhook_events.record_event(
        session,
        type=webhook_events.EventType.ORDER_STATUS_CHANGED,
        organisation_id=order.organisation_id,
        subject_pk=order.id,
        billing_account_ids=[order.billing_account_id],
        now=now,
    )


async def audit(
    session: AsyncSession, order: Order, *, action: str, actor_contact_id: int | None, now: datetime, **data: Any
) -> None:
    await record_event(
        session,
        at=now,
        organisation_id=order.organisation_id,
        actor_contact_id=actor_contact_id,
        action=action,
        summary=f"Order {order.number}: {action.removeprefix('order.')} ({order.status})",
        subject_id=to_global_id("Order", order.id),
        data={"number": order.number, "status": order.status, **data},
    )


async def move(
    session: AsyncSession,
    order: Order,
    target: Status,
    *,
    now: datetime,
    by_contact_id: int | None,
    note: str | None,
    **values: Any,
) -> None:
    """Write the move decided on `order`'s current status and version, its history entry and the
    buyer's e-mail. Raise DomainError(INVALID_STATUS_TRANSITION) when another writer moved it meanwhile."""
    values.update(status=target.value, status_changed_at=now, updated_at=now, version=order.version + 1)
    if target is Status.COMPLETED:
        values.setdefault("completed_at", now)
    result = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == order.status, Order.version == order.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            "order_invalid_status_transition",
            field=["input", "orderId"],
            params={"status": order.status},
        )
    for key, value in values.items():
        set_committed_value(order, key, value)
    await record_history(session, order, now=now, by_contact_id=by_contact_id, note=note)
    await email_buyer(session, order, note=note, now=now)


def is_final(order: Order) -> bool:
    return Status(order.status) in FINAL

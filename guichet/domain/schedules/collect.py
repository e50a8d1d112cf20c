"""`guichet jobs collect-debits`: present every instalment due to the card provider, exactly once.

Each instalment goes through two short transactions around the provider call:
1. claim: ``UPDATE ... SET status='PRESENTING' WHERE id=:i AND status='PENDING'``, committed; a
   runner whose rowcount is 0 lost the race (another run, another server) and skips it;
2. outcome: ``UPDATE ... SET status='PAID'|'UNPAID' WHERE id=:i AND status='PRESENTING'``, the
   debit ledger, the schedule's new status and, when unpaid, the customer's e-mail.
The provider is never called inside a transaction, and an instalment is never presented twice:
if the process dies between the call and step 2, the instalment stays PRESENTING for an operator
to reconcile with the provider (its reference is ``schedule-installment-<id>``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.gateways.card import CardGateway, ChargeResult
from guichet.domain.mail import enqueue_email
from guichet.domain.models.schedules import Installment, Schedule, ScheduleDebit
from guichet.domain.money import Money
from guichet.domain.schedules import rules
from guichet.domain.schedules.services import UnitOfWork, refresh, stored_card
from guichet.domain.webhooks import events as webhook_events
from guichet.policies.rules import Role

if TYPE_CHECKING:
    from guichet.settings import Settings

log = logging.getLogger("guichet.schedules")

# The seed's collections number, used when no support channel answers for "collections".
DEFAULT_COLLECTIONS_PHONE = "08 90 39 24 18"


def collections_phone(settings: Settings | None = None) -> str:
    """The phone number of the collections service (« service du contentieux »)."""
    from guichet.domain.support import channels_for

    phones = [c.value for c in channels_for("collections", settings) if c.kind == "PHONE"]
    return phones[0] if phones else DEFAULT_COLLECTIONS_PHONE


@dataclass
class CollectReport:
    presented: int = 0
    paid: int = 0
    unpaid: int = 0
    skipped: int = 0  # claimed by another run meanwhile
    unpaid_orders: list[str] = field(default_factory=list)


async def collect_debits(
    uow: UnitOfWork,
    *,
    gateway: CardGateway,
    as_of: date,
    now: datetime,
    public_url: str,
    support_phone: str,
) -> CollectReport:
    """Present every PENDING instalment due on or before `as_of`; safe to run twice or concurrently."""
    async with uow() as session:
        due = (
            (
                await session.execute(
                    select(Installment.id)
                    .where(Installment.status == rules.PENDING, Installment.due_date <= as_of)
                    .order_by(Installment.due_date, Installment.id)
                )
            )
            .scalars()
            .all()
        )
    report = CollectReport()
    for installment_id in due:
        await _collect_one(
            uow,
            installment_id,
            gateway=gateway,
            as_of=as_of,
            now=now,
            public_url=public_url,
            support_phone=support_phone,
            report=report,
        )
    return report


async def _collect_one(
    uow: UnitOfWork,
    installment_id: int,
    *,
    gateway: CardGateway,
    as_of: date,
    now: datetime,
    public_url: str,
    support_phone: str,
    report: CollectReport,
) -> None:
    async with uow() as session:
        claimed = await session.execute(
            update(Installment)
            .where(
                Installment.id == installment_id,
                Installment.status == rules.PENDING,
                Installment.due_date <= as_of,
            )
            .values(status=rules.PRESENTING, presented_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            report.skipped += 1
            return
        installment = (await session.execute(select(Installment).where(Installment.id == installment_id))).scalar_one()
        schedule = (await session.execute(select(Schedule).where(Schedule.id == installment.schedule_id))).scalar_one()
    report.presented += 1
    card = stored_card(schedule)
    amount = Money(installment.amount_minor, schedule.currency)
    if card is None:
        result = ChargeResult(False, "", "no_card")
    else:
        result = await gateway.charge(card, amount, reference=f"schedule-installment-{installment_id}")
    outcome = rules.PAID if result.succeeded else rules.UNPAID

    async with uow() as session:
        # The guarded write comes first: on SQLite the transaction takes the write lock at once.
        recorded = await session.execute(
            update(Installment)
            .where(Installment.id == installment_id, Installment.status == rules.PRESENTING)
            .values(
                status=outcome,
                settled_at=now if result.succeeded else None,
                failure_code=result.failure_code,
                provider_reference=result.provider_reference or None,
            )
            .execution_options(synchronize_session=False)
        )
        if recorded.rowcount != 1:  # type: ignore[attr-defined]
            log.error("instalment %s left PRESENTING by someone else; outcome %s not recorded", installment_id, outcome)
            return
        session.add(
            ScheduleDebit(
                organisation_id=schedule.organisation_id,
                schedule_id=schedule.id,
                installment_id=installment_id,
                kind="COLLECTION",
                amount_minor=amount.minor,
                currency=amount.currency,
                card_last4=card.last4 if card else None,
                succeeded=result.succeeded,
                failure_code=result.failure_code,
                provider_reference=result.provider_reference or None,
                attempted_at=now,
            )
        )
        if not result.succeeded and installment.kind == rules.REGULARISATION:
            # A missed regularisation part breaks that plan: the debt is owed again, to regularise anew.
            await session.execute(
                update(Installment)
                .where(
                    Installment.schedule_id == schedule.id,
                    Installment.kind == rules.REGULARISATION,
                    Installment.status == rules.PENDING,
                )
                .values(status=rules.CANCELLED)
                .execution_options(synchronize_session=False)
            )
        await session.flush()
        await refresh(session, schedule.id, now)
        if result.succeeded:
            report.paid += 1
        else:
            report.unpaid += 1
            report.unpaid_orders.append(schedule.order_number)
            # Instalment plans belong to no billing account: readable over the whole organisation only.
            await webhook_events.record_event(
                session,
                type=webhook_events.EventType.INSTALLMENT_UNPAID,
                organisation_id=schedule.organisation_id,
                subject_pk=schedule.id,
                now=now,
            )
            await _tell_customer(session, schedule, installment, amount, public_url, support_phone, now)
    log.info(
        "instalment %s of order %s: %s %s",
        installment.number,
        schedule.order_number,
        outcome,
        result.failure_code or "",
    )


async def _recipients(session: AsyncSession, organisation_id: int) -> list[str]:
    """Who hears of a missed debit: the primary admin and the contacts holding FINANCE."""
    finance = select(models.RoleAssignment.contact_id).where(models.RoleAssignment.role == Role.FINANCE)
    rows = (
        await session.execute(
            select(models.Person.email)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .where(
                models.Contact.organisation_id == organisation_id,
                models.Contact.status == "ACTIVE",
                (models.Contact.is_primary_admin.is_(True)) | (models.Contact.id.in_(finance)),
            )
            .order_by(models.Person.email)
        )
    ).scalars()
    return list(dict.fromkeys(rows))


async def _tell_customer(
    session: AsyncSession,
    schedule: Schedule,
    installment: Installment,
    amount: Money,
    public_url: str,
    support_phone: str,
    now: datetime,
) -> None:
    """E-mail the customer that a debit was refused, in French then English."""
    when = installment.due_date.strftime("%d/%m/%Y")
    subject = f"Prélèvement impayé / Missed payment — commande {schedule.order_number}"
    body = (
        f"Bonjour,\n\n"
        f"Votre prélèvement n°{installment.number} de {amount.format('fr')} du {when} pour la commande "
        f"{schedule.order_number} ({schedule.merchant_name}) a été rejeté.\n"
        f"Vous pouvez régulariser votre impayé en 1, 2 ou 3 fois depuis votre espace : {public_url}\n"
        f"ou nous contacter au {support_phone}.\n\n"
        f"---\n\n"
        f"Hello,\n\n"
        f"Your payment no. {installment.number} of {amount.format('en')} due {when} for order "
        f"{schedule.order_number} ({schedule.merchant_name}) was declined.\n"
        f"You can settle it in 1, 2 or 3 payments from your customer space: {public_url}\n"
        f"or call us on {support_phone}.\n"
    )
    for address in await _recipients(session, schedule.organisation_id):
        await enqueue_email(session, to=address, subject=subject, body=body, now=now)

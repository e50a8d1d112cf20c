"""The pending-payment core: opening is idempotent, one payment settles a FAILED_CHARGE and its invoice."""

from __future__ import annotations

from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.models.payments import Payment
from guichet.domain.models.pending_payments import PaymentPendingPayment, PendingPayment
from guichet.domain.payments import PayRequest, pay_invoices
from guichet.domain.payments.service import Gateways, apply_webhook
from guichet.domain.payments.webhooks import WebhookEvent
from tests.conftest import TEST_NOW
from tests.factories_payments import make_pay_world
from tests.factories_pending_payments import open_failed_charge


def _request(world, ids, *, key="k-1", method="BANK_TRANSFER"):  # type: ignore[no-untyped-def]
    return PayRequest(
        organisation_id=world.org.id,
        invoice_ids=[],
        method=method,
        idempotency_key=key,
        pending_payment_ids=ids,
        pending_scopes={"FAILED_CHARGE": None, "RENEWAL": None},
    )


async def _pay(sessionmaker, world, request):  # type: ignore[no-untyped-def]
    return await pay_invoices(
        sessionmaker,
        request=request,
        payer_contact_id=world.finance.contact_id,
        pay_scope=None,
        gateways=Gateways(),
        secret="s",
        now=TEST_NOW,
        expiry_seconds=3600,
    )


async def test_opening_twice_keeps_one_item(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        first = await open_failed_charge(session, world.invoices[0])
        again = await open_failed_charge(session, world.invoices[0])

    assert again.id == first.id
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(PendingPayment))).scalar_one() == 1


async def test_a_bank_transfer_webhook_pays_the_failed_charge_and_its_invoice(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])

    result = await _pay(sessionmaker, world, _request(world, [item.id]))
    async with sessionmaker() as session:
        held = (await session.execute(select(PendingPayment).where(PendingPayment.id == item.id))).scalar_one()
        assert (held.status, held.payment_id) == ("PAYMENT_PENDING", result.payment_id)
        reference = (
            await session.execute(select(Payment.reference).where(Payment.id == result.payment_id))
        ).scalar_one()
    await apply_webhook(
        sessionmaker,
        provider="bank-transfer",
        event=WebhookEvent(reference=reference, status="SUCCEEDED", amount=None, reason=None, dedup_key="e1"),
        now=TEST_NOW,
    )

    async with sessionmaker() as session:
        paid = (await session.execute(select(PendingPayment).where(PendingPayment.id == item.id))).scalar_one()
        invoice = (
            await session.execute(select(models.Invoice).where(models.Invoice.id == world.invoices[0].id))
        ).scalar_one()
        links = (await session.execute(select(PaymentPendingPayment))).scalars().all()
    assert (paid.status, paid.paid_at) == ("PAID", TEST_NOW)
    assert (invoice.amount_paid_minor, invoice.pending_payment_id) == (25000, None)
    assert [(link.payment_id, link.amount_minor) for link in links] == [(result.payment_id, 25000)]

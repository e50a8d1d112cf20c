"""A provider's SUCCEEDED after the payment failed or expired is never lost (issue 9, item 5).

Still unpaid invoices: the payment is reopened and pays them (audited). Invoices paid meanwhile:
a reconciliation case, visible to finance and e-mailed to operations. Bank transfers wait days,
not the 30 minutes of Orange Money. A delivery that got 500 during a database outage applies when
the provider retries it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from guichet.domain import models
from guichet.domain.models.payments import Payment, PaymentInvoice, PaymentReconciliation, WebhookEvent
from guichet.domain.payments import expire_payments
from guichet.settings import Settings
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member
from tests.factories_card_charges import VISA_OK
from tests.factories_payments import PAY, PAYMENT, make_pay_world, pay_input, send_webhook, snapshot

OPERATIONS = "operations@guichet.example"

RECONCILIATIONS = """
query($id: ID!) {
  node(id: $id) {
    ... on Organisation {
      paymentReconciliations(first: 10) {
        totalCount
        edges { node {
          provider reason status createdAt
          amountReceived { amount currency } amountUnapplied { amount currency }
          payment { reference status }
        } }
      }
    }
  }
}
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(operations_email=OPERATIONS)


async def _paid(sessionmaker: Any, world: Any) -> list[tuple[int, int | None]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(models.Invoice.amount_paid_minor, models.Invoice.pending_payment_id)
            .where(models.Invoice.id.in_([i.id for i in world.invoices]))
            .order_by(models.Invoice.id)
        )
        return [tuple(r) for r in rows.all()]


async def _audit_actions(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as session:
        return list((await session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id))).scalars())


async def _emails_to(sessionmaker: Any, address: str) -> list[models.OutboxEmail]:
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(models.OutboxEmail).where(models.OutboxEmail.to_address == address)))
            .scalars()
            .all()
        )


async def _cases(sessionmaker: Any) -> list[tuple[str, int, int]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                PaymentReconciliation.reason,
                PaymentReconciliation.received_minor,
                PaymentReconciliation.unapplied_minor,
            ).order_by(PaymentReconciliation.id)
        )
        return [tuple(r) for r in rows.all()]


async def _expired_orange_money(gql: Any, sessionmaker: Any, clock: Any, settings: Settings) -> tuple[Any, Any]:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]
    clock.current = TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds)
    await expire_payments(sessionmaker, now=clock.current)
    return world, payment


async def test_a_success_after_expiry_pays_the_invoices_still_unpaid(gql, http, sessionmaker, clock, settings) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    assert await _paid(sessionmaker, world) == [(0, None), (0, None)]

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=clock.current
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "replayed": False, "applied": True}
    assert await _paid(sessionmaker, world) == [(25000, None), (30000, None)]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert (node["status"], node["failure"], node["amountReceived"]) == (
        "SUCCEEDED",
        None,
        {"amount": "55000", "currency": "XOF"},
    )
    assert (await _audit_actions(sessionmaker))[-3:] == ["payment.expired", "payment.reopened", "payment.succeeded"]
    assert await _cases(sessionmaker) == []
    assert await _emails_to(sessionmaker, OPERATIONS) == []


async def test_a_late_bank_transfer_after_a_failure_reopens_the_payment(gql, http, sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    result = await gql(PAY, pay_input(world, method="BANK_TRANSFER"), token=world.finance.token)
    reference = result["data"]["payInvoices"]["payment"]["reference"]
    await send_webhook(
        http, "bank-transfer", {"reference": reference, "status": "FAILED", "reason": "cancelled"}, at=TEST_NOW
    )

    late = await send_webhook(
        http, "bank-transfer", {"reference": reference, "status": "SUCCEEDED", "amount": "30000"}, at=TEST_NOW
    )

    assert late.json() == {"ok": True, "replayed": False, "applied": True}
    # Oldest due first, as for any partial transfer.
    assert await _paid(sessionmaker, world) == [(25000, None), (5000, None)]
    async with sessionmaker() as session:
        status, received = (
            await session.execute(select(Payment.status, Payment.received_minor).where(Payment.reference == reference))
        ).one()
    assert (status, received) == ("SUCCEEDED", 30000)


async def test_a_success_after_the_invoices_were_paid_otherwise_opens_a_reconciliation_case(
    gql, http, sessionmaker, clock, settings
) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    card = await gql(PAY, pay_input(world, key="card", method="CARD", card=VISA_OK), token=world.finance.token)
    assert card["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"
    paid_by_card = await _paid(sessionmaker, world)

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=clock.current
    )

    assert response.status_code == 200
    assert response.json() == {"ok": True, "replayed": False, "applied": True}
    assert await _paid(sessionmaker, world) == paid_by_card == [(25000, None), (30000, None)]
    assert await _cases(sessionmaker) == [("nothing_to_pay", 55000, 55000)]
    async with sessionmaker() as session:
        status = (await session.execute(select(Payment.status).where(Payment.id == _pk(payment)))).scalar_one()
        outcome = (await session.execute(select(WebhookEvent.outcome).order_by(WebhookEvent.id.desc()))).scalars()
        assert (status, next(iter(outcome))) == ("FAILED", "reconciliation")
    assert (await _audit_actions(sessionmaker))[-1] == "payment.reconciliation_opened"
    [mail] = await _emails_to(sessionmaker, OPERATIONS)
    assert payment["reference"] in mail.subject
    assert "55 000 XOF" in mail.body_text.replace("\u202f", " ").replace("\xa0", " ")

    listed = await gql(RECONCILIATIONS, {"id": world.org_id}, token=world.finance.token)

    assert "errors" not in listed, listed
    cases = listed["data"]["node"]["paymentReconciliations"]
    assert cases["totalCount"] == 1
    assert cases["edges"][0]["node"] == {
        "provider": "orange-money",
        "reason": "NOTHING_TO_PAY",
        "status": "OPEN",
        "createdAt": clock.current.isoformat(),
        "amountReceived": {"amount": "55000", "currency": "XOF"},
        "amountUnapplied": {"amount": "55000", "currency": "XOF"},
        "payment": {"reference": payment["reference"], "status": "FAILED"},
    }


async def test_a_late_success_larger_than_what_is_still_owed_pays_it_and_records_the_rest(
    gql, http, sessionmaker, clock, settings
) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    first_only = pay_input(world, key="card", method="CARD", card=VISA_OK)
    first_only["input"]["invoiceIds"] = world.invoice_ids(0)
    await gql(PAY, first_only, token=world.finance.token)

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=clock.current
    )

    assert response.json()["applied"] is True
    assert await _paid(sessionmaker, world) == [(25000, None), (30000, None)]
    assert await _cases(sessionmaker) == [("more_than_due", 55000, 25000)]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert (node["status"], node["amountReceived"]) == ("SUCCEEDED", {"amount": "55000", "currency": "XOF"})
    assert len(await _emails_to(sessionmaker, OPERATIONS)) == 1


async def test_a_replayed_late_success_opens_no_second_case(gql, http, sessionmaker, clock, settings) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    await gql(PAY, pay_input(world, key="card", method="CARD", card=VISA_OK), token=world.finance.token)
    event = {"reference": payment["reference"], "status": "SUCCEEDED"}
    await send_webhook(http, "orange-money", event, at=clock.current)
    before = await snapshot(sessionmaker)

    again = await send_webhook(http, "orange-money", event, at=clock.current + timedelta(seconds=30))

    assert again.json() == {"ok": True, "replayed": True, "applied": False}
    assert await snapshot(sessionmaker) == before
    assert len(await _cases(sessionmaker)) == 1


async def test_reconciliation_cases_need_payments_read(gql, http, sessionmaker, clock, settings) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    await gql(PAY, pay_input(world, key="card", method="CARD", card=VISA_OK), token=world.finance.token)
    await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=clock.current
    )
    async with sessionmaker() as session, session.begin():
        commercial = await make_member(session, world.org, roles=[("COMMERCIAL", None)])

    refused = await gql(RECONCILIATIONS, {"id": world.org_id}, token=commercial.token)

    assert refused["data"] == {"node": None}
    assert [(e["path"], e["extensions"]["code"]) for e in refused["errors"]] == [
        (["node", "paymentReconciliations"], "FORBIDDEN")
    ]


async def test_a_reader_scoped_to_another_billing_account_sees_no_case(
    gql, http, sessionmaker, clock, settings
) -> None:
    world, payment = await _expired_orange_money(gql, sessionmaker, clock, settings)
    await gql(PAY, pay_input(world, key="card", method="CARD", card=VISA_OK), token=world.finance.token)
    await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=clock.current
    )
    async with sessionmaker() as session, session.begin():
        other = await make_account(session, await session.get(models.Organisation, world.org.id))
        scoped = await make_member(session, world.org, roles=[("FINANCE", other.id)])

    listed = await gql(RECONCILIATIONS, {"id": world.org_id}, token=scoped.token)
    full = await gql(RECONCILIATIONS, {"id": world.org_id}, token=world.finance.token)

    assert listed["data"]["node"]["paymentReconciliations"]["totalCount"] == 0
    assert full["data"]["node"]["paymentReconciliations"]["totalCount"] == 1


async def test_a_bank_transfer_waits_days_not_the_orange_money_half_hour(gql, sessionmaker, settings) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    transfer = await gql(PAY, pay_input(world, method="BANK_TRANSFER"), token=world.finance.token)
    reference = transfer["data"]["payInvoices"]["payment"]["reference"]

    after_an_hour = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(hours=1))
    after_six_days = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(days=6))
    at_the_deadline = await expire_payments(
        sessionmaker, now=TEST_NOW + timedelta(days=settings.bank_transfer_expiry_days)
    )

    assert (after_an_hour, after_six_days) == ([], [])
    assert [c.kind for c in at_the_deadline] == ["payment", "invoice", "invoice"]
    async with sessionmaker() as session:
        expires_at = (
            await session.execute(select(Payment.expires_at).where(Payment.reference == reference))
        ).scalar_one()
    assert expires_at == TEST_NOW + timedelta(days=7)


class _DatabaseDown:
    """A sessionmaker whose sessions cannot connect, as while PostgreSQL is stopped."""

    def __call__(self) -> Any:
        raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 5432)")


async def test_a_webhook_that_got_500_during_an_outage_applies_when_retried(
    gql, http, app, sessionmaker, clock, settings
) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]
    event = {"reference": payment["reference"], "status": "SUCCEEDED"}
    state = app.state.guichet
    state.sessionmaker = _DatabaseDown()
    try:
        during = await send_webhook(http, "orange-money", event, at=TEST_NOW)
    finally:
        state.sessionmaker = sessionmaker
    # The outage outlived the payment's half hour: the expiry job failed it before the retry came.
    clock.current = TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds)
    await expire_payments(sessionmaker, now=clock.current)

    retried = await send_webhook(http, "orange-money", event, at=clock.current)

    assert during.status_code >= 500
    assert retried.json() == {"ok": True, "replayed": False, "applied": True}
    assert await _paid(sessionmaker, world) == [(25000, None), (30000, None)]


PAGE = """
query($id: ID!, $first: Int!) {
  node(id: $id) {
    ... on Organisation {
      paymentReconciliations(first: $first) {
        edges { node { reason amountUnapplied { amount } payment { reference status invoices { number } } } }
      }
    }
  }
}
"""


async def _cases_for(sessionmaker: Any, world: Any, count: int) -> None:
    """`count` failed payments of the first invoice, each with a case (as late successes leave them)."""
    async with sessionmaker() as session, session.begin():
        for index in range(count):
            payment = Payment(
                organisation_id=world.org.id,
                payer_contact_id=world.finance.contact_id,
                reference=f"GP-CASE{index:05d}",
                method="ORANGE_MONEY",
                status="FAILED",
                currency="XOF",
                amount_minor=25000,
                received_minor=0,
                failure_code="expired",
                created_at=TEST_NOW,
                updated_at=TEST_NOW,
            )
            session.add(payment)
            await session.flush()
            session.add(
                PaymentInvoice(
                    payment_id=payment.id,
                    invoice_id=world.invoices[0].id,
                    organisation_id=world.org.id,
                    requested_minor=25000,
                    amount_minor=0,
                )
            )
            delivery = WebhookEvent(
                provider="orange-money",
                dedup_key=f"case-{index}",
                organisation_id=world.org.id,
                payment_id=payment.id,
                status="SUCCEEDED",
                outcome="reconciliation",
                received_at=TEST_NOW,
            )
            session.add(delivery)
            await session.flush()
            session.add(
                PaymentReconciliation(
                    organisation_id=world.org.id,
                    payment_id=payment.id,
                    webhook_event_id=delivery.id,
                    provider="orange-money",
                    currency="XOF",
                    received_minor=25000,
                    unapplied_minor=25000,
                    reason="nothing_to_pay",
                    status="OPEN",
                    created_at=TEST_NOW,
                )
            )


async def test_a_page_of_cases_costs_the_same_statements_for_5_and_for_20(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    await _cases_for(sessionmaker, world, 20)
    engine = app.state.guichet.engine.sync_engine
    counts = []
    for size in (5, 20):
        statements: list[str] = []

        def count(*args: Any, statements: list[str] = statements, **kwargs: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            result = await gql(PAGE, {"id": world.org_id, "first": size}, token=world.finance.token)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        edges = result["data"]["node"]["paymentReconciliations"]["edges"]
        assert len(edges) == size
        assert edges[0]["node"]["payment"]["invoices"] == [{"number": world.invoices[0].number}]
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _pk(payment: dict[str, Any]) -> int:
    from guichet.domain.ids import from_global_id

    return int(from_global_id(payment["id"])[1])

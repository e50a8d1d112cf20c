"""payInvoices through the ASGI app: Orange Money, bank transfer, card; outcomes, refusals, idempotency."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import Payment
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_invoice, make_member, make_organisation
from tests.factories_payments import PAY, PAYMENT, make_pay_world, pay_input, send_webhook, snapshot

VISA_OK = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"}
VISA_DECLINED = {"number": "4000000000000002", "expMonth": 12, "expYear": 2028, "cvc": "123"}
VISA_NO_FUNDS = {"number": "4000000000009995", "expMonth": 12, "expYear": 2028, "cvc": "123"}


async def _invoice_rows(sessionmaker, world):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(models.Invoice.amount_paid_minor, models.Invoice.pending_payment_id)
                .where(models.Invoice.id.in_([i.id for i in world.invoices]))
                .order_by(models.Invoice.id)
            )
        ).all()
    return [tuple(r) for r in rows]


async def test_orange_money_payment_waits_on_the_phone(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    result = await gql(PAY, pay_input(world), token=world.finance.token, lang="fr")

    payload = result["data"]["payInvoices"]
    assert payload["errors"] == []
    payment = payload["payment"]
    assert payment["status"] == "PENDING"
    assert payment["method"] == "ORANGE_MONEY"
    assert payment["amount"] == {"amount": "55000", "currency": "XOF"}
    assert payment["reference"].startswith("GP-")
    assert payment["instructions"] == (
        "Validez le paiement de 55\u202f000 XOF sur le téléphone +2250701020304 : saisissez votre code secret "
        f"Orange Money lorsqu'il vous est demandé. Référence {payment['reference']}."
    )
    assert payment["completedAt"] is None
    pk = await _payment_pk(sessionmaker, payment["reference"])
    assert await _invoice_rows(sessionmaker, world) == [(0, pk), (0, pk)]
    async with sessionmaker() as session:
        actions = (await session.execute(select(models.AuditEvent.action))).scalars().all()
    assert actions == ["payment.created"]


async def _payment_pk(sessionmaker, reference: str) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (await session.execute(select(Payment.id).where(Payment.reference == reference))).scalar_one()


async def test_signed_webhook_settles_payment_and_invoices(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
    )

    assert response.status_code == 200
    assert await _invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert node["status"] == "SUCCEEDED"
    assert node["amountReceived"] == {"amount": "55000", "currency": "XOF"}
    assert node["completedAt"] == "2026-11-25T10:00:00+00:00"
    assert node["failure"] is None
    assert node["instructions"] is None
    async with sessionmaker() as session:
        emails = (await session.execute(select(models.OutboxEmail))).scalars().all()
        actions = (await session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id))).scalars()
        assert list(actions) == ["payment.created", "payment.succeeded"]
    assert [e.to_address for e in emails] == [world.finance.email]
    assert payment["reference"] in emails[0].body_text
    assert "a bien été accepté" in emails[0].body_text


async def test_failed_webhook_keeps_invoices_payable_and_names_support(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    response = await send_webhook(
        http,
        "orange-money",
        {"reference": payment["reference"], "status": "FAILED", "reason": "insufficient_funds"},
        at=TEST_NOW,
    )

    assert response.status_code == 200
    assert await _invoice_rows(sessionmaker, world) == [(0, None), (0, None)]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token, lang="fr"))["data"]["node"]
    assert node["status"] == "FAILED"
    assert node["failure"]["code"] == "insufficient_funds"
    assert node["failure"]["message"].startswith("Le paiement a échoué : le solde est insuffisant.")
    values = {c["value"] for c in node["failure"]["support"]}
    assert "0808" in values
    assert any("orangebusiness.oci@contact.orange.ci" in v for v in values)
    # Payable again with a new key.
    again = await gql(PAY, pay_input(world, key="key-2"), token=world.finance.token)
    assert again["data"]["payInvoices"]["payment"]["status"] == "PENDING"


async def test_wallet_number_outside_cote_d_ivoire_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    before = await snapshot(sessionmaker)

    for msisdn in ("+33612345678", "0801020304", "07010203", "+225 02 01 02 03 04", ""):
        result = await gql(PAY, pay_input(world, msisdn=msisdn), token=world.finance.token)
        payload = result["data"]["payInvoices"]
        assert payload["payment"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", "msisdn"])], msisdn

    assert await snapshot(sessionmaker) == before


async def test_accepted_wallet_number_forms(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 1000, 1000))
    for index, msisdn in enumerate(("0501020304", "2250701020304", "+225 01 02 03 04 05")):
        data = pay_input(world, key=f"k{index}", msisdn=msisdn)
        data["input"]["invoiceIds"] = world.invoice_ids(index)
        result = await gql(PAY, data, token=world.finance.token)
        assert result["data"]["payInvoices"]["errors"] == [], msisdn


async def test_card_payment_succeeds_at_once_and_keeps_only_last4(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    result = await gql(PAY, pay_input(world, method="CARD", card=VISA_OK), token=world.finance.token)

    payment = result["data"]["payInvoices"]["payment"]
    assert payment["status"] == "SUCCEEDED"
    assert payment["amountReceived"] == {"amount": "55000", "currency": "XOF"}
    assert await _invoice_rows(sessionmaker, world) == [(25000, None), (30000, None)]
    async with sessionmaker() as session:
        row = (await session.execute(select(Payment))).scalar_one()
        texts = [str(v) for v in row.__dict__.values()]
        texts += [e.summary + str(e.data) for e in (await session.execute(select(models.AuditEvent))).scalars()]
        texts += [m.body_text for m in (await session.execute(select(models.OutboxEmail))).scalars()]
    assert (row.card_brand, row.card_last4, row.card_exp_month, row.card_exp_year) == ("VISA", "4242", 12, 2028)
    assert not any("4242424242424242" in t or "4242 4242" in t for t in texts)


async def test_declined_and_insufficient_cards_fail_and_leave_invoices_payable(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    declined = await gql(PAY, pay_input(world, key="a", method="CARD", card=VISA_DECLINED), token=world.finance.token)
    no_funds = await gql(PAY, pay_input(world, key="b", method="CARD", card=VISA_NO_FUNDS), token=world.finance.token)

    assert declined["data"]["payInvoices"]["payment"]["failure"]["code"] == "card_declined"
    failure = no_funds["data"]["payInvoices"]["payment"]["failure"]
    assert failure["code"] == "insufficient_funds"
    assert "0808" in {c["value"] for c in failure["support"]}
    assert await _invoice_rows(sessionmaker, world) == [(0, None), (0, None)]


async def test_invalid_card_is_refused_with_nothing_recorded(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    before = await snapshot(sessionmaker)
    bad = {**VISA_OK, "number": "4242424242424241"}

    result = await gql(PAY, pay_input(world, method="CARD", card=bad), token=world.finance.token)
    missing = await gql(PAY, pay_input(world, method="CARD"), token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
        ("CARD_INVALID", ["input", "card", "number"])
    ]
    assert [(e["code"], e["field"]) for e in missing["data"]["payInvoices"]["errors"]] == [
        ("VALIDATION", ["input", "card"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_same_key_same_input_answers_the_first_payment(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    first = await gql(PAY, pay_input(world), token=world.finance.token)
    after_first = await snapshot(sessionmaker)
    second = await gql(PAY, pay_input(world), token=world.finance.token)

    assert second["data"]["payInvoices"] == first["data"]["payInvoices"]
    assert await snapshot(sessionmaker) == after_first


async def test_same_key_different_input_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    await gql(PAY, pay_input(world), token=world.finance.token)
    before = await snapshot(sessionmaker)

    other = pay_input(world, msisdn="0501020304")
    result = await gql(PAY, other, token=world.finance.token, lang="en")

    assert result["data"]["payInvoices"]["payment"] is None
    assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_key_is_kept_24_hours_then_reusable(gql, http, sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 2000))
    data = pay_input(world, method="CARD", card=VISA_OK)
    data["input"]["invoiceIds"] = world.invoice_ids(0)
    first = (await gql(PAY, data, token=world.finance.token))["data"]["payInvoices"]["payment"]

    clock.current = TEST_NOW + timedelta(hours=23)
    other = pay_input(world, method="CARD", card=VISA_OK)
    other["input"]["invoiceIds"] = world.invoice_ids(1)
    refused = await gql(PAY, other, token=world.finance.token)
    clock.current = TEST_NOW + timedelta(hours=24, seconds=1)
    accepted = await gql(PAY, other, token=world.finance.token)

    assert refused["data"]["payInvoices"]["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    second = accepted["data"]["payInvoices"]["payment"]
    assert second["status"] == "SUCCEEDED"
    assert second["id"] != first["id"]


async def test_pending_invoice_is_not_payable_again(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    await gql(PAY, pay_input(world), token=world.finance.token)
    before = await snapshot(sessionmaker)

    result = await gql(PAY, pay_input(world, key="key-2", method="BANK_TRANSFER"), token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
        ("INVOICE_NOT_PAYABLE", ["input", "invoiceIds", "0"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_paid_invoice_is_not_payable(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        paid = await make_invoice(session, world.account, total_minor=5000, paid_minor=5000)
    data = pay_input(world)
    data["input"]["invoiceIds"] = [world.invoice_ids(0)[0], to_global_id("Invoice", paid.id)]

    result = await gql(PAY, data, token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
        ("INVOICE_NOT_PAYABLE", ["input", "invoiceIds", "1"])
    ]


async def test_foreign_and_out_of_scope_invoices_look_unknown(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        other_account = await make_account(session, world.org)
        out_of_scope = await make_invoice(session, other_account)
        scoped = await make_member(session, world.org, roles=[("FINANCE", world.account.id)])
        foreign_org = await make_organisation(session)
        foreign = await make_invoice(session, await make_account(session, foreign_org))
    before = await snapshot(sessionmaker)

    for invoice in (out_of_scope, foreign):
        data = pay_input(world, key=f"k-{invoice.id}")
        data["input"]["invoiceIds"] = [to_global_id("Invoice", invoice.id)]
        result = await gql(PAY, data, token=scoped.token)
        assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
            ("NOT_FOUND", ["input", "invoiceIds", "0"])
        ]
    assert await snapshot(sessionmaker) == before


async def test_paying_needs_invoices_pay(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        manager = await make_member(session, world.org, roles=[("MANAGEMENT", None)])
    before = await snapshot(sessionmaker)

    forbidden = await gql(PAY, pay_input(world), token=manager.token)
    anonymous = await gql(PAY, pay_input(world))

    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Nothing paid; the refusal itself may be audited (ACCESS.md rule 9).
    assert replace(await snapshot(sessionmaker), audit=before.audit) == before


async def test_mixed_currencies_are_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        euro = await make_invoice(session, world.account, total_minor=1000, currency="EUR")
    data = pay_input(world)
    data["input"]["invoiceIds"] = [world.invoice_ids(0)[0], to_global_id("Invoice", euro.id)]

    result = await gql(PAY, data, token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]] == [
        ("VALIDATION", ["input", "invoiceIds"])
    ]


async def test_bank_transfer_gives_wiring_instructions_and_settles_partially(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    result = await gql(PAY, pay_input(world, method="BANK_TRANSFER"), token=world.finance.token)
    payment = result["data"]["payInvoices"]["payment"]
    assert payment["status"] == "PENDING"
    assert "IBAN CI93 CI008 01001 012345678901 23" in payment["instructions"]
    assert payment["reference"] in payment["instructions"]

    response = await send_webhook(
        http,
        "bank-transfer",
        {"reference": payment["reference"], "status": "SUCCEEDED", "amount": "30000"},
        at=TEST_NOW,
    )

    assert response.status_code == 200
    # Oldest due first: the first invoice is paid in full, the second for the rest (5 000 of 30 000).
    assert await _invoice_rows(sessionmaker, world) == [(25000, None), (5000, None)]
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert node["status"] == "SUCCEEDED"
    assert node["amount"] == {"amount": "55000", "currency": "XOF"}
    assert node["amountReceived"] == {"amount": "30000", "currency": "XOF"}
    # The rest stays payable.
    rest = pay_input(world, key="rest", method="BANK_TRANSFER")
    rest["input"]["invoiceIds"] = world.invoice_ids(1)
    again = (await gql(PAY, rest, token=world.finance.token))["data"]["payInvoices"]["payment"]
    assert again["amount"] == {"amount": "25000", "currency": "XOF"}


async def test_unsettled_payment_expires_and_frees_its_invoices(gql, sessionmaker, clock, settings) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    clock.current = TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds)
    node = (await gql(PAYMENT, {"id": payment["id"]}, token=world.finance.token))["data"]["node"]
    assert node["status"] == "FAILED"
    assert node["failure"]["code"] == "expired"
    assert node["completedAt"] == (TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds)).isoformat()

    again = await gql(PAY, pay_input(world, key="key-2"), token=world.finance.token)

    assert again["data"]["payInvoices"]["errors"] == []
    async with sessionmaker() as session:
        statuses = (await session.execute(select(Payment.status, Payment.failure_code).order_by(Payment.id))).all()
    assert [tuple(s) for s in statuses] == [("FAILED", "expired"), ("PENDING", None)]


async def test_expire_payments_job(gql, sessionmaker, clock, settings) -> None:
    from guichet.domain.payments import expire_payments

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    await gql(PAY, pay_input(world), token=world.finance.token)

    early = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(seconds=60))
    changes = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds))
    twice = await expire_payments(sessionmaker, now=TEST_NOW + timedelta(seconds=settings.payment_expiry_seconds))

    assert early == []
    assert [c.kind for c in changes] == ["payment", "invoice", "invoice"]
    assert twice == []
    assert await _invoice_rows(sessionmaker, world) == [(0, None), (0, None)]

"""Organisation.pendingPayments and payPendingPayments through the ASGI app."""

from __future__ import annotations

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from tests.api.test_dashboard_statements import counting
from tests.factories import make_account, make_invoice, make_member
from tests.factories_access import set_permissions
from tests.factories_payments import make_pay_world, snapshot
from tests.factories_pending_payments import open_failed_charge, open_renewal

LIST = """
query($id: ID!, $first: Int, $filter: PendingPaymentFilter) {
  organisation(id: $id) {
    pendingPayments(first: $first, filter: $filter) {
      totalCount
      edges { node {
        id kind status description dueDate amount { amount currency }
        billingAccount { number }
        invoice { number status }
        lastFailure { code message }
        failedPaymentMethod { status }
        payments { status }
      } }
    }
  }
}
"""

PAY = """
mutation($input: PayPendingPaymentsInput!) {
  payPendingPayments(input: $input) {
    payment { status method amount { amount currency } invoices { number status } pendingPayments { status } }
    pendingPayments { id kind status }
    errors { code field message }
  }
}
"""

VISA_OK = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"}


def _pay_input(world, items, *, key="pp-1", method="CARD", **extra):  # type: ignore[no-untyped-def]
    data = {
        "organisationId": world.org_id,
        "pendingPaymentIds": [to_global_id("PendingPayment", i.id) for i in items],
        "method": method,
        "idempotencyKey": key,
    }
    if method == "CARD":
        data["card"] = VISA_OK
    data.update(extra)
    return {"input": data}


async def test_finance_lists_a_failed_charge_with_its_invoice_and_failure(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        await open_failed_charge(session, world.invoices[0])

    result = await gql(LIST, {"id": world.org_id}, token=world.finance.token)

    connection = result["data"]["organisation"]["pendingPayments"]
    assert connection["totalCount"] == 1
    node = connection["edges"][0]["node"]
    assert {k: v for k, v in node.items() if k != "id"} == {
        "kind": "FAILED_CHARGE",
        "status": "DUE",
        "description": f"Automatic payment of invoice {world.invoices[0].number}",
        "dueDate": "2026-10-15",
        "amount": {"amount": "25000", "currency": "XOF"},
        "billingAccount": {"number": world.account.number},
        "invoice": {"number": world.invoices[0].number, "status": "OVERDUE"},
        "lastFailure": {
            "code": "card_expired",
            "message": "The card has expired. Pay with another card or another method.",
        },
        "failedPaymentMethod": None,
        "payments": [],
    }


async def test_the_filter_narrows_by_kind_and_status(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        await open_failed_charge(session, world.invoices[0])
        await open_renewal(session, world.account)

    renewals = await gql(LIST, {"id": world.org_id, "filter": {"kind": ["RENEWAL"]}}, token=world.finance.token)
    paid = await gql(LIST, {"id": world.org_id, "filter": {"status": ["PAID"]}}, token=world.finance.token)

    assert [e["node"]["kind"] for e in renewals["data"]["organisation"]["pendingPayments"]["edges"]] == ["RENEWAL"]
    assert paid["data"]["organisation"]["pendingPayments"]["totalCount"] == 0


async def test_a_role_over_one_account_sees_only_that_accounts_items(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        other = await make_account(session, world.org, name="Other site")
        other_invoice = await make_invoice(session, other, total_minor=9000)
        await open_failed_charge(session, world.invoices[0])
        hidden = await open_failed_charge(session, other_invoice)
        scoped = await make_member(session, world.org, roles=[("FINANCE", world.account.id)])

    listed = await gql(LIST, {"id": world.org_id}, token=scoped.token)
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": to_global_id("PendingPayment", hidden.id)},
        token=scoped.token,
    )

    edges = listed["data"]["organisation"]["pendingPayments"]["edges"]
    assert [e["node"]["billingAccount"]["number"] for e in edges] == [world.account.number]
    assert node == {"data": {"node": None}}


async def test_paying_a_failed_charge_by_card_pays_it_and_its_invoice(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])

    result = await gql(PAY, _pay_input(world, [item]), token=world.finance.token)

    payload = result["data"]["payPendingPayments"]
    assert payload["errors"] == []
    assert payload["payment"] == {
        "status": "SUCCEEDED",
        "method": "CARD",
        "amount": {"amount": "25000", "currency": "XOF"},
        "invoices": [{"number": world.invoices[0].number, "status": "PAID"}],
        "pendingPayments": [{"status": "PAID"}],
    }
    assert payload["pendingPayments"] == [
        {"id": to_global_id("PendingPayment", item.id), "kind": "FAILED_CHARGE", "status": "PAID"}
    ]


async def test_a_declined_card_leaves_the_item_due(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])
    declined = {**VISA_OK, "number": "4000000000000002"}

    result = await gql(PAY, _pay_input(world, [item], card=declined), token=world.finance.token)

    payload = result["data"]["payPendingPayments"]
    assert (payload["payment"]["status"], payload["pendingPayments"]) == (
        "FAILED",
        [{"id": to_global_id("PendingPayment", item.id), "kind": "FAILED_CHARGE", "status": "DUE"}],
    )
    async with sessionmaker() as session:
        row = (await session.execute(select(PendingPayment).where(PendingPayment.id == item.id))).scalar_one()
    assert (row.status, row.payment_id) == ("DUE", None)


async def test_paying_an_item_in_payment_is_refused_and_changes_nothing(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])
    first = await gql(PAY, _pay_input(world, [item], method="BANK_TRANSFER"), token=world.finance.token)
    assert first["data"]["payPendingPayments"]["errors"] == []
    before = await snapshot(sessionmaker)

    result = await gql(PAY, _pay_input(world, [item], key="pp-2"), token=world.finance.token, lang="fr")

    assert result["data"]["payPendingPayments"] == {
        "payment": None,
        "pendingPayments": [],
        "errors": [
            {
                "code": "PENDING_PAYMENT_NOT_PAYABLE",
                "field": ["input", "pendingPaymentIds", "0"],
                "message": "Cet élément ne peut pas être payé : il n'est pas dû ou un paiement est déjà en cours.",
            }
        ],
    }
    assert await snapshot(sessionmaker) == before


async def test_a_failed_charge_whose_invoice_was_paid_directly_is_cancelled(gql, sessionmaker) -> None:
    from tests.factories_payments import PAY as PAY_INVOICES

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])
    direct = {
        "input": {
            "organisationId": world.org_id,
            "invoiceIds": world.invoice_ids(),
            "method": "CARD",
            "card": VISA_OK,
            "idempotencyKey": "inv-1",
        }
    }

    paid = await gql(PAY_INVOICES, direct, token=world.finance.token)
    refused = await gql(PAY, _pay_input(world, [item]), token=world.finance.token)

    assert paid["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"
    assert [e["code"] for e in refused["data"]["payPendingPayments"]["errors"]] == ["PENDING_PAYMENT_NOT_PAYABLE"]
    async with sessionmaker() as session:
        status = (await session.execute(select(PendingPayment.status).where(PendingPayment.id == item.id))).scalar_one()
    assert status == "CANCELLED"


async def test_items_of_two_currencies_are_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        euro = await make_invoice(session, world.account, total_minor=5000, currency="EUR")
        items = [await open_failed_charge(session, world.invoices[0]), await open_failed_charge(session, euro)]
    before = await snapshot(sessionmaker)

    result = await gql(PAY, _pay_input(world, items), token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payPendingPayments"]["errors"]] == [
        ("CURRENCY_MISMATCH", ["input", "pendingPaymentIds"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_an_unknown_or_foreign_item_answers_not_found(gql, sessionmaker) -> None:
    from tests.factories import make_organisation

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        stranger = await make_organisation(session)
        stranger_account = await make_account(session, stranger)
        foreign = await open_failed_charge(session, await make_invoice(session, stranger_account, total_minor=100))

    result = await gql(PAY, _pay_input(world, [foreign]), token=world.finance.token)

    assert [(e["code"], e["field"]) for e in result["data"]["payPendingPayments"]["errors"]] == [
        ("NOT_FOUND", ["input", "pendingPaymentIds", "0"])
    ]


async def test_a_page_of_5_and_a_page_of_50_cost_the_same_statements(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=tuple(1000 + i for i in range(60)))
        for invoice in world.invoices:
            await open_failed_charge(session, invoice)
    engine = app.state.guichet.engine

    counts = {}
    for first in (5, 50):
        await gql(LIST, {"id": world.org_id, "first": first}, token=world.finance.token)
        with counting(engine) as statements:
            result = await gql(LIST, {"id": world.org_id, "first": first}, token=world.finance.token)
        assert len(result["data"]["organisation"]["pendingPayments"]["edges"]) == first
        counts[first] = len(statements)

    assert counts[5] == counts[50]


async def _invoice_paid(sessionmaker, invoice_id):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (
            await session.execute(select(models.Invoice.amount_paid_minor).where(models.Invoice.id == invoice_id))
        ).scalar_one()


async def test_set_as_default_keeps_the_new_card_as_the_accounts_default(gql, sessionmaker) -> None:
    from tests.factories_billing_profiles import make_profile, save_card

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        await make_profile(session, world.account, auto_pay=True)
        await save_card(session, world.account, last4="0004", exp=(10, 2026))
        item = await open_failed_charge(session, world.invoices[0])
    new_card = {**VISA_OK, "number": "5555 5555 5555 4444"}

    result = await gql(PAY, _pay_input(world, [item], card=new_card, setAsDefault=True), token=world.finance.token)

    assert result["data"]["payPendingPayments"]["payment"]["status"] == "SUCCEEDED"
    async with sessionmaker() as session:
        from guichet.domain.models.billing_profiles import SavedPaymentMethod

        rows = (await session.execute(select(SavedPaymentMethod).order_by(SavedPaymentMethod.id))).scalars().all()
    assert [(r.card_brand, r.card_last4, r.default_for_account_id) for r in rows] == [
        ("VISA", "0004", None),
        ("MASTERCARD", "4444", world.account.id),
    ]


async def test_set_as_default_needs_billing_profile_write(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])
        await set_permissions(session, world.org, world.finance.contact_id, denials=[("BILLING_PROFILE", "WRITE")])
    before = await snapshot(sessionmaker)

    result = await gql(PAY, _pay_input(world, [item], setAsDefault=True), token=world.finance.token)

    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert await snapshot(sessionmaker) == before


async def test_a_saved_card_pays_invoices_of_its_account(gql, sessionmaker) -> None:
    from tests.factories_billing_profiles import save_card
    from tests.factories_payments import PAY as PAY_INVOICES

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        card = await save_card(session, world.account)
    variables = {
        "input": {
            "organisationId": world.org_id,
            "invoiceIds": world.invoice_ids(),
            "method": "CARD",
            "savedPaymentMethodId": to_global_id("SavedPaymentMethod", card.id),
            "idempotencyKey": "saved-1",
        }
    }

    result = await gql(PAY_INVOICES, variables, token=world.finance.token)

    assert result["data"]["payInvoices"]["payment"]["status"] == "SUCCEEDED"
    assert await _invoice_paid(sessionmaker, world.invoices[0].id) == 25000


async def test_a_saved_card_of_another_account_or_expired_is_refused(gql, sessionmaker) -> None:
    from tests.factories_billing_profiles import save_card
    from tests.factories_payments import PAY as PAY_INVOICES

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        other = await make_account(session, world.org, name="Other")
        foreign_card = await save_card(session, other)
        expired = await save_card(session, world.account, last4="0004", exp=(10, 2026))
    before = await snapshot(sessionmaker)

    answers = []
    for key, method in (("a", foreign_card), ("b", expired)):
        variables = {
            "input": {
                "organisationId": world.org_id,
                "invoiceIds": world.invoice_ids(),
                "method": "CARD",
                "savedPaymentMethodId": to_global_id("SavedPaymentMethod", method.id),
                "idempotencyKey": key,
            }
        }
        result = await gql(PAY_INVOICES, variables, token=world.finance.token)
        answers.append([(e["code"], e["field"]) for e in result["data"]["payInvoices"]["errors"]])

    assert answers == [
        [("NOT_FOUND", ["input", "savedPaymentMethodId"])],
        [("CARD_INVALID", ["input", "savedPaymentMethodId"])],
    ]
    assert await snapshot(sessionmaker) == before

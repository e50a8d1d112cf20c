"""Organisation.rewards, the ledger and redeemRewards through the ASGI app."""

from __future__ import annotations

from datetime import date

from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from tests.api.test_invoices_download import pdf_text
from tests.factories import make_account, make_invoice, make_member, make_organisation
from tests.factories_pending_payments import open_failed_charge
from tests.factories_rewards import add_lot, eligible_invoice, ledger_snapshot

ACCOUNTS = """
query($id: ID!) { organisation(id: $id) { rewards {
  currency available { amount currency } earned { amount } redeemed { amount } expired { amount }
  expiringSoon { amount } nextExpiry { date amount { amount } }
  transactions(first: 10) { totalCount edges { node {
    type amount { amount } balanceAfter { amount } expiresAt note invoice { number } actor { email } } } }
} } }
"""

REDEEM = """
mutation($input: RedeemRewardsInput!) { redeemRewards(input: $input) {
  transaction { type amount { amount currency } balanceAfter { amount } invoice { number } }
  invoice { number status total { amount } amountPaid { amount } rewardsApplied { amount } amountDue { amount }
            rewardsEligible }
  errors { code field }
} }
"""


async def _world(session, *, role="FINANCE"):  # type: ignore[no-untyped-def]
    org = await make_organisation(session)
    account = await make_account(session, org)
    member = await make_member(session, org, roles=[(role, None)])
    return org, account, member


def _input(invoice, amount: str, key: str = "rw-1") -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {"input": {"invoiceId": to_global_id("Invoice", invoice.id), "amount": amount, "idempotencyKey": key}}


async def test_an_account_per_currency_sums_its_ledger(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, _, member = await _world(session)
        await add_lot(session, org, 50000, expires_at=date(2026, 12, 10))  # within 30 days of 25 Nov 2026
        await add_lot(session, org, 30000, expires_at=date(2027, 6, 30))
        await add_lot(session, org, 1500, currency="EUR", expires_at=None)

    response = await gql(ACCOUNTS, {"id": to_global_id("Organisation", org.id)}, token=member.token)

    accounts = response["data"]["organisation"]["rewards"]
    assert [a["currency"] for a in accounts] == ["EUR", "XOF"]
    xof = accounts[1]
    assert xof["available"] == {"amount": "80000", "currency": "XOF"}
    assert (xof["earned"], xof["redeemed"], xof["expired"]) == ({"amount": "80000"}, {"amount": "0"}, {"amount": "0"})
    assert xof["expiringSoon"] == {"amount": "50000"}
    assert xof["nextExpiry"] == {"date": "2026-12-10", "amount": {"amount": "50000"}}
    assert xof["transactions"]["totalCount"] == 2
    assert accounts[0]["available"] == {"amount": "15.00", "currency": "EUR"}
    assert accounts[0]["nextExpiry"] is None


async def test_redeeming_part_of_an_invoice_takes_the_oldest_expiring_lot_first(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        late = await add_lot(session, org, 30000, expires_at=date(2027, 6, 30))
        await add_lot(session, org, 20000, expires_at=date(2027, 1, 31))
        invoice = await eligible_invoice(session, account, total_minor=100000)

    response = await gql(REDEEM, _input(invoice, "35000"), token=member.token)

    payload = response["data"]["redeemRewards"]
    assert payload["errors"] == []
    assert payload["transaction"] == {
        "type": "REDEEMED",
        "amount": {"amount": "-35000", "currency": "XOF"},
        "balanceAfter": {"amount": "15000"},
        "invoice": {"number": invoice.number},
    }
    assert payload["invoice"] == {
        "number": invoice.number,
        "status": "OVERDUE",
        "total": {"amount": "100000"},
        "amountPaid": {"amount": "0"},
        "rewardsApplied": {"amount": "35000"},
        "amountDue": {"amount": "65000"},
        "rewardsEligible": True,
    }
    accounts = (await gql(ACCOUNTS, {"id": to_global_id("Organisation", org.id)}, token=member.token))["data"]
    (xof,) = accounts["organisation"]["rewards"]
    assert xof["available"]["amount"] == "15000" and xof["redeemed"] == {"amount": "35000"}
    # The January lot is spent; 15,000 remain of the June one.
    assert xof["nextExpiry"] == {"date": late.expires_at.isoformat(), "amount": {"amount": "15000"}}
    assert xof["transactions"]["edges"][0]["node"]["actor"] == {"email": member.email}


async def test_redeeming_the_whole_amount_due_makes_the_invoice_paid(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 60000)
        invoice = await eligible_invoice(session, account, total_minor=40000, paid_minor=10000)

    response = await gql(REDEEM, _input(invoice, "30000"), token=member.token)

    got = response["data"]["redeemRewards"]["invoice"]
    assert (got["status"], got["amountPaid"], got["rewardsApplied"], got["amountDue"]) == (
        "PAID",
        {"amount": "10000"},
        {"amount": "30000"},
        {"amount": "0"},
    )


async def test_the_same_key_twice_redeems_once(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 60000)
        invoice = await eligible_invoice(session, account, total_minor=40000)

    first = await gql(REDEEM, _input(invoice, "10000"), token=member.token)
    before = await ledger_snapshot(sessionmaker)
    again = await gql(REDEEM, _input(invoice, "10000"), token=member.token)

    assert again["data"]["redeemRewards"]["transaction"] == first["data"]["redeemRewards"]["transaction"]
    assert await ledger_snapshot(sessionmaker) == before
    other = await gql(REDEEM, _input(invoice, "20000"), token=member.token)
    assert other["data"]["redeemRewards"]["errors"] == [
        {"code": "IDEMPOTENCY_KEY_REUSED", "field": ["input", "idempotencyKey"]}
    ]
    assert await ledger_snapshot(sessionmaker) == before


async def _refusal(gql, sessionmaker, member, variables, expected):  # type: ignore[no-untyped-def]
    before = await ledger_snapshot(sessionmaker)
    response = await gql(REDEEM, variables, token=member.token)
    assert response["data"]["redeemRewards"] == {"transaction": None, "invoice": None, "errors": expected}
    assert await ledger_snapshot(sessionmaker) == before


async def test_more_than_the_balance_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 20000)
        invoice = await eligible_invoice(session, account)
    await _refusal(
        gql,
        sessionmaker,
        member,
        _input(invoice, "20001"),
        [{"code": "REWARD_BALANCE_INSUFFICIENT", "field": ["input", "amount"]}],
    )


async def test_an_invoice_not_eligible_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 20000)
        invoice = await make_invoice(session, account)
    await _refusal(
        gql,
        sessionmaker,
        member,
        _input(invoice, "1000"),
        [{"code": "INVOICE_NOT_ELIGIBLE_FOR_REWARDS", "field": ["input", "invoiceId"]}],
    )


async def test_more_than_the_amount_due_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 90000)
        invoice = await eligible_invoice(session, account, total_minor=40000, paid_minor=15000)
    await _refusal(
        gql,
        sessionmaker,
        member,
        _input(invoice, "25001"),
        [{"code": "AMOUNT_EXCEEDS_AMOUNT_DUE", "field": ["input", "amount"]}],
    )


async def test_rewards_of_another_currency_only_are_a_currency_mismatch(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 9000, currency="EUR")
        invoice = await eligible_invoice(session, account)
    await _refusal(
        gql,
        sessionmaker,
        member,
        _input(invoice, "1000"),
        [{"code": "CURRENCY_MISMATCH", "field": ["input", "invoiceId"]}],
    )


async def test_an_amount_with_too_many_decimals_is_a_validation_error(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 9000)
        invoice = await eligible_invoice(session, account)
    await _refusal(
        gql, sessionmaker, member, _input(invoice, "10.5"), [{"code": "VALIDATION", "field": ["input", "amount"]}]
    )
    await _refusal(
        gql, sessionmaker, member, _input(invoice, "0"), [{"code": "VALIDATION", "field": ["input", "amount"]}]
    )


async def test_an_invoice_of_another_organisation_is_unknown(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 9000)
        other_org = await make_organisation(session)
        foreign = await eligible_invoice(session, await make_account(session, other_org))
    await _refusal(
        gql, sessionmaker, member, _input(foreign, "1000"), [{"code": "NOT_FOUND", "field": ["input", "invoiceId"]}]
    )


async def test_an_invoice_outside_the_pay_scope_is_unknown(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        mine, theirs = await make_account(session, org), await make_account(session, org, name="Agence")
        member = await make_member(session, org, roles=[("FINANCE", mine.id)])
        await add_lot(session, org, 9000)
        invoice = await eligible_invoice(session, theirs)
    await _refusal(
        gql, sessionmaker, member, _input(invoice, "1000"), [{"code": "NOT_FOUND", "field": ["input", "invoiceId"]}]
    )


async def test_a_commercial_contact_without_invoices_pay_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session, role="COMMERCIAL")
        await add_lot(session, org, 9000)
        invoice = await eligible_invoice(session, account)
    await _refusal(
        gql, sessionmaker, member, _input(invoice, "1000"), [{"code": "FORBIDDEN", "field": ["input", "invoiceId"]}]
    )


async def test_an_invoice_with_a_payment_under_way_is_not_payable(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 9000)
        invoice = await eligible_invoice(session, account)
        invoice.pending_payment_id = 999
    await _refusal(
        gql,
        sessionmaker,
        member,
        _input(invoice, "1000"),
        [{"code": "INVOICE_NOT_PAYABLE", "field": ["input", "invoiceId"]}],
    )


LIST_PAID = """
query($id: ID!) { organisation(id: $id) { invoices(filter: {status: [PAID]}) { edges { node { number
  amountPaid { amount } rewardsApplied { amount } amountDue { amount } } } } } }
"""


async def test_an_invoice_settled_by_rewards_is_listed_as_paid(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 60000)
        invoice = await eligible_invoice(session, account, total_minor=40000)
        await make_invoice(session, account)  # unpaid: not listed

    await gql(REDEEM, _input(invoice, "40000"), token=member.token)
    response = await gql(LIST_PAID, {"id": to_global_id("Organisation", org.id)}, token=member.token)

    assert response["data"]["organisation"]["invoices"]["edges"] == [
        {
            "node": {
                "number": invoice.number,
                "amountPaid": {"amount": "0"},
                "rewardsApplied": {"amount": "40000"},
                "amountDue": {"amount": "0"},
            }
        }
    ]


async def test_a_failed_charge_of_the_invoice_follows_what_is_left(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 60000)
        invoice = await eligible_invoice(session, account, total_minor=40000)
        item = await open_failed_charge(session, invoice)

    await gql(REDEEM, _input(invoice, "15000", key="part"), token=member.token)
    async with sessionmaker() as session:
        after_part = await session.get(PendingPayment, item.id)
        assert after_part is not None and (after_part.status, after_part.amount_minor) == ("DUE", 25000)
    await gql(REDEEM, _input(invoice, "25000", key="rest"), token=member.token)
    async with sessionmaker() as session:
        after_all = await session.get(PendingPayment, item.id)
        assert after_all is not None and after_all.status == "CANCELLED"


async def test_the_invoice_pdf_shows_the_rewards_applied(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, member = await _world(session)
        await add_lot(session, org, 60000)
        invoice = await eligible_invoice(session, account, total_minor=40000, paid_minor=5000)
    await gql(REDEEM, _input(invoice, "15000"), token=member.token)
    url = (
        await gql(
            "query($id: ID!) { node(id: $id) { ... on Invoice { downloadUrl } } }",
            {"id": to_global_id("Invoice", invoice.id)},
            token=member.token,
        )
    )["data"]["node"]["downloadUrl"]

    response = await http.get(url.removeprefix("http://guichet.test"), headers={"Accept-Language": "fr"})

    text = pdf_text(response.content)
    for expected in ("Déjà payé", "5 000 XOF", "Récompenses utilisées", "15 000 XOF", "Reste à payer", "20 000 XOF"):
        assert expected in text


async def test_an_organisation_without_rewards_shows_an_empty_account_in_its_currency(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, _, member = await _world(session)

    response = await gql(ACCOUNTS, {"id": to_global_id("Organisation", org.id)}, token=member.token)

    assert response["data"]["organisation"]["rewards"] == [
        {
            "currency": "XOF",
            "available": {"amount": "0", "currency": "XOF"},
            "earned": {"amount": "0"},
            "redeemed": {"amount": "0"},
            "expired": {"amount": "0"},
            "expiringSoon": {"amount": "0"},
            "nextExpiry": None,
            "transactions": {"totalCount": 0, "edges": []},
        }
    ]

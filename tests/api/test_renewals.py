"""guichet jobs renewals: one RENEWAL pending payment per term; paying it extends the contract 12 months."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from guichet.domain.contracts.renewals import run_renewals
from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract
from guichet.domain.models.pending_payments import PendingPayment
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_contracts import make_contract

AS_OF = date(2026, 12, 1)  # 30 days before 31 December

CONTRACT = """
query($id: ID!) { node(id: $id) { ... on Contract { number endDate renewalNoticeDate status
  pendingPayments { kind status amount { amount currency } dueDate description contract { number } } } } }
"""

PAY = """
mutation($input: PayPendingPaymentsInput!) { payPendingPayments(input: $input) {
  payment { status } pendingPayments { kind status contract { number endDate renewalNoticeDate } } errors { code field }
} }
"""


async def _world(sessionmaker, **contract):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        support = await make_contract(
            session,
            account,
            lines=[
                {"product": "Premier Support", "quantity": 2, "unit_price_minor": 60000},
                {"product": "Astreinte", "quantity": 1, "unit_price_minor": 90000, "frequency": "QUARTERLY"},
                {"product": "Mise en service", "quantity": 1, "unit_price_minor": 150000, "frequency": "ONE_TIME"},
            ],
            **contract,
        )
    return org, finance, support


async def _items(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        rows = (await session.execute(select(PendingPayment).order_by(PendingPayment.id))).scalars().all()
        return [(r.kind, r.status, r.amount_minor, r.due_date, r.contract_id) for r in rows]


async def test_a_contract_ending_within_30_days_gets_one_renewal_of_its_recurring_lines(gql, sessionmaker) -> None:
    org, finance, support = await _world(sessionmaker)

    report = await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)
    again = await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)

    assert (report.opened, again.opened, again.already_open) == (1, 0, 1)
    # 2 × 60,000 × 12 months + 90,000 × 4 quarters; the one-time line is not renewed.
    assert await _items(sessionmaker) == [("RENEWAL", "DUE", 1_800_000, date(2026, 12, 31), support.id)]
    response = await gql(CONTRACT, {"id": to_global_id("Contract", support.id)}, token=finance.token)
    (item,) = response["data"]["node"]["pendingPayments"]
    assert item == {
        "kind": "RENEWAL",
        "status": "DUE",
        "amount": {"amount": "1800000", "currency": "XOF"},
        "dueDate": "2026-12-31",
        "description": f"Renewal of {support.number} (Support Premier) for 12 months from 2027-01-01",
        "contract": {"number": support.number},
    }


async def test_contracts_not_due_yet_not_renewing_or_not_active_get_nothing(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        await make_contract(session, account, end=date(2027, 1, 1))  # 31 days after AS_OF
        await make_contract(session, account, auto_renew=False)
        await make_contract(session, account, status="NON_RENEWING")
        await make_contract(session, account, end=None, notice=None)  # evergreen

    report = await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)

    assert report.opened == 0 and await _items(sessionmaker) == []


async def test_paying_the_renewal_extends_the_contract_by_12_months(gql, sessionmaker) -> None:
    org, finance, support = await _world(sessionmaker)
    await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)
    async with sessionmaker() as session:
        item_id = (await session.execute(select(PendingPayment.id))).scalar_one()
    variables = {
        "input": {
            "organisationId": to_global_id("Organisation", org.id),
            "pendingPaymentIds": [to_global_id("PendingPayment", item_id)],
            "method": "CARD",
            "card": {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"},
            "idempotencyKey": "renew-2027",
        }
    }

    response = await gql(PAY, variables, token=finance.token)

    payload = response["data"]["payPendingPayments"]
    assert payload["errors"] == [] and payload["payment"] == {"status": "SUCCEEDED"}
    assert payload["pendingPayments"] == [
        {
            "kind": "RENEWAL",
            "status": "PAID",
            "contract": {"number": support.number, "endDate": "2027-12-31", "renewalNoticeDate": "2027-11-30"},
        }
    ]
    # The next run is for the new term, not due for 11 months: nothing new.
    assert (await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)).opened == 0


async def test_a_renewal_still_due_after_the_end_date_expires_with_its_contract(sessionmaker) -> None:
    _, _, support = await _world(sessionmaker)
    await run_renewals(sessionmaker, as_of=AS_OF, now=TEST_NOW)

    report = await run_renewals(sessionmaker, as_of=date(2027, 1, 1), now=TEST_NOW)

    assert report.expired == 1
    assert [i[:2] for i in await _items(sessionmaker)] == [("RENEWAL", "EXPIRED")]
    async with sessionmaker() as session:
        assert (await session.execute(select(Contract.status).where(Contract.id == support.id))).scalar_one() == (
            "EXPIRED"
        )

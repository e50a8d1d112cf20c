"""Exactly once under concurrency, on PostgreSQL (several server processes share only the database)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from guichet.domain.models.payments import Payment, WebhookEvent
from tests.conftest import POSTGRES_URL, TEST_NOW
from tests.factories_payments import PAY, make_pay_world, pay_input, send_webhook, snapshot

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL"),
]


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    return postgres_database_url


@pytest.fixture
def postgres_database_url(request: pytest.FixtureRequest, postgres_template: str | None):  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy.engine import make_url

    from tests.conftest import _pg_execute

    assert POSTGRES_URL and postgres_template
    name = f"guichet_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _count_payments(sessionmaker) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Payment))).scalar_one()


async def test_twenty_identical_requests_make_one_payment(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    results = await asyncio.gather(*(gql(PAY, pay_input(world), token=world.finance.token) for _ in range(20)))

    payloads = [r["data"]["payInvoices"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p["payment"]["id"] for p in payloads}) == 1
    assert await _count_payments(sessionmaker) == 1


async def test_twenty_keys_racing_for_one_invoice_make_one_payment(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)

    results = await asyncio.gather(
        *(gql(PAY, pay_input(world, key=f"key-{n}"), token=world.finance.token) for n in range(20))
    )

    payloads = [r["data"]["payInvoices"] for r in results]
    winners = [p for p in payloads if p["payment"] is not None]
    losers = [p for p in payloads if p["payment"] is None]
    assert len(winners) == 1
    assert {e["code"] for p in losers for e in p["errors"]} == {"INVOICE_NOT_PAYABLE"}
    assert len(losers) == 19
    assert await _count_payments(sessionmaker) == 1
    snap = await snapshot(sessionmaker)
    assert snap.keys == 1  # the losers' keys were rolled back with their attempt


async def test_concurrent_deliveries_settle_once(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]
    succeeded = {"reference": payment["reference"], "status": "SUCCEEDED"}
    failed = {"reference": payment["reference"], "status": "FAILED", "reason": "insufficient_funds"}

    responses = await asyncio.gather(
        *(send_webhook(http, "orange-money", succeeded if n % 2 == 0 else failed, at=TEST_NOW) for n in range(20))
    )

    assert {r.status_code for r in responses} == {200}
    # Each distinct event applies at most once. A FAILED applied first is overturned by the
    # provider's SUCCEEDED (money moved: the payment reopens), so the outcome is always SUCCEEDED.
    assert sum(1 for r in responses if r.json()["applied"]) in {1, 2}
    snap = await snapshot(sessionmaker)
    assert snap.payments[0][1] == "SUCCEEDED"
    async with sessionmaker() as session:
        events = (await session.execute(select(func.count()).select_from(WebhookEvent))).scalar_one()
    assert events == 2  # one per distinct event; the 18 replays stored nothing
    assert [i[1:] for i in snap.invoices] == [(25000, None), (30000, None)]


async def test_twenty_identical_card_requests_charge_once_and_all_answer_the_outcome(app, gql, sessionmaker) -> None:
    from tests.factories_card_charges import VISA_OK, ScriptedGateway, use_gateway

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    gateway = ScriptedGateway(delay=0.2)  # a provider slow enough for the twins to find the payment PENDING
    use_gateway(app, gateway)
    data = pay_input(world, method="CARD", card=VISA_OK)

    results = await asyncio.gather(*(gql(PAY, data, token=world.finance.token) for _ in range(20)))

    payloads = [r["data"]["payInvoices"] for r in results]
    assert all(p == payloads[0] for p in payloads), payloads
    assert payloads[0]["payment"]["status"] == "SUCCEEDED"
    assert len(gateway.calls) == 1
    snap = await snapshot(sessionmaker)
    assert [p[1] for p in snap.payments] == ["SUCCEEDED"]
    assert [i[1:] for i in snap.invoices] == [(25000, None), (30000, None)]


async def test_twenty_card_keys_racing_for_one_invoice_charge_once(app, gql, sessionmaker) -> None:
    from tests.factories_card_charges import VISA_OK, ScriptedGateway, use_gateway

    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    gateway = ScriptedGateway(delay=0.2)
    use_gateway(app, gateway)

    results = await asyncio.gather(
        *(
            gql(PAY, pay_input(world, key=f"key-{n}", method="CARD", card=VISA_OK), token=world.finance.token)
            for n in range(20)
        )
    )

    payloads = [r["data"]["payInvoices"] for r in results]
    winners = [p for p in payloads if p["payment"] is not None]
    assert [w["payment"]["status"] for w in winners] == ["SUCCEEDED"]
    assert {e["code"] for p in payloads if p["payment"] is None for e in p["errors"]} == {"INVOICE_NOT_PAYABLE"}
    assert len(gateway.calls) == 1
    assert await _count_payments(sessionmaker) == 1

"""Payments end to end against real `guichet serve` processes.

On PostgreSQL (GUICHET_TEST_POSTGRES_URL set) two servers share the database: the subscriber
listens on server A while the webhook reaches server B, so delivery crosses processes through
LISTEN/NOTIFY. Without PostgreSQL, one server on a SQLite file plays both parts.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from guichet.db import create_engine, session_factory
from guichet.domain.payments.webhooks import signature_header
from tests.conftest import POSTGRES_URL
from tests.e2e.support import WEBHOOK_SECRET, Server, Socket, guichet_env, run_guichet, running_server
from tests.factories_payments import PayWorld, make_pay_world

pytestmark = pytest.mark.e2e

PAY = """
mutation($input: PayInvoicesInput!) {
  payInvoices(input: $input) { payment { id reference status instructions } errors { code field } }
}
"""
PAYMENT = """
query($id: ID!) { node(id: $id) { ... on Payment { status failure { code message support { kind value } } } } }
"""
INVOICES = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Invoice { number status paymentPending amountPaid { amount } } } }
"""
COUNT = "query($id: ID!) { organisation(id: $id) { payments { totalCount } } }"


@dataclass
class Servers:
    a: Server  # the subscriber's server
    b: Server  # the provider's webhooks reach this one
    database_url: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    from tests.conftest import _pg_execute

    name = None
    if POSTGRES_URL:
        name = f"guichet_e2e_pay_{uuid.uuid4().hex[:10]}"
        _pg_execute(f'CREATE DATABASE "{name}"')
        database_url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('e2e-pay')) / 'guichet.db'}"
    env = guichet_env(database_url)
    try:
        upgraded = run_guichet("db", "upgrade", env=env)
        assert upgraded.returncode == 0, upgraded.stderr
        with running_server(env) as a:
            if POSTGRES_URL:
                with running_server(env) as b:
                    yield Servers(a, b, database_url)
            else:
                yield Servers(a, a, database_url)
    finally:
        if name:
            _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _world(servers: Servers, **kwargs: Any) -> PayWorld:
    engine = create_engine(servers.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await make_pay_world(session, **kwargs)
    finally:
        await engine.dispose()


async def _gql(client: httpx.AsyncClient, server: Server, query: str, variables: dict[str, Any], token: str) -> Any:
    response = await client.post(
        f"{server.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "fr"},
        timeout=60,
    )
    assert response.status_code == 200, f"{response.text}\n{server.log()}"
    return response.json()


def _pay_input(world: PayWorld, key: str) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": world.org_id,
            "invoiceIds": world.invoice_ids(),
            "method": "ORANGE_MONEY",
            "msisdn": "07 01 02 03 04",
            "idempotencyKey": key,
        }
    }


async def _webhook(
    client: httpx.AsyncClient,
    server: Server,
    event: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
) -> httpx.Response:
    body = json.dumps(event).encode()
    header = signature_header(body, secret, int(time.time()) if at is None else at)
    return await client.post(
        f"{server.base_url}/webhooks/payments/orange-money",
        content=body,
        headers={"Guichet-Signature": header, "Content-Type": "application/json"},
    )


async def test_orange_money_settled_by_webhook_on_another_server_reaches_the_subscriber(servers: Servers) -> None:
    world = await _world(servers)
    token = world.finance.token
    async with httpx.AsyncClient() as client:
        paid = await _gql(client, servers.a, PAY, _pay_input(world, "e2e-ok"), token)
        payment = paid["data"]["payInvoices"]["payment"]
        assert payment["status"] == "PENDING"
        assert "+2250701020304" in payment["instructions"]
        socket = await Socket.open(servers.a, token)
        try:
            await socket.subscribe(
                "pay", "subscription($id: ID!) { paymentUpdated(paymentId: $id) { status } }", {"id": payment["id"]}
            )
            assert await socket.next("pay") == {"paymentUpdated": {"status": "PENDING"}}

            response = await _webhook(client, servers.b, {"reference": payment["reference"], "status": "SUCCEEDED"})
            assert response.status_code == 200, response.text

            assert await socket.next("pay") == {"paymentUpdated": {"status": "SUCCEEDED"}}
        finally:
            await socket.close()
        invoices = await _gql(client, servers.a, INVOICES, {"ids": world.invoice_ids()}, token)
    assert invoices["data"]["nodes"] == [
        {
            "number": world.invoices[0].number,
            "status": "PAID",
            "paymentPending": False,
            "amountPaid": {"amount": "25000"},
        },
        {
            "number": world.invoices[1].number,
            "status": "PAID",
            "paymentPending": False,
            "amountPaid": {"amount": "30000"},
        },
    ]


async def test_failed_webhook_leaves_invoices_payable_with_support_channels(servers: Servers) -> None:
    world = await _world(servers)
    token = world.finance.token
    async with httpx.AsyncClient() as client:
        payment = (await _gql(client, servers.a, PAY, _pay_input(world, "e2e-fail"), token))["data"]["payInvoices"][
            "payment"
        ]
        response = await _webhook(
            client, servers.b, {"reference": payment["reference"], "status": "FAILED", "reason": "insufficient balance"}
        )
        assert response.status_code == 200
        node = (await _gql(client, servers.a, PAYMENT, {"id": payment["id"]}, token))["data"]["node"]
        invoices = (await _gql(client, servers.a, INVOICES, {"ids": world.invoice_ids()}, token))["data"]["nodes"]
    assert node["status"] == "FAILED"
    assert node["failure"]["code"] == "insufficient_funds"
    assert "solde est insuffisant" in node["failure"]["message"]
    assert {("PHONE", "0808")} <= {(c["kind"], c["value"]) for c in node["failure"]["support"]}
    assert {c["kind"] for c in node["failure"]["support"]} >= {"PHONE", "WHATSAPP", "EMAIL"}
    assert [(i["status"], i["paymentPending"]) for i in invoices] == [("OVERDUE", False), ("OVERDUE", False)]


async def test_forged_stale_and_replayed_webhooks_change_nothing(servers: Servers) -> None:
    world = await _world(servers)
    token = world.finance.token
    async with httpx.AsyncClient() as client:
        payment = (await _gql(client, servers.a, PAY, _pay_input(world, "e2e-forged"), token))["data"]["payInvoices"][
            "payment"
        ]
        event = {"reference": payment["reference"], "status": "SUCCEEDED"}
        forged = await _webhook(client, servers.b, event, secret="not-the-secret")
        stale = await _webhook(client, servers.b, event, at=int(time.time()) - 301)
        assert (forged.status_code, stale.status_code) == (400, 400)
        still = (await _gql(client, servers.a, PAYMENT, {"id": payment["id"]}, token))["data"]["node"]
        assert still["status"] == "PENDING"

        applied = await _webhook(client, servers.b, event)
        replayed = await _webhook(client, servers.a, event)
        contradicting = await _webhook(client, servers.a, {**event, "status": "FAILED"})
        final = (await _gql(client, servers.a, PAYMENT, {"id": payment["id"]}, token))["data"]["node"]
        invoices = (await _gql(client, servers.a, INVOICES, {"ids": world.invoice_ids()}, token))["data"]["nodes"]
    assert applied.json() == {"ok": True, "replayed": False, "applied": True}
    assert replayed.status_code == 200 and replayed.json()["replayed"] is True
    assert contradicting.status_code == 200 and contradicting.json()["applied"] is False
    assert final["status"] == "SUCCEEDED"
    assert [i["amountPaid"]["amount"] for i in invoices] == ["25000", "30000"]


async def test_twenty_identical_requests_make_one_payment(servers: Servers) -> None:
    world = await _world(servers)
    token = world.finance.token
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=40)) as client:
        results = await asyncio.gather(
            *(
                _gql(client, servers.a if n % 2 else servers.b, PAY, _pay_input(world, "e2e-same"), token)
                for n in range(20)
            )
        )
        count = await _gql(client, servers.a, COUNT, {"id": world.org_id}, token)
    payments = {r["data"]["payInvoices"]["payment"]["id"] for r in results}
    assert len(payments) == 1
    assert count["data"]["organisation"]["payments"]["totalCount"] == 1


async def test_twenty_keys_racing_for_one_invoice_make_one_payment(servers: Servers) -> None:
    world = await _world(servers)
    token = world.finance.token
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=40)) as client:
        results = await asyncio.gather(
            *(
                _gql(client, servers.a if n % 2 else servers.b, PAY, _pay_input(world, f"e2e-race-{n}"), token)
                for n in range(20)
            )
        )
        count = await _gql(client, servers.a, COUNT, {"id": world.org_id}, token)
    payloads = [r["data"]["payInvoices"] for r in results]
    assert sum(1 for p in payloads if p["payment"] is not None) == 1
    assert {e["code"] for p in payloads for e in p["errors"]} == {"INVOICE_NOT_PAYABLE"}
    assert count["data"]["organisation"]["payments"]["totalCount"] == 1

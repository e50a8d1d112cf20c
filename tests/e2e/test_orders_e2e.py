"""The shop end to end against a real `guichet serve`: the commercial contact checks out, finance
pays the order by Orange Money, the provider's signed webhook acknowledges it, the back office's
signed webhook ships it, and a subscriber of orderUpdated sees each change."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.payments.webhooks import signature_header
from tests.e2e.support import WEBHOOK_SECRET, Server, Socket, guichet_env, migrated_database, running_server
from tests.factories_shop import (
    ADD,
    CHECKOUT,
    ORDER_FIELDS,
    PAY_PENDING,
    ShopWorld,
    checkout_input,
    item,
    make_shop_world,
)

pytestmark = pytest.mark.e2e

WATCH = "subscription($id: ID!) { orderUpdated(organisationId: $id) { number status shipments { carrier status } } }"
PENDING = """
query($id: ID!) { organisation(id: $id) { pendingPayments(filter: {kind: [ORDER]}) { edges { node { id status } } } } }
"""
PAY = PAY_PENDING.replace("payment { status method }", "payment { status method reference }")
ORDER = "query($id: ID!) { node(id: $id) { ... on Order { " + ORDER_FIELDS + " } } }"


@dataclass
class Setup:
    server: Server
    database_url: str


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = Path(tmp_path_factory.mktemp("e2e-orders"))
    with migrated_database("orders", folder) as database_url, running_server(guichet_env(database_url)) as server:
        yield Setup(server, database_url)


async def _world(setup: Setup) -> ShopWorld:
    engine = create_engine(setup.database_url)
    try:
        return await make_shop_world(session_factory(engine))
    finally:
        await engine.dispose()


async def _gql(client: httpx.AsyncClient, setup: Setup, query: str, variables: dict[str, Any], token: str) -> Any:
    response = await client.post(
        f"{setup.server.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, f"{response.text}\n{setup.server.log()}"
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _signed(client: httpx.AsyncClient, setup: Setup, path: str, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event).encode()
    return await client.post(
        f"{setup.server.base_url}{path}",
        content=body,
        headers={
            "Guichet-Signature": signature_header(body, WEBHOOK_SECRET, int(time.time())),
            "Content-Type": "application/json",
        },
    )


async def test_checkout_paid_by_finance_acknowledged_then_shipped_reaches_the_subscriber(setup: Setup) -> None:
    world = await _world(setup)
    async with httpx.AsyncClient() as client:
        added = await _gql(
            client,
            setup,
            ADD,
            {
                "input": {
                    "organisationId": world.org_id,
                    "billingAccountId": world.account_id,
                    "items": [item(world, "SIM-4G", 3)],
                }
            },
            world.commercial.token,
        )
        cart = added["addCartItems"]["cart"]
        placed = await _gql(
            client, setup, CHECKOUT, checkout_input(cart, terms="PAY_NOW", poNumber="PO-E2E"), world.commercial.token
        )
        order = placed["checkoutCart"]["order"]
        assert (order["status"], order["oneTimeTotal"]["amount"]) == ("AWAITING_PAYMENT", "3000")

        socket = await Socket.open(setup.server, world.commercial.token)
        try:
            await socket.subscribe("orders", WATCH, {"id": world.org_id})

            pending = await _gql(client, setup, PENDING, {"id": world.org_id}, world.finance.token)
            (node,) = [e["node"] for e in pending["organisation"]["pendingPayments"]["edges"]]
            paid = await _gql(
                client,
                setup,
                PAY,
                {
                    "input": {
                        "organisationId": world.org_id,
                        "pendingPaymentIds": [node["id"]],
                        "method": "ORANGE_MONEY",
                        "msisdn": "07 01 02 03 04",
                        "idempotencyKey": "e2e-order",
                    }
                },
                world.finance.token,
            )
            payment = paid["payPendingPayments"]["payment"]
            assert payment["status"] == "PENDING"

            provider = await _signed(
                client,
                setup,
                "/webhooks/payments/orange-money",
                {"reference": payment["reference"], "status": "SUCCEEDED"},
            )
            assert provider.status_code == 200, provider.text
            assert await socket.next("orders") == {
                "orderUpdated": {"number": order["number"], "status": "ACKNOWLEDGED", "shipments": []}
            }

            shipped = await _signed(
                client,
                setup,
                "/webhooks/back-office/orders",
                {
                    "eventId": f"e2e-{order['number']}",
                    "number": order["number"],
                    "status": "IN_PROGRESS",
                    "shipment": {"carrier": "DHL", "trackingNumber": "JD0042", "status": "SHIPPED"},
                },
            )
            assert shipped.status_code == 200, shipped.text
            assert await socket.next("orders") == {
                "orderUpdated": {
                    "number": order["number"],
                    "status": "IN_PROGRESS",
                    "shipments": [{"carrier": "DHL", "status": "SHIPPED"}],
                }
            }
        finally:
            await socket.close()
        seen = await _gql(client, setup, ORDER, {"id": order["id"]}, world.commercial.token)
    assert [h["status"] for h in seen["node"]["statusHistory"]] == ["AWAITING_PAYMENT", "ACKNOWLEDGED", "IN_PROGRESS"]
    assert seen["node"]["poNumber"] == "PO-E2E"

"""Orders exactly once under concurrency, on PostgreSQL: 20 checkouts of one cart make one order,
concurrent decisions make one decision, 20 checkouts paying at once make one payment."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from guichet.domain.models.payments import Payment
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import Order, OrderStatusChange
from tests.api.test_payments_concurrency import postgres_database_url  # noqa: F401  (the fixture)
from tests.conftest import POSTGRES_URL
from tests.factories import make_member
from tests.factories_shop import (
    APPROVE,
    CHECKOUT,
    REJECT,
    VISA_OK,
    checkout_input,
    fill_cart,
    make_shop_world,
    place,
    set_policy,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL"),
]


@pytest.fixture
def database_url(postgres_database_url: str) -> str:  # noqa: F811
    return postgres_database_url


async def _count(sessionmaker: Any, model: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_twenty_checkouts_of_one_cart_with_one_key_make_one_order(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial)
    variables = checkout_input(cart, key="same")

    results = await asyncio.gather(*(gql(CHECKOUT, variables, token=world.commercial.token) for _ in range(20)))

    payloads = [r["data"]["checkoutCart"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p["order"]["id"] for p in payloads}) == 1
    assert await _count(sessionmaker, Order) == 1
    assert await _count(sessionmaker, OrderStatusChange) == 1


async def test_twenty_checkouts_of_one_cart_with_twenty_keys_make_one_order(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial)

    results = await asyncio.gather(
        *(gql(CHECKOUT, checkout_input(cart, key=f"k-{i}"), token=world.commercial.token) for i in range(20))
    )

    payloads = [r["data"]["checkoutCart"] for r in results]
    placed = [p for p in payloads if p["errors"] == []]
    refused = [p["errors"] for p in payloads if p["errors"]]
    assert len(placed) == 1
    assert refused == [[{"code": "VALIDATION", "field": ["input", "cartId"]}]] * 19
    assert await _count(sessionmaker, Order) == 1


async def test_twenty_paying_checkouts_make_one_payment(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.buyer_payer)
    variables = checkout_input(cart, terms="PAY_NOW", key="pay", method="CARD", card=VISA_OK)

    results = await asyncio.gather(*(gql(CHECKOUT, variables, token=world.buyer_payer.token) for _ in range(20)))

    payloads = [r["data"]["checkoutCart"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert {p["order"]["status"] for p in payloads} == {"ACKNOWLEDGED"}
    assert await _count(sessionmaker, Order) == 1
    assert await _count(sessionmaker, Payment) == 1
    assert await _count(sessionmaker, PendingPayment) == 1


async def test_concurrent_approve_and_reject_make_one_decision(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000)
    async with sessionmaker() as session, session.begin():
        second = await make_member(session, world.org, roles=[("MANAGEMENT", None)])
    order = await place(gql, world, world.commercial)
    calls = [
        gql(
            APPROVE if i % 2 == 0 else REJECT,
            {"input": {"orderId": order["id"]}},
            token=(world.manager, second)[i % 2].token,
        )
        for i in range(10)
    ]

    results = await asyncio.gather(*calls)

    payloads = [r["data"].get("approveOrder") or r["data"].get("rejectOrder") for r in results]
    decided = [p for p in payloads if p["errors"] == []]
    assert len(decided) == 1
    assert [p["errors"] for p in payloads if p["errors"]] == [
        [{"code": "ORDER_NOT_PENDING_APPROVAL", "field": ["input", "orderId"]}]
    ] * 9
    async with sessionmaker() as session:
        history = list(
            (await session.execute(select(OrderStatusChange.status).order_by(OrderStatusChange.id))).scalars()
        )
    assert history == ["PENDING_APPROVAL", decided[0]["order"]["status"]]

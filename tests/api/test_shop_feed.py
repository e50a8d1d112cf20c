"""The feed's catalogue and back-office orders: upserted by code and number, source BACK_OFFICE,
re-import changes nothing, a bad record is named and nothing is written."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import import_feed
from guichet.domain.feed.parse import parse_feed
from guichet.domain.ids import to_global_id
from guichet.domain.models.shop import OfferingPrice, Order, OrderStatusChange
from tests.conftest import TEST_NOW
from tests.factories import make_member
from tests.factories_shop import OFFERINGS, ORDERS

FEED: dict[str, Any] = {
    "organisations": [
        {
            "taxpayerNumber": "CI-FEED-SHOP",
            "name": "ACME",
            "kind": "BUSINESS",
            "currency": "XOF",
            "billingAccounts": [{"number": "BA-SH-1", "name": "Siège"}],
            "offerings": [
                {
                    "code": "OPT-DATA-10G",
                    "name": "Option data 10 Go",
                    "kind": "OPTION",
                    "prices": [{"type": "RECURRING", "amount": "5000", "frequency": "MONTHLY"}],
                    "minQuantity": 1,
                    "maxQuantity": 50,
                    "quantityIncrement": 1,
                    "requiresLine": True,
                    "available": True,
                },
                {
                    "code": "SIM-4G",
                    "name": "Carte SIM 4G",
                    "kind": "SIM",
                    "prices": [{"type": "ONE_TIME", "amount": "1000"}],
                    "requiresLine": False,
                },
            ],
            "orders": [
                {
                    "number": "ORD-BO-0001",
                    "billingAccount": "BA-SH-1",
                    "status": "IN_PROGRESS",
                    "placedAt": "2026-11-02T09:00:00Z",
                    "poNumber": "PO-77",
                    "expectedCompletionDate": "2026-12-15",
                    "items": [
                        {
                            "description": "Installation fibre",
                            "quantity": 1,
                            "unitPrice": "150000",
                            "priceType": "ONE_TIME",
                        }
                    ],
                    "shipments": [
                        {
                            "carrier": "DHL",
                            "trackingNumber": "JD0001",
                            "status": "SHIPPED",
                            "shippedAt": "2026-11-20T10:00:00Z",
                        }
                    ],
                }
            ],
        }
    ]
}


async def _import(sessionmaker: Any, feed: dict[str, Any]) -> Any:
    async with sessionmaker() as session, session.begin():
        return await import_feed(session, parse_feed(feed), now=TEST_NOW)


async def _viewer(sessionmaker: Any) -> tuple[str, Any]:
    async with sessionmaker() as session, session.begin():
        org = (
            await session.execute(
                select(models.Organisation).where(models.Organisation.taxpayer_number == "CI-FEED-SHOP")
            )
        ).scalar_one()
        member = await make_member(session, org, roles=[("COMMERCIAL", None)])
    return to_global_id("Organisation", org.id), member


async def test_feed_loads_the_catalogue_and_back_office_orders(gql: Any, sessionmaker: Any) -> None:
    await _import(sessionmaker, FEED)
    org_id, member = await _viewer(sessionmaker)

    offerings = await gql(OFFERINGS, {"id": org_id}, token=member.token)
    orders = await gql(ORDERS, {"id": org_id, "filter": {"source": ["BACK_OFFICE"]}}, token=member.token)

    nodes = [e["node"] for e in offerings["data"]["organisation"]["offerings"]["edges"]]
    assert [(n["code"], n["kind"], n["requiresLine"], n["maxQuantity"]) for n in nodes] == [
        ("OPT-DATA-10G", "OPTION", True, 50),
        ("SIM-4G", "SIM", False, None),
    ]
    assert nodes[0]["prices"] == [
        {"type": "RECURRING", "frequency": "MONTHLY", "amount": {"amount": "5000", "currency": "XOF"}}
    ]
    (order,) = [e["node"] for e in orders["data"]["organisation"]["orders"]["edges"]]
    assert (order["number"], order["source"], order["status"], order["poNumber"], order["expectedCompletionDate"]) == (
        "ORD-BO-0001",
        "BACK_OFFICE",
        "IN_PROGRESS",
        "PO-77",
        "2026-12-15",
    )
    assert order["placedBy"] is None
    assert order["oneTimeTotal"] == {"amount": "150000", "currency": "XOF"}
    assert [(i["description"], i["amount"]["amount"], i["offering"]) for i in order["items"]] == [
        ("Installation fibre", "150000", None)
    ]
    assert order["shipments"] == [
        {
            "carrier": "DHL",
            "trackingNumber": "JD0001",
            "trackingUrl": None,
            "status": "SHIPPED",
            "shippedAt": "2026-11-20T10:00:00+00:00",
            "deliveredAt": None,
        }
    ]


async def test_reimporting_the_same_feed_changes_nothing_and_a_status_change_is_history(sessionmaker: Any) -> None:
    await _import(sessionmaker, FEED)

    async def state() -> tuple[Any, ...]:
        async with sessionmaker() as session:
            prices = (
                await session.execute(select(OfferingPrice.id, OfferingPrice.amount_minor).order_by(OfferingPrice.id))
            ).all()
            orders = (await session.execute(select(Order.id, Order.status, Order.version, Order.updated_at))).all()
            history = (
                (await session.execute(select(OrderStatusChange.status).order_by(OrderStatusChange.id))).scalars().all()
            )
        return tuple(prices), tuple(orders), tuple(history)

    before = await state()
    await _import(sessionmaker, FEED)
    assert await state() == before

    moved = copy.deepcopy(FEED)
    moved["organisations"][0]["orders"][0]["status"] = "COMPLETED"
    await _import(sessionmaker, moved)
    assert (await state())[2] == ("IN_PROGRESS", "COMPLETED")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("offerings", 0, "kind"), "PHONE", "organisations[0].offerings[0] (OPT-DATA-10G): kind must be one of"),
        (("orders", 0, "billingAccount"), "BA-NOPE", "organisations[0].orders[0] (ORD-BO-0001): billing account"),
        (("orders", 0, "status"), "SHIPPED", "organisations[0].orders[0] (ORD-BO-0001): status is not an order status"),
    ],
)
async def test_a_bad_record_is_named_and_nothing_is_written(
    sessionmaker: Any, path: tuple[Any, ...], value: Any, message: str
) -> None:
    bad = copy.deepcopy(FEED)
    bad["organisations"][0][path[0]][path[1]][path[2]] = value

    with pytest.raises(FeedError) as error:
        await _import(sessionmaker, bad)

    assert str(error.value).startswith(message)
    async with sessionmaker() as session:
        assert (await session.execute(select(Order.id))).first() is None

"""ACCESS.md rules 10 and 12 on orders: a role over one billing account sees only that account's
orders; only holders of the approval policy's role approve."""

from __future__ import annotations

from typing import Any

from tests.factories import make_member
from tests.factories_shop import APPROVE, ORDERS, make_shop_world, place, set_policy, snapshot

NODE = "query($id: ID!) { node(id: $id) { ... on Order { number } } }"


async def test_a_role_over_another_account_sees_none_of_its_orders(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000)
    order = await place(gql, world, world.commercial)
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_member(session, world.org, roles=[("MANAGEMENT", world.other_account.id)])
        here = await make_member(session, world.org, roles=[("MANAGEMENT", world.account.id)])
    before = await snapshot(sessionmaker)

    listed = await gql(ORDERS, {"id": world.org_id}, token=elsewhere.token)
    node = await gql(NODE, {"id": order["id"]}, token=elsewhere.token)
    approve = await gql(APPROVE, {"input": {"orderId": order["id"]}}, token=elsewhere.token)
    seen = await gql(ORDERS, {"id": world.org_id}, token=here.token)

    assert listed["data"]["organisation"]["orders"] == {"totalCount": 0, "edges": []}
    assert node == {"data": {"node": None}}
    assert approve["data"]["approveOrder"]["errors"] == [{"code": "NOT_FOUND", "field": ["input", "orderId"]}]
    assert await snapshot(sessionmaker) == before
    (shown,) = [e["node"] for e in seen["data"]["organisation"]["orders"]["edges"]]
    assert (shown["number"], shown["canApprove"]) == (order["number"], True)


async def test_only_the_policys_role_approves(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000, role="ADMIN")
    order = await place(gql, world, world.commercial)
    before = await snapshot(sessionmaker)

    listed = await gql(ORDERS, {"id": world.org_id}, token=world.manager.token)
    approve = await gql(APPROVE, {"input": {"orderId": order["id"]}}, token=world.manager.token)

    (shown,) = [e["node"] for e in listed["data"]["organisation"]["orders"]["edges"]]
    assert shown["canApprove"] is False
    assert approve["data"]["approveOrder"]["errors"] == [{"code": "FORBIDDEN", "field": ["input", "orderId"]}]
    assert await snapshot(sessionmaker) == before

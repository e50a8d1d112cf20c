"""orderUpdated through the app's schema and event broker: the back office's moves and the buyer's
cancellation reach subscribers in scope only."""

from __future__ import annotations

import asyncio
from typing import Any

from guichet.domain.ids import to_global_id
from guichet.resolvers.context import build_context
from tests.factories import make_member
from tests.factories_shop import ADD, CANCEL, CHECKOUT, back_office_orders, checkout_input, item, make_shop_world, place

UPDATED = "subscription($id: ID!) { orderUpdated(organisationId: $id) { number status canCancel } }"


async def _subscribe(app: Any, variables: dict[str, Any], token: str) -> Any:
    context = build_context(app.state.guichet, None, headers={"authorization": f"Bearer {token}"})
    return await app.state.schema.subscribe(UPDATED, variable_values=variables, context_value=context)


async def _next(stream: Any) -> dict[str, Any]:
    result = await asyncio.wait_for(anext(stream), timeout=20)
    assert not result.errors, result.errors
    return result.data["orderUpdated"]  # type: ignore[no-any-return, index]


async def test_a_subscriber_hears_the_back_office_and_the_cancellation(
    app: Any, gql: Any, http: Any, sessionmaker: Any
) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)
    stream = await _subscribe(app, {"id": world.org_id}, world.commercial.token)
    try:
        first = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)  # let the subscription register before the first change

        await back_office_orders(http, {"number": order["number"], "status": "IN_PROGRESS"})
        started = await first
        await gql(CANCEL, {"input": {"orderId": order["id"]}}, token=world.commercial.token)
        asked = await _next(stream)

        assert started == {"number": order["number"], "status": "IN_PROGRESS", "canCancel": True}
        assert asked == {"number": order["number"], "status": "CANCELLATION_REQUESTED", "canCancel": False}
    finally:
        await stream.aclose()


async def test_a_scoped_subscriber_hears_only_orders_of_its_accounts(
    app: Any, gql: Any, http: Any, sessionmaker: Any
) -> None:
    world = await make_shop_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        scoped = await make_member(session, world.org, roles=[("COMMERCIAL", world.other_account.id)])
    outside = await place(gql, world, world.commercial)
    added = await gql(
        ADD,
        {
            "input": {
                "organisationId": world.org_id,
                "billingAccountId": to_global_id("BillingAccount", world.other_account.id),
                "items": [item(world, "SIM-4G", 1)],
            }
        },
        token=scoped.token,
    )
    placed = await gql(CHECKOUT, checkout_input(added["data"]["addCartItems"]["cart"]), token=scoped.token)
    inside = placed["data"]["checkoutCart"]["order"]
    stream = await _subscribe(app, {"id": world.org_id}, scoped.token)
    try:
        received = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)

        await back_office_orders(http, {"number": outside["number"], "status": "IN_PROGRESS"})
        await back_office_orders(http, {"number": inside["number"], "status": "IN_PROGRESS"})

        # The first message the scoped contact hears is about its own account's order.
        assert (await received)["number"] == inside["number"]
    finally:
        await stream.aclose()

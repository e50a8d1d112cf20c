"""The catalogue and the cart: listing, adding with quantity and line rules, updating, removing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from guichet.domain.ids import to_global_id
from tests.factories_shop import (
    ADD,
    CART,
    OFFERINGS,
    REMOVE,
    UPDATE,
    fill_cart,
    item,
    make_shop_world,
    snapshot,
)


async def test_catalogue_lists_every_offering_with_prices_unavailable_ones_included(
    gql: Any, sessionmaker: Any
) -> None:
    world = await make_shop_world(sessionmaker)

    result = await gql(OFFERINGS, {"id": world.org_id}, token=world.commercial.token)

    nodes = [e["node"] for e in result["data"]["organisation"]["offerings"]["edges"]]
    assert [(n["code"], n["available"]) for n in nodes] == [
        ("SIM-4G", True),
        ("OPT-DATA", True),
        ("PHONE", True),
        ("BOX", True),
        ("OLD", False),
    ]
    assert nodes[2]["prices"] == [
        {"type": "ONE_TIME", "frequency": None, "amount": {"amount": "150000", "currency": "XOF"}},
        {"type": "RECURRING", "frequency": "MONTHLY", "amount": {"amount": "2000", "currency": "XOF"}},
    ]
    assert nodes[1]["requiresLine"] is True


async def test_catalogue_filters_by_kind_and_search(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)

    by_kind = await gql(
        OFFERINGS, {"id": world.org_id, "filter": {"kind": ["ACCESSORY"]}}, token=world.commercial.token
    )
    by_text = await gql(OFFERINGS, {"id": world.org_id, "filter": {"search": "phone"}}, token=world.commercial.token)

    codes = [e["node"]["code"] for e in by_kind["data"]["organisation"]["offerings"]["edges"]]
    assert codes == ["BOX", "OLD"]
    assert [e["node"]["code"] for e in by_text["data"]["organisation"]["offerings"]["edges"]] == ["PHONE"]


async def test_adding_items_prices_the_cart_with_one_time_and_recurring_totals(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    line = to_global_id("Line", world.line.id)

    cart = await fill_cart(
        gql,
        world,
        world.commercial,
        item(world, "SIM-4G", 3),
        item(world, "PHONE", 1),
        item(world, "OPT-DATA", 2, lineId=line, note="Pour le directeur"),
    )

    assert cart["status"] == "ACTIVE"
    assert cart["billingAccount"] == {"number": world.account.number}
    assert cart["oneTimeTotal"] == {"amount": "153000", "currency": "XOF"}
    assert cart["recurringTotal"] == [{"amount": {"amount": "12000", "currency": "XOF"}, "frequency": "MONTHLY"}]
    assert cart["requiresApproval"] is False
    assert cart["expiresAt"] == "2026-12-02T10:00:00+00:00"
    assert [
        (i["offering"]["code"], i["quantity"], i["unitPrice"]["amount"], i["amount"]["amount"]) for i in cart["items"]
    ] == [
        ("SIM-4G", 3, "1000", "3000"),
        ("PHONE", 1, "150000", "150000"),
        ("OPT-DATA", 2, "5000", "10000"),
    ]
    assert cart["items"][2]["line"] == {"number": world.line.number}
    assert cart["items"][2]["note"] == "Pour le directeur"


async def test_adding_the_same_offering_again_adds_to_its_quantity(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 2))

    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 3))

    assert [(i["offering"]["code"], i["quantity"]) for i in cart["items"]] == [("SIM-4G", 5)]


async def _add_refused(gql: Any, sessionmaker: Any, world: Any, items: list[dict[str, Any]], **extra: Any) -> list:
    before = await snapshot(sessionmaker)
    result = await gql(
        ADD,
        {"input": {"organisationId": world.org_id, "billingAccountId": world.account_id, "items": items, **extra}},
        token=world.commercial.token,
    )
    assert result["data"]["addCartItems"]["cart"] is None
    assert await snapshot(sessionmaker) == before
    return result["data"]["addCartItems"]["errors"]


async def test_quantity_outside_the_rules_is_refused_on_its_item(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)

    off_step = await _add_refused(gql, sessionmaker, world, [item(world, "SIM-4G", 1), item(world, "BOX", 3)])
    too_many = await _add_refused(gql, sessionmaker, world, [item(world, "SIM-4G", 51)])

    assert off_step == [{"code": "QUANTITY_NOT_ALLOWED", "field": ["input", "items", "1", "quantity"]}]
    assert too_many == [{"code": "QUANTITY_NOT_ALLOWED", "field": ["input", "items", "0", "quantity"]}]


async def test_unavailable_offering_is_refused(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)

    errors = await _add_refused(gql, sessionmaker, world, [item(world, "OLD", 1)])

    assert errors == [{"code": "OFFERING_NOT_AVAILABLE", "field": ["input", "items", "0", "offeringId"]}]


async def test_an_offering_needing_a_line_without_one_is_a_validation_error(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)

    errors = await _add_refused(gql, sessionmaker, world, [item(world, "OPT-DATA", 1)])

    assert errors == [{"code": "VALIDATION", "field": ["input", "items", "0", "lineId"]}]


async def test_a_line_of_another_account_is_unknown(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    other_line = to_global_id("Line", world.other_line.id)

    errors = await _add_refused(gql, sessionmaker, world, [item(world, "OPT-DATA", 1, lineId=other_line)])

    assert errors == [{"code": "NOT_FOUND", "field": ["input", "items", "0", "lineId"]}]


async def test_an_account_outside_the_scope_is_not_found(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    from tests.factories import make_member

    async with sessionmaker() as session, session.begin():
        scoped = await make_member(session, world.org, roles=[("COMMERCIAL", world.other_account.id)])
    before = await snapshot(sessionmaker)

    result = await gql(
        ADD,
        {
            "input": {
                "organisationId": world.org_id,
                "billingAccountId": world.account_id,
                "items": [item(world, "SIM-4G", 1)],
            }
        },
        token=scoped.token,
    )

    assert result["data"]["addCartItems"] == {
        "cart": None,
        "errors": [{"code": "NOT_FOUND", "field": ["input", "billingAccountId"]}],
    }
    assert await snapshot(sessionmaker) == before


async def test_update_and_remove_change_the_viewers_cart(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 2), item(world, "BOX", 2))
    sim, box = cart["items"]

    updated = await gql(UPDATE, {"input": {"cartItemId": sim["id"], "quantity": 4}}, token=world.commercial.token)
    removed = await gql(REMOVE, {"input": {"cartItemId": box["id"]}}, token=world.commercial.token)
    shown = await gql(CART, {"id": world.org_id}, token=world.commercial.token)

    assert updated["data"]["updateCartItem"]["cart"]["oneTimeTotal"]["amount"] == "6000"
    assert [(i["offering"]["code"], i["quantity"]) for i in removed["data"]["removeCartItem"]["cart"]["items"]] == [
        ("SIM-4G", 4)
    ]
    assert shown["data"]["organisation"]["cart"]["oneTimeTotal"] == {"amount": "4000", "currency": "XOF"}


async def test_update_refuses_a_bad_quantity_and_another_contacts_item(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "BOX", 2))
    box = cart["items"][0]
    before = await snapshot(sessionmaker)

    bad = await gql(UPDATE, {"input": {"cartItemId": box["id"], "quantity": 3}}, token=world.commercial.token)
    foreign = await gql(UPDATE, {"input": {"cartItemId": box["id"], "quantity": 4}}, token=world.buyer_payer.token)

    assert bad["data"]["updateCartItem"]["errors"] == [{"code": "QUANTITY_NOT_ALLOWED", "field": ["input", "quantity"]}]
    assert foreign["data"]["updateCartItem"]["errors"] == [{"code": "NOT_FOUND", "field": ["input", "cartItemId"]}]
    assert await snapshot(sessionmaker) == before


async def test_a_cart_untouched_for_7_days_is_expired(gql: Any, sessionmaker: Any, clock: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 2))
    clock.current = clock.current + timedelta(days=7)
    before = await snapshot(sessionmaker)

    result = await gql(
        UPDATE, {"input": {"cartItemId": cart["items"][0]["id"], "quantity": 3}}, token=world.commercial.token
    )
    shown = await gql(CART, {"id": world.org_id}, token=world.commercial.token)

    assert result["data"]["updateCartItem"]["errors"] == [{"code": "CART_EXPIRED", "field": ["input", "cartItemId"]}]
    assert shown["data"]["organisation"]["cart"]["status"] == "EXPIRED"
    assert await snapshot(sessionmaker) == before

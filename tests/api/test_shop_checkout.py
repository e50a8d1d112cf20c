"""checkoutCart: terms, approval, prices copied, PRICE_CHANGED, CART_EMPTY, CART_EXPIRED, replays,
and the payment at once (ORDERS PAY) or by finance (payPendingPayments)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import OfferingPrice
from tests.factories import make_member
from tests.factories_access import set_permissions
from tests.factories_shop import (
    CART,
    CHECKOUT,
    ORDERS,
    PAY_PENDING,
    REMOVE,
    VISA_OK,
    checkout_input,
    fill_cart,
    item,
    make_shop_world,
    place,
    set_policy,
    snapshot,
)


async def test_on_account_checkout_is_acknowledged_with_the_prices_copied(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "PHONE", 2))

    result = await gql(
        CHECKOUT, checkout_input(cart, poNumber="PO-77", note="Livrer au siège"), token=world.commercial.token
    )

    payload = result["data"]["checkoutCart"]
    assert payload["errors"] == []
    assert payload["payment"] is None
    assert payload["cart"]["status"] == "CHECKED_OUT"
    order = payload["order"]
    assert order["number"].startswith("ORD-") and len(order["number"]) == 12
    assert (order["source"], order["status"], order["paymentTerms"], order["poNumber"]) == (
        "SHOP",
        "ACKNOWLEDGED",
        "ON_ACCOUNT",
        "PO-77",
    )
    assert order["placedBy"] == {"email": world.commercial.email}
    assert order["oneTimeTotal"] == {"amount": "300000", "currency": "XOF"}
    assert order["recurringTotal"] == [{"amount": {"amount": "4000", "currency": "XOF"}, "frequency": "MONTHLY"}]
    assert [
        (i["priceType"], i["frequency"], i["quantity"], i["unitPrice"]["amount"], i["amount"]["amount"])
        for i in order["items"]
    ] == [
        ("ONE_TIME", None, 2, "150000", "300000"),
        ("RECURRING", "MONTHLY", 2, "2000", "4000"),
    ]
    assert order["pendingPayment"] is None
    assert [(h["status"], h["by"]) for h in order["statusHistory"]] == [
        ("ACKNOWLEDGED", {"email": world.commercial.email})
    ]
    assert (order["canCancel"], order["canApprove"]) == (True, False)


async def test_a_later_catalogue_change_never_alters_the_order(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(OfferingPrice).values(amount_minor=9999))

    result = await gql(ORDERS, {"id": world.org_id}, token=world.commercial.token)

    (shown,) = [e["node"] for e in result["data"]["organisation"]["orders"]["edges"]]
    assert shown["id"] == order["id"]
    assert shown["oneTimeTotal"]["amount"] == "2000"
    assert [i["unitPrice"]["amount"] for i in shown["items"]] == ["1000"]


async def test_price_changed_answers_the_repriced_cart_and_places_nothing(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 2))
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(OfferingPrice)
            .where(OfferingPrice.offering_id == world.offerings["SIM-4G"].id)
            .values(amount_minor=1500)
        )
    before = await snapshot(sessionmaker)

    result = await gql(CHECKOUT, checkout_input(cart), token=world.commercial.token)

    payload = result["data"]["checkoutCart"]
    assert payload["order"] is None
    assert payload["errors"] == [{"code": "PRICE_CHANGED", "field": ["input", "expectedTotal"]}]
    assert payload["cart"]["status"] == "ACTIVE"
    assert payload["cart"]["oneTimeTotal"] == {"amount": "3000", "currency": "XOF"}
    assert await snapshot(sessionmaker) == before


async def test_an_empty_cart_is_refused(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 1))
    emptied = await gql(REMOVE, {"input": {"cartItemId": cart["items"][0]["id"]}}, token=world.commercial.token)
    before = await snapshot(sessionmaker)

    result = await gql(
        CHECKOUT, checkout_input(emptied["data"]["removeCartItem"]["cart"]), token=world.commercial.token
    )

    assert result["data"]["checkoutCart"]["errors"] == [{"code": "CART_EMPTY", "field": ["input", "cartId"]}]
    assert await snapshot(sessionmaker) == before


async def test_an_expired_cart_is_refused(gql: Any, sessionmaker: Any, clock: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial)
    clock.current = clock.current + timedelta(days=7)
    before = await snapshot(sessionmaker)

    result = await gql(CHECKOUT, checkout_input(cart), token=world.commercial.token)

    assert result["data"]["checkoutCart"]["errors"] == [{"code": "CART_EXPIRED", "field": ["input", "cartId"]}]
    assert await snapshot(sessionmaker) == before


async def test_the_same_key_answers_the_same_order_and_another_request_is_refused(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial)
    first = await gql(CHECKOUT, checkout_input(cart, key="k-1"), token=world.commercial.token)
    before = await snapshot(sessionmaker)

    again = await gql(CHECKOUT, checkout_input(cart, key="k-1"), token=world.commercial.token)
    other = await gql(CHECKOUT, checkout_input(cart, key="k-1", poNumber="PO-2"), token=world.commercial.token)

    assert again["data"]["checkoutCart"]["order"]["id"] == first["data"]["checkoutCart"]["order"]["id"]
    assert other["data"]["checkoutCart"]["errors"] == [
        {"code": "IDEMPOTENCY_KEY_REUSED", "field": ["input", "idempotencyKey"]}
    ]
    assert await snapshot(sessionmaker) == before


async def test_another_contacts_cart_is_not_found(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial)
    before = await snapshot(sessionmaker)

    result = await gql(CHECKOUT, checkout_input(cart), token=world.buyer_payer.token)

    assert result["data"]["checkoutCart"]["errors"] == [{"code": "NOT_FOUND", "field": ["input", "cartId"]}]
    assert await snapshot(sessionmaker) == before


async def test_pay_now_without_orders_pay_waits_for_finance_who_pays_it(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial, terms="PAY_NOW", method="CARD", card=VISA_OK)
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["pendingPayment"] is None  # the commercial contact has no INVOICES READ

    pending = await gql(
        "query($id: ID!) { organisation(id: $id) { pendingPayments { edges { node { id kind status "
        "amount { amount currency } order { number status } } } } } }",
        {"id": world.org_id},
        token=world.finance.token,
    )
    (node,) = [e["node"] for e in pending["data"]["organisation"]["pendingPayments"]["edges"]]
    assert (node["kind"], node["status"], node["amount"], node["order"]) == (
        "ORDER",
        "DUE",
        {"amount": "2000", "currency": "XOF"},
        {"number": order["number"], "status": "AWAITING_PAYMENT"},
    )

    paid = await gql(
        PAY_PENDING,
        {
            "input": {
                "organisationId": world.org_id,
                "pendingPaymentIds": [node["id"]],
                "method": "CARD",
                "card": VISA_OK,
                "idempotencyKey": "fin-1",
            }
        },
        token=world.finance.token,
    )
    after = await gql(ORDERS, {"id": world.org_id}, token=world.commercial.token)

    assert paid["data"]["payPendingPayments"]["errors"] == []
    assert paid["data"]["payPendingPayments"]["payment"] == {"status": "SUCCEEDED", "method": "CARD"}
    assert paid["data"]["payPendingPayments"]["pendingPayments"] == [{"kind": "ORDER", "status": "PAID"}]
    (shown,) = [e["node"] for e in after["data"]["organisation"]["orders"]["edges"]]
    assert shown["status"] == "ACKNOWLEDGED"
    assert [h["status"] for h in shown["statusHistory"]] == ["AWAITING_PAYMENT", "ACKNOWLEDGED"]


async def test_pay_now_by_a_holder_of_orders_pay_pays_at_once(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.buyer_payer)

    result = await gql(
        CHECKOUT, checkout_input(cart, terms="PAY_NOW", method="CARD", card=VISA_OK), token=world.buyer_payer.token
    )

    payload = result["data"]["checkoutCart"]
    assert payload["errors"] == []
    assert payload["payment"] == {
        "status": "SUCCEEDED",
        "method": "CARD",
        "amount": {"amount": "2000", "currency": "XOF"},
    }
    assert payload["order"]["status"] == "ACKNOWLEDGED"
    assert payload["order"]["pendingPayment"] == {
        "kind": "ORDER",
        "status": "PAID",
        "amount": {"amount": "2000", "currency": "XOF"},
    }


async def test_a_bad_card_at_checkout_places_nothing(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.buyer_payer)
    before = await snapshot(sessionmaker)

    result = await gql(
        CHECKOUT,
        checkout_input(cart, terms="PAY_NOW", method="CARD", card={**VISA_OK, "number": "4242 4242 4242 4241"}),
        token=world.buyer_payer.token,
    )

    assert result["data"]["checkoutCart"]["errors"] == [{"code": "CARD_INVALID", "field": ["input", "card", "number"]}]
    assert await snapshot(sessionmaker) == before


async def test_above_the_threshold_the_order_waits_for_approval(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=2000)
    cart = await fill_cart(gql, world, world.commercial)
    shown = await gql(CART, {"id": world.org_id}, token=world.commercial.token)
    assert shown["data"]["organisation"]["cart"]["requiresApproval"] is True

    result = await gql(CHECKOUT, checkout_input(cart), token=world.commercial.token)

    order = result["data"]["checkoutCart"]["order"]
    assert order["status"] == "PENDING_APPROVAL"
    assert order["approval"] == {"decision": None, "decidedAt": None, "comment": None, "approver": None}
    async with sessionmaker() as session:
        from guichet.domain import models

        subjects = (await session.execute(select(models.OutboxEmail.to_address, models.OutboxEmail.subject))).all()
    assert (
        world.manager.email,
        f"Commande {order['number']} à approuver / Order {order['number']} awaits approval",
    ) in [tuple(s) for s in subjects]


async def test_a_cart_against_changed_catalogue_rules_is_refused(gql: Any, sessionmaker: Any) -> None:
    from guichet.domain.models.shop import Offering

    world = await make_shop_world(sessionmaker)
    cart = await fill_cart(gql, world, world.commercial, item(world, "SIM-4G", 3))
    unavailable = await fill_cart(gql, world, world.buyer_payer, item(world, "PHONE", 1))
    async with sessionmaker() as session, session.begin():
        await session.execute(update(Offering).where(Offering.code == "SIM-4G").values(quantity_increment=2))
        await session.execute(update(Offering).where(Offering.code == "PHONE").values(available=False))
    before = await snapshot(sessionmaker)

    stepped = await gql(CHECKOUT, checkout_input(cart), token=world.commercial.token)
    gone = await gql(CHECKOUT, checkout_input(unavailable), token=world.buyer_payer.token)

    assert stepped["data"]["checkoutCart"]["errors"] == [{"code": "QUANTITY_NOT_ALLOWED", "field": ["input", "cartId"]}]
    assert gone["data"]["checkoutCart"]["errors"] == [{"code": "OFFERING_NOT_AVAILABLE", "field": ["input", "cartId"]}]
    assert await snapshot(sessionmaker) == before


async def test_orders_pay_alone_pays_an_order_pending_payment(gql: Any, sessionmaker: Any) -> None:
    """ACCESS.md rule 11: paying an ORDER item needs ORDERS PAY, not INVOICES PAY."""
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial, terms="PAY_NOW", method="CARD", card=VISA_OK)
    async with sessionmaker() as session, session.begin():
        (item_pk,) = (
            (await session.execute(select(PendingPayment.id).where(PendingPayment.kind == "ORDER"))).scalars().all()
        )
        orders_payer = await make_member(session, world.org, roles=[("COMMERCIAL", None)])
        await set_permissions(session, world.org, orders_payer.contact_id, grants=[("ORDERS", "PAY")])
    pay = {
        "input": {
            "organisationId": world.org_id,
            "pendingPaymentIds": [to_global_id("PendingPayment", item_pk)],
            "method": "CARD",
            "card": VISA_OK,
            "idempotencyKey": "orders-pay-1",
        }
    }

    refused = await gql(PAY_PENDING, pay, token=world.commercial.token)
    paid = await gql(PAY_PENDING, pay, token=orders_payer.token)

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert paid["data"]["payPendingPayments"]["errors"] == []
    assert paid["data"]["payPendingPayments"]["pendingPayments"] == [{"kind": "ORDER", "status": "PAID"}]
    after = await gql(ORDERS, {"id": world.org_id}, token=world.commercial.token)
    statuses = {e["node"]["number"]: e["node"]["status"] for e in after["data"]["organisation"]["orders"]["edges"]}
    assert statuses[order["number"]] == "ACKNOWLEDGED"

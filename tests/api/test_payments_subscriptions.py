"""paymentUpdated / invoiceUpdated through the app's schema and event broker (LISTEN/NOTIFY on PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

from guichet.resolvers.context import build_context
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_invoice, make_member
from tests.factories_payments import PAY, make_pay_world, pay_input, send_webhook

PAYMENT_UPDATED = """
subscription($id: ID!) { paymentUpdated(paymentId: $id) { reference status failure { code } } }
"""
INVOICE_UPDATED = """
subscription($id: ID!) { invoiceUpdated(organisationId: $id) { number status paymentPending amountDue { amount } } }
"""


async def _subscribe(app: Any, query: str, variables: dict[str, Any], token: str | None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    context = build_context(app.state.guichet, None, headers=headers)
    return await app.state.schema.subscribe(query, variable_values=variables, context_value=context)


async def _next(stream: Any) -> dict[str, Any]:
    result = await asyncio.wait_for(anext(stream), timeout=20)
    assert not result.errors, result.errors
    return result.data  # type: ignore[no-any-return]


async def test_payment_subscriber_sees_pending_then_succeeded(app, gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]
    stream = await _subscribe(app, PAYMENT_UPDATED, {"id": payment["id"]}, world.finance.token)
    try:
        assert await _next(stream) == {
            "paymentUpdated": {"reference": payment["reference"], "status": "PENDING", "failure": None}
        }

        await send_webhook(
            http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
        )

        assert await _next(stream) == {
            "paymentUpdated": {"reference": payment["reference"], "status": "SUCCEEDED", "failure": None}
        }
    finally:
        await stream.aclose()


async def test_invoice_subscriber_sees_invoices_become_paid(app, gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    stream = await _subscribe(app, INVOICE_UPDATED, {"id": world.org_id}, world.finance.token)
    try:
        pending = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)  # let the subscription register before the first change
        payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]
        first = [await pending, await _next(stream)]
        assert [f["invoiceUpdated"]["paymentPending"] for f in first] == [True, True]

        await send_webhook(
            http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
        )

        paid = [(await _next(stream))["invoiceUpdated"] for _ in range(2)]
        assert sorted((p["number"], p["status"], p["paymentPending"], p["amountDue"]["amount"]) for p in paid) == [
            (world.invoices[0].number, "PAID", False, "0"),
            (world.invoices[1].number, "PAID", False, "0"),
        ]
    finally:
        await stream.aclose()


async def test_scoped_subscriber_hears_only_invoices_it_may_read(app, gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000,))
        other = await make_account(session, world.org)
        world.invoices.append(await make_invoice(session, other, total_minor=700))
        scoped = await make_member(session, world.org, roles=[("FINANCE", world.account.id)])
    stream = await _subscribe(app, INVOICE_UPDATED, {"id": world.org_id}, scoped.token)
    try:
        received = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)
        outside = pay_input(world, key="outside")
        outside["input"]["invoiceIds"] = world.invoice_ids(1)
        assert (await gql(PAY, outside, token=world.finance.token))["data"]["payInvoices"]["errors"] == []
        inside = pay_input(world, key="inside")
        inside["input"]["invoiceIds"] = world.invoice_ids(0)
        assert (await gql(PAY, inside, token=world.finance.token))["data"]["payInvoices"]["errors"] == []

        # The first message the scoped contact hears is about its own account's invoice.
        assert (await received)["invoiceUpdated"]["number"] == world.invoices[0].number
    finally:
        await stream.aclose()


async def test_subscribers_without_access_are_refused(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        commercial = await make_member(session, world.org, roles=[("COMMERCIAL", None)])
    payment = (await gql(PAY, pay_input(world), token=world.finance.token))["data"]["payInvoices"]["payment"]

    for query, variables, token, code in (
        (PAYMENT_UPDATED, {"id": payment["id"]}, commercial.token, "NOT_FOUND"),
        (PAYMENT_UPDATED, {"id": payment["id"]}, None, "UNAUTHENTICATED"),
        (INVOICE_UPDATED, {"id": world.org_id}, commercial.token, "FORBIDDEN"),
        (INVOICE_UPDATED, {"id": world.org_id}, None, "UNAUTHENTICATED"),
    ):
        stream = await _subscribe(app, query, variables, token)
        try:
            result = await asyncio.wait_for(anext(stream), timeout=20)
        finally:
            await stream.aclose()
        assert result.data is None
        assert [e.extensions["code"] for e in result.errors] == [code]

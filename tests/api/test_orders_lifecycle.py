"""Orders after checkout: approval policy, approve / reject, cancel, the back-office webhook,
the expire-carts job, e-mails and audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.models.shop import Cart
from guichet.domain.shop.carts import expire_stale
from guichet.domain.shop.orders import expire_orders
from tests.conftest import TEST_NOW
from tests.factories_service_requests import uow_of
from tests.factories_shop import (
    APPROVE,
    CANCEL,
    ORDERS,
    REJECT,
    SET_POLICY,
    back_office_orders,
    fill_cart,
    force_order_status,
    make_shop_world,
    place,
    set_policy,
    snapshot,
)


async def _emails(sessionmaker: Any, address: str) -> list[str]:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(models.OutboxEmail.subject)
                .where(models.OutboxEmail.to_address == address)
                .order_by(models.OutboxEmail.id)
            )
        ).scalars()
    return list(rows)


async def _actions(sessionmaker: Any) -> list[str]:
    async with sessionmaker() as session:
        rows = (await session.execute(select(models.AuditEvent.action).order_by(models.AuditEvent.id))).scalars()
    return [a for a in rows if a.startswith("order")]


async def test_set_policy_by_an_admin_and_read_back(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)

    result = await gql(
        SET_POLICY,
        {"input": {"organisationId": world.org_id, "threshold": "100000", "approverRole": "MANAGEMENT"}},
        token=world.admin.token,
    )
    read = await gql(
        "query($id: ID!) { organisation(id: $id) { orderApprovalPolicy { threshold { amount currency } approverRole } } }",
        {"id": world.org_id},
        token=world.manager.token,
    )

    expected = {"threshold": {"amount": "100000", "currency": "XOF"}, "approverRole": "MANAGEMENT"}
    assert result["data"]["setOrderApprovalPolicy"] == {"policy": expected, "errors": []}
    assert read["data"]["organisation"]["orderApprovalPolicy"] == expected
    assert await _actions(sessionmaker) == ["order_policy.changed"]


async def test_set_policy_refuses_a_bad_threshold_and_a_contact_without_members_write(
    gql: Any, sessionmaker: Any
) -> None:
    world = await make_shop_world(sessionmaker)
    before = await snapshot(sessionmaker)

    bad = await gql(
        SET_POLICY,
        {"input": {"organisationId": world.org_id, "threshold": "-5", "approverRole": "MANAGEMENT"}},
        token=world.admin.token,
    )
    assert await snapshot(sessionmaker) == before
    forbidden = await gql(
        SET_POLICY,
        {"input": {"organisationId": world.org_id, "threshold": "5", "approverRole": "MANAGEMENT"}},
        token=world.manager.token,
    )

    assert bad["data"]["setOrderApprovalPolicy"]["errors"] == [{"code": "VALIDATION", "field": ["input", "threshold"]}]
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    after = await snapshot(sessionmaker)
    # Only the refused access is written (access.denied, ACCESS.md rule 9).
    assert (after.orders, after.carts, after.counts[:-1]) == (before.orders, before.carts, before.counts[:-1])


async def test_approving_acknowledges_an_on_account_order_and_emails_the_buyer(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000)
    order = await place(gql, world, world.commercial)

    result = await gql(APPROVE, {"input": {"orderId": order["id"], "comment": "OK budget"}}, token=world.manager.token)

    approved = result["data"]["approveOrder"]["order"]
    assert approved["status"] == "ACKNOWLEDGED"
    assert approved["approval"]["decision"] == "APPROVED"
    assert approved["approval"]["comment"] == "OK budget"
    assert approved["approval"]["approver"] == {"email": world.manager.email}
    assert [(h["status"], h["note"]) for h in approved["statusHistory"]] == [
        ("PENDING_APPROVAL", None),
        ("ACKNOWLEDGED", "OK budget"),
    ]
    number = order["number"]
    assert await _emails(sessionmaker, world.commercial.email) == [
        f"Commande {number} : En attente d'approbation / Order {number}: Waiting for approval",
        f"Commande {number} : Prise en compte / Order {number}: Acknowledged",
    ]
    assert await _actions(sessionmaker) == ["order.placed", "order.approved"]


async def test_approving_a_pay_now_order_opens_its_pending_payment(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000)
    order = await place(gql, world, world.commercial, terms="PAY_NOW")

    result = await gql(APPROVE, {"input": {"orderId": order["id"]}}, token=world.manager.token)
    read = await gql(ORDERS, {"id": world.org_id}, token=world.finance.token)

    assert result["data"]["approveOrder"]["order"]["status"] == "AWAITING_PAYMENT"
    (shown,) = [e["node"] for e in read["data"]["organisation"]["orders"]["edges"]]
    assert shown["pendingPayment"] == {
        "kind": "ORDER",
        "status": "DUE",
        "amount": {"amount": "2000", "currency": "XOF"},
    }


async def test_reject_and_the_refusals_of_decisions(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    await set_policy(sessionmaker, world, threshold_minor=1000)
    from tests.factories import make_member

    async with sessionmaker() as session, session.begin():
        buyer_manager = await make_member(session, world.org, roles=[("COMMERCIAL", None), ("MANAGEMENT", None)])
    own = await place(gql, world, buyer_manager)
    order = await place(gql, world, world.commercial)

    rejected = await gql(
        REJECT, {"input": {"orderId": order["id"], "comment": "Hors budget"}}, token=world.manager.token
    )
    before = await snapshot(sessionmaker)
    again = await gql(APPROVE, {"input": {"orderId": order["id"]}}, token=world.manager.token)
    self_approval = await gql(APPROVE, {"input": {"orderId": own["id"]}}, token=buyer_manager.token)

    assert rejected["data"]["rejectOrder"]["order"]["status"] == "REJECTED"
    assert rejected["data"]["rejectOrder"]["order"]["approval"]["decision"] == "REJECTED"
    assert again["data"]["approveOrder"]["errors"] == [
        {"code": "ORDER_NOT_PENDING_APPROVAL", "field": ["input", "orderId"]}
    ]
    assert self_approval["data"]["approveOrder"]["errors"] == [
        {"code": "CANNOT_APPROVE_OWN_ORDER", "field": ["input", "orderId"]}
    ]
    assert await snapshot(sessionmaker) == before


async def test_cancel_before_work_cancels_and_after_asks(gql: Any, sessionmaker: Any, http: Any) -> None:
    world = await make_shop_world(sessionmaker)
    early = await place(gql, world, world.commercial, terms="PAY_NOW")
    started = await place(gql, world, world.commercial)
    assert (await back_office_orders(http, {"number": started["number"], "status": "IN_PROGRESS"})).status_code == 200

    cancelled = await gql(CANCEL, {"input": {"orderId": early["id"], "reason": "Erreur"}}, token=world.commercial.token)
    asked = await gql(
        CANCEL, {"input": {"orderId": started["id"], "reason": "Plus besoin"}}, token=world.commercial.token
    )
    before = await snapshot(sessionmaker)
    twice = await gql(CANCEL, {"input": {"orderId": started["id"]}}, token=world.commercial.token)

    early_order = cancelled["data"]["cancelOrder"]["order"]
    assert (early_order["status"], early_order["cancellationReason"], early_order["canCancel"]) == (
        "CANCELLED",
        "Erreur",
        False,
    )
    assert asked["data"]["cancelOrder"]["order"]["status"] == "CANCELLATION_REQUESTED"
    assert twice["data"]["cancelOrder"]["errors"] == [{"code": "ORDER_NOT_CANCELLABLE", "field": ["input", "orderId"]}]
    assert await snapshot(sessionmaker) == before
    read = await gql(ORDERS, {"id": world.org_id, "filter": {"status": ["CANCELLED"]}}, token=world.finance.token)
    (shown,) = [e["node"] for e in read["data"]["organisation"]["orders"]["edges"]]
    assert shown["pendingPayment"]["status"] == "CANCELLED"


async def test_webhook_moves_ships_and_completes(gql: Any, sessionmaker: Any, http: Any) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)
    shipment = {
        "carrier": "DHL",
        "trackingNumber": "JD0001",
        "trackingUrl": "https://dhl.test/JD0001",
        "status": "SHIPPED",
    }

    started = await back_office_orders(
        http,
        {
            "number": order["number"],
            "status": "IN_PROGRESS",
            "note": "Préparation",
            "shipment": shipment,
            "expectedCompletionDate": "2026-12-15",
        },
    )
    delivered = await back_office_orders(
        http, {"number": order["number"], "shipment": {**shipment, "status": "DELIVERED"}}
    )
    done = await back_office_orders(http, {"number": order["number"], "status": "COMPLETED"})
    read = await gql(ORDERS, {"id": world.org_id}, token=world.commercial.token)

    assert [r.status_code for r in (started, delivered, done)] == [200, 200, 200]
    (shown,) = [e["node"] for e in read["data"]["organisation"]["orders"]["edges"]]
    assert shown["status"] == "COMPLETED"
    assert shown["completedAt"] == TEST_NOW.isoformat()
    assert shown["expectedCompletionDate"] == "2026-12-15"
    assert shown["shipments"] == [
        {
            "carrier": "DHL",
            "trackingNumber": "JD0001",
            "trackingUrl": "https://dhl.test/JD0001",
            "status": "DELIVERED",
            "shippedAt": TEST_NOW.isoformat(),
            "deliveredAt": TEST_NOW.isoformat(),
        }
    ]
    assert [(h["status"], h["note"], h["by"]) for h in shown["statusHistory"]] == [
        ("ACKNOWLEDGED", None, {"email": world.commercial.email}),
        ("IN_PROGRESS", "Préparation", None),
        ("COMPLETED", None, None),
    ]
    assert shown["canCancel"] is False


async def test_webhook_refuses_an_impossible_move_and_an_unknown_number_and_replays_nothing(
    gql: Any, sessionmaker: Any, http: Any
) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)
    first = await back_office_orders(http, {"number": order["number"], "status": "IN_PROGRESS"}, event_id="evt-A")
    before = await snapshot(sessionmaker)

    impossible = await back_office_orders(http, {"number": order["number"], "status": "CANCELLED"})
    unknown = await back_office_orders(http, {"number": "ORD-00000000", "status": "IN_PROGRESS"})
    replay = await back_office_orders(http, {"number": order["number"], "status": "COMPLETED"}, event_id="evt-A")

    assert first.status_code == 200
    assert (impossible.status_code, impossible.json()) == (409, {"code": "INVALID_STATUS_TRANSITION"})
    assert unknown.status_code == 404
    assert (replay.status_code, replay.json()["replayed"]) == (200, True)
    assert await snapshot(sessionmaker) == before


async def test_cancellation_requested_is_answered_by_the_back_office(gql: Any, sessionmaker: Any, http: Any) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)
    await force_order_status(sessionmaker, order["id"], "CANCELLATION_REQUESTED")

    answer = await back_office_orders(http, {"number": order["number"], "status": "CANCELLED"})

    assert (answer.status_code, answer.json()["status"]) == (200, "CANCELLED")


async def test_expire_job_expires_carts_unpaid_and_undecided_orders(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    unpaid = await place(gql, world, world.commercial, terms="PAY_NOW")
    await set_policy(sessionmaker, world, threshold_minor=1000)
    undecided = await place(gql, world, world.commercial)
    await fill_cart(gql, world, world.commercial)
    later = TEST_NOW + timedelta(days=7)

    carts = await expire_stale(uow_of(sessionmaker), as_of=later)
    expired, timed_out, _ = await expire_orders(uow_of(sessionmaker), as_of=later, now=later)
    again = await expire_orders(uow_of(sessionmaker), as_of=later, now=later)

    assert carts == 1
    assert (expired, timed_out) == ([unpaid["number"]], [undecided["number"]])
    assert again[:2] == ([], [])
    async with sessionmaker() as session:
        statuses = list((await session.execute(select(Cart.status).order_by(Cart.id))).scalars())
    assert statuses == ["CHECKED_OUT", "CHECKED_OUT", "EXPIRED"]
    read = await gql(ORDERS, {"id": world.org_id}, token=world.finance.token)
    assert sorted(e["node"]["status"] for e in read["data"]["organisation"]["orders"]["edges"]) == [
        "CANCELLED",
        "CANCELLED",
    ]


async def test_the_expire_carts_command_says_what_it_did_and_is_safe_to_run_twice(
    gql: Any, sessionmaker: Any, database_url: str
) -> None:
    import asyncio

    from click.testing import CliRunner

    from guichet.cli.main import cli

    world = await make_shop_world(sessionmaker)
    unpaid = await place(gql, world, world.commercial, terms="PAY_NOW")
    await fill_cart(gql, world, world.buyer_payer)

    def run() -> Any:
        return CliRunner().invoke(
            cli, ["jobs", "expire-carts", "--as-of", "2026-12-02"], env={"GUICHET_DATABASE_URL": database_url}
        )

    first = await asyncio.to_thread(run)
    again = await asyncio.to_thread(run)

    assert first.exit_code == 0, first.output
    assert first.output == (
        f"expire-carts as of 2026-12-02: 1 carts expired, 1 unpaid orders cancelled ({unpaid['number']}), "
        "0 undecided orders cancelled\n"
    )
    assert (
        again.output
        == "expire-carts as of 2026-12-02: 0 carts expired, 0 unpaid orders cancelled, 0 undecided orders cancelled\n"
    )

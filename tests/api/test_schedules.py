"""Instalment plans through the API: what jean.dupont@example.fr sees, and the card change rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.schedules import Schedule
from guichet.domain.schedules.demo import demo_schedules
from guichet.domain.schedules.feed import import_schedules
from tests.conftest import TEST_NOW
from tests.factories import make_member, make_organisation
from tests.factories_schedules import make_schedule, make_unpaid_schedule

SCHEDULES = """
query($id: ID!, $status: [ScheduleStatus!]) {
  organisation(id: $id) {
    schedules(first: 10, filter: {status: $status}) {
      totalCount
      edges { node {
        id orderNumber merchantName purchaseDate status canChangeCard
        purchaseAmount { amount currency } fees { amount }
        outstandingAmount { amount } amountRegularised { amount }
        card { brand last4 expMonth expYear }
        installments { number dueDate amount { amount } status }
        regularisationOptions { installmentCount amounts { amount currency } }
      } }
    }
  }
}
"""

CHANGE_CARD = """
mutation($input: ChangeScheduleCardInput!) {
  changeScheduleCard(input: $input) {
    schedule { card { brand last4 expMonth expYear } canChangeCard }
    errors { code message field }
  }
}
"""

VISA = {"number": "4111 1111 1111 1111", "expMonth": 12, "expYear": 2030, "cvc": "123"}
MASTERCARD = {"number": "5555555555554444", "expMonth": 12, "expYear": 2030, "cvc": "123"}


async def individual(session: Any) -> tuple[models.Organisation, Any]:
    org = await make_organisation(session, name="Jean Dupont", currency="EUR", kind="INDIVIDUAL")
    jean = await make_member(session, org, primary_admin=True)
    return org, jean


async def card_of(sessionmaker: Any, schedule_id: int) -> tuple[str | None, str | None, int | None, int | None]:
    async with sessionmaker() as session:
        row = await session.get(Schedule, schedule_id)
        return row.card_brand, row.card_last4, row.card_exp_month, row.card_exp_year


async def test_jean_sees_his_plans_as_the_seed_shows_them(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        await import_schedules(session, org, demo_schedules(TEST_NOW.date()), "demo", TEST_NOW)

    result = await gql(SCHEDULES, {"id": to_global_id("Organisation", org.id)}, token=jean.token)

    assert "errors" not in result, result
    plans = {e["node"]["orderNumber"]: e["node"] for e in result["data"]["organisation"]["schedules"]["edges"]}
    assert result["data"]["organisation"]["schedules"]["totalCount"] == 3
    current = plans["CMD-2026-000127"]
    assert current["status"] == "IN_PROGRESS"
    assert current["purchaseAmount"] == {"amount": "127.96", "currency": "EUR"}
    assert current["card"] == {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2028}
    assert current["canChangeCard"] is True
    assert current["installments"] == [
        {"number": 1, "dueDate": "2026-10-20", "amount": {"amount": "42.66"}, "status": "PAID"},
        {"number": 2, "dueDate": "2026-11-19", "amount": {"amount": "42.65"}, "status": "PAID"},
        {"number": 3, "dueDate": "2026-12-19", "amount": {"amount": "42.65"}, "status": "PENDING"},
    ]
    assert current["regularisationOptions"] == []
    finished = plans["CMD-2026-000042"]
    assert (finished["status"], finished["fees"], finished["canChangeCard"]) == ("COMPLETED", {"amount": "5.00"}, False)
    # 299.90 in 4: the 2 remainder cents and the 5.00 fees on the first debit, the others equal.
    assert [i["amount"] for i in finished["installments"]] == [
        {"amount": "79.99"},
        {"amount": "74.97"},
        {"amount": "74.97"},
        {"amount": "74.97"},
    ]
    unpaid = plans["CMD-2026-000159"]
    assert unpaid["status"] == "UNPAID"
    assert unpaid["canChangeCard"] is False
    assert unpaid["card"]["last4"] == "4444"
    assert unpaid["outstandingAmount"] == {"amount": "159.18"}
    assert [[a["amount"] for a in o["amounts"]] for o in unpaid["regularisationOptions"]] == [
        ["159.18"],
        ["79.59", "79.59"],
        ["53.06", "53.06", "53.06"],
    ]


async def test_plans_filter_by_status(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        await import_schedules(session, org, demo_schedules(TEST_NOW.date()), "demo", TEST_NOW)

    result = await gql(
        SCHEDULES, {"id": to_global_id("Organisation", org.id), "status": ["COMPLETED", "UNPAID"]}, token=jean.token
    )

    edges = result["data"]["organisation"]["schedules"]["edges"]
    assert sorted(e["node"]["orderNumber"] for e in edges) == ["CMD-2026-000042", "CMD-2026-000159"]


async def test_the_card_changes_exactly_7_days_before_the_next_debit(gql, sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})  # next: 19/12/2026
    clock.current = clock.current.replace(month=12, day=12)

    result = await gql(
        CHANGE_CARD,
        {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": MASTERCARD}},
        token=jean.token,
    )

    assert result["data"]["changeScheduleCard"] == {
        "schedule": {
            "card": {"brand": "MASTERCARD", "last4": "4444", "expMonth": 12, "expYear": 2030},
            "canChangeCard": True,
        },
        "errors": [],
    }
    assert await card_of(sessionmaker, schedule.id) == ("MASTERCARD", "4444", 12, 2030)


async def test_the_card_cannot_change_6_days_before_the_next_debit(gql, sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})  # next: 19/12/2026
    clock.current = clock.current.replace(month=12, day=13)

    result = await gql(
        CHANGE_CARD,
        {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": MASTERCARD}},
        token=jean.token,
        lang="fr",
    )

    payload = result["data"]["changeScheduleCard"]
    assert payload["schedule"] is None
    assert [e["code"] for e in payload["errors"]] == ["DEBIT_ALREADY_SCHEDULED"]
    assert "7 jours" in payload["errors"][0]["message"]
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "4242", 12, 2030)


async def test_the_card_cannot_change_while_the_plan_is_unpaid(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_unpaid_schedule(session, org)

    result = await gql(
        CHANGE_CARD, {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": VISA}}, token=jean.token
    )

    payload = result["data"]["changeScheduleCard"]
    assert payload["schedule"] is None
    assert payload["errors"][0]["code"] == "SCHEDULE_UNPAID"
    assert await card_of(sessionmaker, schedule.id) == ("MASTERCARD", "4444", 9, 2030)


async def test_a_card_expiring_in_the_month_of_the_last_instalment_is_accepted(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})  # last debit 19/12/2026
    card = {**VISA, "expMonth": 12, "expYear": 2026}

    result = await gql(
        CHANGE_CARD, {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": card}}, token=jean.token
    )

    assert result["data"]["changeScheduleCard"]["errors"] == []
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "1111", 12, 2026)


async def test_a_card_expiring_before_the_last_instalment_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})  # last debit 19/12/2026
    card = {**VISA, "expMonth": 11, "expYear": 2026}

    result = await gql(
        CHANGE_CARD, {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": card}}, token=jean.token
    )

    errors = result["data"]["changeScheduleCard"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CARD_EXPIRES_TOO_SOON", ["input", "card", "expYear"])]
    assert "19/12/2026" in errors[0]["message"]
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "4242", 12, 2030)


async def test_only_visa_and_mastercard_with_a_valid_number(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})
    gid = to_global_id("Schedule", schedule.id)

    amex = await gql(
        CHANGE_CARD, {"input": {"scheduleId": gid, "card": {**VISA, "number": "378282246310005"}}}, token=jean.token
    )
    luhn = await gql(
        CHANGE_CARD, {"input": {"scheduleId": gid, "card": {**VISA, "number": "4111111111111112"}}}, token=jean.token
    )

    assert amex["data"]["changeScheduleCard"]["errors"][0]["code"] == "CARD_BRAND_NOT_ACCEPTED"
    assert luhn["data"]["changeScheduleCard"]["errors"][0]["code"] == "CARD_INVALID"
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "4242", 12, 2030)


async def test_a_card_change_is_in_the_audit_trail_without_the_number(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})

    await gql(
        CHANGE_CARD, {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": VISA}}, token=jean.token
    )

    async with sessionmaker() as session:
        events = (
            (
                await session.execute(
                    select(models.AuditEvent).where(models.AuditEvent.action == "schedule.card_changed")
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 1
    assert "1111" in events[0].summary and "4111111111111111" not in str(events[0].data) + events[0].summary


async def test_another_organisations_plan_is_unknown(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, _jean = await individual(session)
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})
        other = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        stranger = await make_member(session, other, primary_admin=True)
    gid = to_global_id("Schedule", schedule.id)

    node = await gql(
        "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }", {"id": gid}, token=stranger.token
    )
    change = await gql(CHANGE_CARD, {"input": {"scheduleId": gid, "card": VISA}}, token=stranger.token)
    unknown = await gql(
        CHANGE_CARD,
        {"input": {"scheduleId": to_global_id("Schedule", schedule.id + 1000), "card": VISA}},
        token=stranger.token,
    )

    assert node == {"data": {"node": None, "nodes": [None]}}
    assert change["data"]["changeScheduleCard"] == unknown["data"]["changeScheduleCard"]
    assert change["data"]["changeScheduleCard"]["errors"][0]["code"] == "NOT_FOUND"
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "4242", 12, 2030)


async def test_node_answers_the_owners_plan(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        schedule = await make_schedule(session, org)
    gid = to_global_id("Schedule", schedule.id)

    result = await gql(
        "query($id: ID!) { node(id: $id) { ... on Schedule { orderNumber status } } }", {"id": gid}, token=jean.token
    )

    assert result["data"]["node"] == {"orderNumber": schedule.order_number, "status": "IN_PROGRESS"}


async def test_management_reads_plans_but_may_not_change_the_card(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR")
        manager = await make_member(session, org, roles=[("MANAGEMENT", None)])
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})

    read = await gql(SCHEDULES, {"id": to_global_id("Organisation", org.id)}, token=manager.token)
    change = await gql(
        CHANGE_CARD, {"input": {"scheduleId": to_global_id("Schedule", schedule.id), "card": VISA}}, token=manager.token
    )

    assert read["data"]["organisation"]["schedules"]["totalCount"] == 1
    assert change["data"] is None
    assert change["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await card_of(sessionmaker, schedule.id) == ("VISA", "4242", 12, 2030)


async def test_a_page_of_plans_costs_the_same_queries_for_5_and_50(gql, sessionmaker, app) -> None:
    from sqlalchemy import event

    async with sessionmaker() as session, session.begin():
        org, jean = await individual(session)
        for _ in range(50):
            await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})
    engine = app.state.guichet.engine.sync_engine
    counts = []
    for size in (5, 50):
        statements: list[str] = []

        def count(*args: Any, _seen: list[str] = statements, **kwargs: Any) -> None:
            _seen.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            result = await gql(
                "query($id: ID!, $n: Int) { organisation(id: $id) { schedules(first: $n) { edges { node { "
                "installments { amount { amount } } regularisationOptions { installmentCount } canChangeCard } } } } }",
                {"id": to_global_id("Organisation", org.id), "n": size},
                token=jean.token,
            )
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(result["data"]["organisation"]["schedules"]["edges"]) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]

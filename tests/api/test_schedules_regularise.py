"""regulariseSchedule: an unpaid debt settled in 1, 2 or 3 payments, the first one now, exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from guichet.domain.ids import to_global_id
from guichet.domain.models.schedules import Installment, Regularisation, Schedule, ScheduleDebit
from tests.factories import make_member, make_organisation
from tests.factories_schedules import make_schedule, make_unpaid_schedule

REGULARISE = """
mutation($input: RegulariseScheduleInput!) {
  regulariseSchedule(input: $input) {
    succeeded message
    payment { status method amount { amount currency } invoices { id } failure { code message } }
    schedule {
      status canChangeCard
      outstandingAmount { amount } amountRegularised { amount }
      installments { number dueDate amount { amount } status kind }
      regularisationOptions { installmentCount }
    }
    errors { code message field }
  }
}
"""

DECLINED = {"number": "4000 0000 0000 0002", "expMonth": 12, "expYear": 2030, "cvc": "123"}


async def unpaid_plan(sessionmaker: Any) -> tuple[Any, Schedule]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Jean Dupont", currency="EUR", kind="INDIVIDUAL")
        jean = await make_member(session, org, primary_admin=True)
        schedule = await make_unpaid_schedule(session, org)
    return jean, schedule


async def snapshot(sessionmaker: Any, schedule_id: int) -> dict[str, Any]:
    async with sessionmaker() as session:
        schedule = await session.get(Schedule, schedule_id)
        parts = (
            await session.execute(
                select(Installment.number, Installment.status, Installment.amount_minor)
                .where(Installment.schedule_id == schedule_id)
                .order_by(Installment.number)
            )
        ).all()
        debits = (await session.execute(select(func.count()).select_from(ScheduleDebit))).scalar_one()
        return {
            "status": schedule.status,
            "version": schedule.version,
            "parts": [tuple(p) for p in parts],
            "debits": debits,
        }


def variables(schedule: Schedule, count: int, key: str = "key-1", card: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "scheduleId": to_global_id("Schedule", schedule.id),
        "installmentCount": count,
        "idempotencyKey": key,
    }
    if card is not None:
        data["card"] = card
    return {"input": data}


async def test_a_regularisation_in_3_payments_of_53_06_with_the_first_one_paid(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)

    result = await gql(REGULARISE, variables(schedule, 3), token=jean.token, lang="fr")

    payload = result["data"]["regulariseSchedule"]
    assert payload["errors"] == []
    assert payload["succeeded"] is True
    assert payload["message"] == "Votre paiement de 53,06 € a bien été accepté et nous vous en remercions."
    assert payload["payment"] == {
        "status": "SUCCEEDED",
        "method": "CARD",
        "amount": {"amount": "53.06", "currency": "EUR"},
        "invoices": [],
        "failure": None,
    }
    plan = payload["schedule"]
    assert plan["status"] == "IN_REGULARISATION"
    assert plan["amountRegularised"] == {"amount": "53.06"}
    assert plan["outstandingAmount"] == {"amount": "106.12"}
    assert plan["installments"][3:] == [
        {
            "number": 4,
            "dueDate": "2026-11-25",
            "amount": {"amount": "53.06"},
            "status": "PAID",
            "kind": "REGULARISATION",
        },
        {
            "number": 5,
            "dueDate": "2026-12-25",
            "amount": {"amount": "53.06"},
            "status": "PENDING",
            "kind": "REGULARISATION",
        },
        {
            "number": 6,
            "dueDate": "2027-01-24",
            "amount": {"amount": "53.06"},
            "status": "PENDING",
            "kind": "REGULARISATION",
        },
    ]
    assert plan["installments"][1]["status"] == "UNPAID"  # history is kept
    after = await snapshot(sessionmaker, schedule.id)
    assert (after["status"], after["debits"]) == ("IN_REGULARISATION", 1)


async def test_paying_the_whole_debt_at_once_settles_it(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)

    result = await gql(REGULARISE, variables(schedule, 1), token=jean.token, lang="fr")

    payload = result["data"]["regulariseSchedule"]
    assert payload["message"] == (
        "Votre paiement de 159,18 € a bien été accepté et nous vous en remercions. "
        "A ce jour, nous vous confirmons que ce contentieux est bien régularisé."
    )
    assert payload["schedule"]["status"] == "IN_PROGRESS"  # the 30/11 instalment is still to come
    assert payload["schedule"]["outstandingAmount"] == {"amount": "0.00"}
    assert payload["schedule"]["regularisationOptions"] == []


async def test_a_declined_card_gives_the_seeds_message_with_the_collections_number(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    before = await snapshot(sessionmaker, schedule.id)

    result = await gql(REGULARISE, variables(schedule, 1, card=DECLINED), token=jean.token, lang="fr")

    payload = result["data"]["regulariseSchedule"]
    assert payload["errors"] == []
    assert payload["succeeded"] is False
    assert payload["message"] == "Votre paiement de 159,18 € a été rejeté, vous pouvez nous contacter au 08 90 39 24 18"
    assert payload["schedule"]["status"] == "UNPAID"
    assert (payload["payment"]["status"], payload["payment"]["failure"]["code"]) == ("FAILED", "card_declined")
    after = await snapshot(sessionmaker, schedule.id)
    assert after["parts"] == before["parts"]
    assert after["debits"] == before["debits"] + 1  # the attempt is on record


async def test_a_declined_card_in_english(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)

    result = await gql(REGULARISE, variables(schedule, 3, card=DECLINED), token=jean.token, lang="en")

    assert result["data"]["regulariseSchedule"]["message"] == (
        "Your payment of €53.06 was declined; you can reach us on 08 90 39 24 18."
    )


async def test_the_same_key_never_charges_twice(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)

    first = await gql(REGULARISE, variables(schedule, 3, key="same"), token=jean.token)
    second = await gql(REGULARISE, variables(schedule, 3, key="same"), token=jean.token)

    assert second == first
    after = await snapshot(sessionmaker, schedule.id)
    assert after["debits"] == 1
    assert [p for p in after["parts"] if p[0] > 3] == [(4, "PAID", 5306), (5, "PENDING", 5306), (6, "PENDING", 5306)]


async def test_the_same_key_with_another_request_is_refused(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    await gql(REGULARISE, variables(schedule, 3, key="same"), token=jean.token)
    before = await snapshot(sessionmaker, schedule.id)

    result = await gql(REGULARISE, variables(schedule, 2, key="same"), token=jean.token)

    assert result["data"]["regulariseSchedule"]["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await snapshot(sessionmaker, schedule.id) == before


async def test_only_1_2_or_3_payments(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    before = await snapshot(sessionmaker, schedule.id)

    result = await gql(REGULARISE, variables(schedule, 4), token=jean.token)

    errors = result["data"]["regulariseSchedule"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INSTALLMENT_COUNT_NOT_ALLOWED", ["input", "installmentCount"])
    ]
    assert await snapshot(sessionmaker, schedule.id) == before


async def test_nothing_to_regularise_on_a_plan_in_progress(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        jean = await make_member(session, org, primary_admin=True)
        schedule = await make_schedule(session, org, statuses={1: "PAID"})

    result = await gql(REGULARISE, variables(schedule, 1), token=jean.token)

    assert result["data"]["regulariseSchedule"]["errors"][0]["code"] == "NOTHING_TO_REGULARISE"
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Regularisation))).scalar_one() == 0


async def test_a_second_regularisation_replaces_the_parts_still_to_come(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    await gql(REGULARISE, variables(schedule, 3, key="k1"), token=jean.token)

    result = await gql(REGULARISE, variables(schedule, 1, key="k2"), token=jean.token)

    plan = result["data"]["regulariseSchedule"]["schedule"]
    assert [(i["number"], i["status"], i["amount"]["amount"]) for i in plan["installments"][3:]] == [
        (4, "PAID", "53.06"),
        (5, "CANCELLED", "53.06"),
        (6, "CANCELLED", "53.06"),
        (7, "PAID", "106.12"),
    ]
    assert plan["amountRegularised"] == {"amount": "159.18"}
    assert plan["status"] == "IN_PROGRESS"


async def test_another_organisation_cannot_regularise(gql, sessionmaker) -> None:
    _jean, schedule = await unpaid_plan(sessionmaker)
    async with sessionmaker() as session, session.begin():
        other = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        stranger = await make_member(session, other, primary_admin=True)
    before = await snapshot(sessionmaker, schedule.id)

    result = await gql(REGULARISE, variables(schedule, 1), token=stranger.token)

    assert result["data"]["regulariseSchedule"]["errors"][0]["code"] == "NOT_FOUND"
    assert await snapshot(sessionmaker, schedule.id) == before


async def test_management_may_not_regularise(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR")
        manager = await make_member(session, org, roles=[("MANAGEMENT", None)])
        schedule = await make_unpaid_schedule(session, org)
    before = await snapshot(sessionmaker, schedule.id)

    result = await gql(REGULARISE, variables(schedule, 1), token=manager.token)

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await snapshot(sessionmaker, schedule.id) == before


async def test_a_new_card_that_pays_is_kept_for_the_next_parts(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    card = {"number": "4111 1111 1111 1111", "expMonth": 1, "expYear": 2027, "cvc": "123"}

    result = await gql(REGULARISE, variables(schedule, 2, card=card), token=jean.token)

    assert result["data"]["regulariseSchedule"]["succeeded"] is True
    async with sessionmaker() as session:
        row = await session.get(Schedule, schedule.id)
        assert (row.card_brand, row.card_last4, row.card_exp_month, row.card_exp_year) == ("VISA", "1111", 1, 2027)


async def test_a_new_card_must_outlast_the_last_part(gql, sessionmaker) -> None:
    jean, schedule = await unpaid_plan(sessionmaker)
    before = await snapshot(sessionmaker, schedule.id)
    card = {"number": "4111 1111 1111 1111", "expMonth": 12, "expYear": 2026, "cvc": "123"}  # 3rd part: 24/01/2027

    result = await gql(REGULARISE, variables(schedule, 3, card=card), token=jean.token)

    errors = result["data"]["regulariseSchedule"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CARD_EXPIRES_TOO_SOON", ["input", "card", "expYear"])]
    assert await snapshot(sessionmaker, schedule.id) == before

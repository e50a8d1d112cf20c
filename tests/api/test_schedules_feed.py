"""The feed's schedules: instalments computed on import, to the cent; re-import changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain.feed import FeedError
from guichet.domain.models.schedules import Installment, Schedule
from guichet.domain.schedules.feed import import_schedules
from tests.conftest import TEST_NOW
from tests.factories import make_organisation

SEED = {
    "orderNumber": "CMD-2019-000042",
    "merchantName": "Boutique Exemple",
    "purchaseAmount": "127.96",
    "purchaseDate": "2019-08-04",
    "fees": "0.00",
    "installmentCount": 3,
    "card": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2027},
}


async def rows(session: Any) -> list[tuple[Any, ...]]:
    result = await session.execute(
        select(
            Schedule.order_number,
            Installment.number,
            Installment.due_date,
            Installment.amount_minor,
            Installment.status,
        )
        .join(Installment, Installment.schedule_id == Schedule.id)
        .order_by(Schedule.order_number, Installment.number)
    )
    return [tuple(r) for r in result.all()]


async def test_the_seed_schedule_comes_out_exactly(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        await import_schedules(session, org, [SEED], "organisations[1].schedules", TEST_NOW)

    async with sessionmaker() as session:
        assert await rows(session) == [
            ("CMD-2019-000042", 1, date(2019, 8, 4), 4266, "PENDING"),
            ("CMD-2019-000042", 2, date(2019, 9, 3), 4265, "PENDING"),
            ("CMD-2019-000042", 3, date(2019, 10, 3), 4265, "PENDING"),
        ]
        schedule = (await session.execute(select(Schedule))).scalar_one()
    assert (schedule.status, schedule.card_last4, schedule.purchase_amount_minor) == ("IN_PROGRESS", "4242", 12796)


async def test_reimporting_changes_nothing(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        await import_schedules(session, org, [SEED], "s", TEST_NOW)
    async with sessionmaker() as session:
        before = await rows(session)

    async with sessionmaker() as session, session.begin():
        await import_schedules(session, await session.get(type(org), org.id), [SEED], "s", TEST_NOW)

    async with sessionmaker() as session:
        assert await rows(session) == before


async def test_another_customers_order_number_is_refused(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        other = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")
        await import_schedules(session, org, [SEED], "s", TEST_NOW)

    async with sessionmaker() as session:
        with pytest.raises(FeedError) as raised:
            await import_schedules(session, other, [SEED], "organisations[2].schedules", TEST_NOW)
    assert str(raised.value) == (
        "organisations[2].schedules[0] (CMD-2019-000042): this order number belongs to another customer"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purchaseAmount": "127.961"}, "purchaseAmount: '127.961' has more than 2 decimals for EUR"),
        ({"purchaseAmount": 127.96}, 'purchaseAmount must be a decimal string such as "127.96"'),
        ({"installmentCount": 0}, "installmentCount must be a whole number from 1 to 60"),
        ({"purchaseDate": "04/08/2019"}, "purchaseDate '04/08/2019' is not a date (YYYY-MM-DD)"),
        (
            {"card": {"brand": "AMEX", "last4": "0005", "expMonth": 1, "expYear": 2030}},
            "card.brand must be VISA or MASTERCARD",
        ),
        ({"installments": [{"number": 4, "status": "PAID"}]}, "number must be 1 to 3"),
        ({"colour": "red"}, "unknown field 'colour'"),
    ],
)
async def test_a_bad_record_is_named(sessionmaker, change: dict[str, Any], message: str) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, currency="EUR", kind="INDIVIDUAL")

    async with sessionmaker() as session:
        with pytest.raises(FeedError) as raised:
            await import_schedules(session, org, [{**SEED, **change}], "organisations[1].schedules", TEST_NOW)
    assert raised.value.path.startswith("organisations[1].schedules[0]")
    assert message in raised.value.message

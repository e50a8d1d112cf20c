"""`guichet jobs collect-debits` and `guichet schedules cancel`: every debit once, to the cent."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from guichet.cli.main import cli
from guichet.domain import models
from guichet.domain.cards import StoredCard
from guichet.domain.gateways.card import ChargeResult, SandboxCardGateway
from guichet.domain.models.schedules import Installment, Schedule, ScheduleDebit
from guichet.domain.money import Money
from guichet.domain.schedules.collect import collect_debits
from tests.conftest import POSTGRES_URL, TEST_NOW
from tests.factories import make_member, make_organisation
from tests.factories_schedules import make_schedule, make_unpaid_schedule

DECLINED_CARD = {"brand": "VISA", "last4": "0002", "expMonth": 12, "expYear": 2030}


class CountingGateway:
    """The sandbox, counting the charges it receives per reference (and slow enough to overlap)."""

    def __init__(self) -> None:
        self.charges: Counter[str] = Counter()
        self._sandbox = SandboxCardGateway()

    async def charge(self, card: StoredCard, amount: Money, *, reference: str) -> ChargeResult:
        self.charges[reference] += 1
        await asyncio.sleep(0.01)
        return await self._sandbox.charge(card, amount, reference=reference)


def unit_of_work(sessionmaker: Any) -> Any:
    @asynccontextmanager
    async def uow() -> Any:
        async with sessionmaker() as session, session.begin():
            yield session

    return uow


async def collect(sessionmaker: Any, gateway: Any, as_of: date) -> Any:
    return await collect_debits(
        unit_of_work(sessionmaker),
        gateway=gateway,
        as_of=as_of,
        now=TEST_NOW,
        public_url="http://guichet.test",
        support_phone="08 90 39 24 18",
    )


async def parts(sessionmaker: Any, schedule_id: int) -> list[tuple[int, str, int]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Installment.number, Installment.status, Installment.amount_minor)
            .where(Installment.schedule_id == schedule_id)
            .order_by(Installment.number)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def status_of(sessionmaker: Any, schedule_id: int) -> str:
    async with sessionmaker() as session:
        return (await session.get(Schedule, schedule_id)).status  # type: ignore[union-attr]


async def individual(sessionmaker: Any) -> tuple[models.Organisation, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Jean Dupont", currency="EUR", kind="INDIVIDUAL")
        jean = await make_member(session, org, primary_admin=True, email=f"jean{org.id}@example.fr")
    return org, jean


async def test_the_last_instalment_paid_completes_the_plan_and_a_second_run_does_nothing(sessionmaker) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})  # 42.65 due 19/12/2026
    gateway = CountingGateway()

    first = await collect(sessionmaker, gateway, date(2026, 12, 19))
    second = await collect(sessionmaker, gateway, date(2026, 12, 19))

    assert (first.presented, first.paid, first.unpaid) == (1, 1, 0)
    assert second.presented == 0
    assert list(gateway.charges.values()) == [1]
    assert await parts(sessionmaker, schedule.id) == [(1, "PAID", 4266), (2, "PAID", 4265), (3, "PAID", 4265)]
    assert await status_of(sessionmaker, schedule.id) == "COMPLETED"


async def test_nothing_due_after_the_as_of_date_is_presented(sessionmaker) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID", 2: "PAID"})
    gateway = CountingGateway()

    report = await collect(sessionmaker, gateway, date(2026, 12, 18))

    assert report.presented == 0 and not gateway.charges
    assert await status_of(sessionmaker, schedule.id) == "IN_PROGRESS"


async def test_a_refused_debit_makes_the_plan_unpaid_and_tells_the_customer(sessionmaker) -> None:
    org, jean = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"}, card=DECLINED_CARD)

    report = await collect(sessionmaker, CountingGateway(), date(2026, 11, 25))

    assert (report.presented, report.unpaid) == (1, 1)
    assert await parts(sessionmaker, schedule.id) == [(1, "PAID", 4266), (2, "UNPAID", 4265), (3, "PENDING", 4265)]
    assert await status_of(sessionmaker, schedule.id) == "UNPAID"
    async with sessionmaker() as session:
        mails = (await session.execute(select(models.OutboxEmail))).scalars().all()
        debit = (await session.execute(select(ScheduleDebit))).scalar_one()
    assert [m.to_address for m in mails] == [jean.email]
    assert "Votre prélèvement n°2 de 42,65 € du 19/11/2026" in mails[0].body_text
    assert "08 90 39 24 18" in mails[0].body_text and "payment no. 2 of €42.65" in mails[0].body_text
    assert (debit.succeeded, debit.failure_code, debit.card_last4) == (False, "card_declined", "0002")


async def test_regularisation_parts_are_collected_and_clear_the_debt(sessionmaker, gql) -> None:
    from guichet.domain.ids import to_global_id

    org, jean = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_unpaid_schedule(session, org)
    await gql(
        "mutation($i: RegulariseScheduleInput!) { regulariseSchedule(input: $i) { errors { code } } }",
        {"i": {"scheduleId": to_global_id("Schedule", schedule.id), "installmentCount": 2, "idempotencyKey": "k"}},
        token=jean.token,
    )
    assert await status_of(sessionmaker, schedule.id) == "IN_REGULARISATION"

    await collect(sessionmaker, CountingGateway(), date(2026, 12, 25))

    assert await parts(sessionmaker, schedule.id) == [
        (1, "PAID", 15918),
        (2, "UNPAID", 15918),
        (3, "PAID", 15918),
        (4, "PAID", 7959),
        (5, "PAID", 7959),
    ]
    assert await status_of(sessionmaker, schedule.id) == "COMPLETED"
    async with sessionmaker() as session:
        assert (await session.get(Schedule, schedule.id)).amount_regularised_minor == 15918  # type: ignore[union-attr]


async def test_a_missed_regularisation_part_makes_the_plan_unpaid_again(sessionmaker, gql) -> None:
    from guichet.domain.ids import to_global_id

    org, jean = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_unpaid_schedule(session, org)
    await gql(
        "mutation($i: RegulariseScheduleInput!) { regulariseSchedule(input: $i) { errors { code } } }",
        {"i": {"scheduleId": to_global_id("Schedule", schedule.id), "installmentCount": 3, "idempotencyKey": "k"}},
        token=jean.token,
    )
    async with sessionmaker() as session, session.begin():  # the card is then stolen: the bank refuses it
        row = await session.get(Schedule, schedule.id)
        row.card_last4 = "0002"  # type: ignore[union-attr]

    await collect(sessionmaker, CountingGateway(), date(2026, 12, 25))

    assert [p[:2] for p in await parts(sessionmaker, schedule.id)][3:] == [(4, "PAID"), (5, "UNPAID"), (6, "CANCELLED")]
    assert await status_of(sessionmaker, schedule.id) == "UNPAID"


@pytest.mark.skipif(not POSTGRES_URL, reason="concurrency is proven on PostgreSQL (GUICHET_TEST_POSTGRES_URL)")
async def test_two_runs_at_once_debit_each_instalment_once(sessionmaker, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        ids = [(await make_schedule(session, org)).id for _ in range(10)]  # 20/10 and 19/11 due: 20 debits
    gateway = CountingGateway()

    reports = await asyncio.gather(*(collect(sessionmaker, gateway, date(2026, 11, 25)) for _ in range(2)))

    assert sum(r.presented for r in reports) == 20
    assert len(gateway.charges) == 20 and set(gateway.charges.values()) == {1}
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(ScheduleDebit))).scalar_one() == 20
    for schedule_id in ids:
        assert [p[1] for p in await parts(sessionmaker, schedule_id)] == ["PAID", "PAID", "PENDING"]


def run_cli(database_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"GUICHET_DATABASE_URL": database_url})


async def test_the_collect_debits_command(sessionmaker, database_url) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"})

    result = await asyncio.to_thread(run_cli, database_url, "jobs", "collect-debits", "--as-of", "2026-11-25")
    again = await asyncio.to_thread(run_cli, database_url, "jobs", "collect-debits", "--as-of", "2026-11-25")

    assert result.exit_code == 0, result.output
    assert result.output == "collect-debits as of 2026-11-25: 1 presented, 1 paid, 0 unpaid\n"
    assert again.output == "collect-debits as of 2026-11-25: 0 presented, 0 paid, 0 unpaid\n"
    assert [p[1] for p in await parts(sessionmaker, schedule.id)] == ["PAID", "PAID", "PENDING"]


async def test_a_total_cancellation_cancels_what_remains(sessionmaker, database_url) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"})

    result = await asyncio.to_thread(run_cli, database_url, "schedules", "cancel", "--order", schedule.order_number)

    assert result.exit_code == 0, result.output
    assert await parts(sessionmaker, schedule.id) == [(1, "PAID", 4266), (2, "CANCELLED", 4265), (3, "CANCELLED", 4265)]
    assert await status_of(sessionmaker, schedule.id) == "CANCELLED"


async def test_a_partial_cancellation_resplits_the_remaining_instalments(sessionmaker, database_url) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"})

    result = await asyncio.to_thread(
        run_cli, database_url, "schedules", "cancel", "--order", schedule.order_number, "--amount", "10.01"
    )

    assert result.exit_code == 0, result.output
    # 85.30 - 10.01 = 75.29 over two: 37.65 + 37.64; the paid one never changes.
    assert await parts(sessionmaker, schedule.id) == [(1, "PAID", 4266), (2, "PENDING", 3765), (3, "PENDING", 3764)]
    assert await status_of(sessionmaker, schedule.id) == "IN_PROGRESS"
    async with sessionmaker() as session:
        assert (await session.get(Schedule, schedule.id)).cancelled_minor == 1001  # type: ignore[union-attr]


async def test_a_cancellation_amount_with_a_decimal_comma_says_to_use_a_dot(sessionmaker, database_url) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"})
    before = await parts(sessionmaker, schedule.id)

    result = await asyncio.to_thread(
        run_cli, database_url, "schedules", "cancel", "--order", schedule.order_number, "--amount", "10,00"
    )

    assert result.exit_code == 1
    assert result.output == "guichet: 10,00 is not an amount: use a dot as decimal separator (e.g. 10.00).\n"
    assert await parts(sessionmaker, schedule.id) == before


async def test_a_cancellation_larger_than_the_balance_is_refused(sessionmaker, database_url) -> None:
    org, _ = await individual(sessionmaker)
    async with sessionmaker() as session, session.begin():
        schedule = await make_schedule(session, org, statuses={1: "PAID"})
    before = await parts(sessionmaker, schedule.id)

    result = await asyncio.to_thread(
        run_cli, database_url, "schedules", "cancel", "--order", schedule.order_number, "--amount", "85.31"
    )
    unknown = await asyncio.to_thread(run_cli, database_url, "schedules", "cancel", "--order", "NO-SUCH-ORDER")

    assert result.exit_code == 1
    assert result.output == "guichet: The amount to cancel is larger than what remains to be paid.\n"
    assert (
        unknown.exit_code == 1 and unknown.output == "guichet: No instalment plan has the order number NO-SUCH-ORDER.\n"
    )
    assert await parts(sessionmaker, schedule.id) == before

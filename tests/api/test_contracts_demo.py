"""The demo gives ACME two contracts: a monthly support contract renewing in 20 days and an annual one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guichet.demo import load_demo
from guichet.domain.models.contracts import Contract, ContractLine
from tests.conftest import TEST_NOW

TODAY = TEST_NOW.date()


async def test_the_demo_has_acmes_two_contracts(settings, sessionmaker) -> None:
    assert await load_demo(settings, today=TODAY) is True

    async with sessionmaker() as session:
        contracts = (await session.execute(select(Contract).order_by(Contract.id))).scalars().all()
        frequencies = (
            await session.execute(select(ContractLine.contract_id, ContractLine.frequency).order_by(ContractLine.id))
        ).all()
    support, annual = contracts
    assert (support.name, support.status, support.auto_renew, support.end_date) == (
        "Support Premier",
        "ACTIVE",
        True,
        TODAY + timedelta(days=20),
    )
    assert {f for c, f in frequencies if c == support.id} == {"MONTHLY", "ONE_TIME"}
    assert {f for c, f in frequencies if c == annual.id} == {"ANNUAL"}

"""The feed's contracts: upserted by number, lines with fleet lines, invoices naming them;
re-import changes nothing; a bad record is named in one line and nothing is written."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import import_feed
from guichet.domain.feed.parse import parse_feed
from guichet.domain.models.contracts import Contract, ContractLine
from tests.conftest import TEST_NOW

FEED: dict[str, Any] = {
    "organisations": [
        {
            "taxpayerNumber": "CI-FEED-CT",
            "name": "ACME",
            "kind": "BUSINESS",
            "currency": "XOF",
            "billingAccounts": [
                {"number": "BA-CT-1", "name": "Siège", "lines": [{"number": "+2250701029999", "serviceType": "MOBILE"}]}
            ],
            "contracts": [
                {
                    "number": "CT-FEED-0001",
                    "name": "Support Premier",
                    "billingAccount": "BA-CT-1",
                    "status": "ACTIVE",
                    "startDate": "2026-01-01",
                    "endDate": "2026-12-31",
                    "renewalNoticeDate": "2026-11-30",
                    "autoRenew": True,
                    "terminatedOn": None,
                    "lines": [
                        {
                            "product": "Premier Support",
                            "quantity": 2,
                            "unitPrice": "60000",
                            "frequency": "MONTHLY",
                            "startDate": "2026-01-01",
                            "lineNumber": "+2250701029999",
                        }
                    ],
                }
            ],
            "invoices": [
                {
                    "number": "F-CT-FEED-1",
                    "billingAccount": "BA-CT-1",
                    "serviceType": "MOBILE",
                    "issueDate": "2026-01-05",
                    "dueDate": "2026-02-05",
                    "periodStart": "2026-01-01",
                    "periodEnd": "2026-01-31",
                    "contractNumber": "CT-FEED-0001",
                    "lines": [{"description": "Premier Support", "amount": "120000"}],
                }
            ],
        }
    ]
}


async def _import(sessionmaker: Any, document: dict[str, Any]) -> None:
    async with sessionmaker() as session, session.begin():
        await import_feed(session, parse_feed(document), now=TEST_NOW)


async def _snapshot(sessionmaker: Any) -> list[tuple[Any, ...]]:
    async with sessionmaker() as session:
        contracts = (await session.execute(select(Contract).order_by(Contract.number))).scalars().all()
        lines = (await session.execute(select(ContractLine).order_by(ContractLine.id))).scalars().all()
        invoices = (await session.execute(select(models.Invoice.number, models.Invoice.contract_number))).all()
    return (
        [
            (
                c.id,
                c.number,
                c.name,
                c.status,
                c.start_date,
                c.end_date,
                c.renewal_notice_date,
                c.auto_renew,
                c.updated_at,
            )
            for c in contracts
        ]
        + [(ln.id, ln.product, ln.quantity, ln.unit_price_minor, ln.frequency, ln.line_id is not None) for ln in lines]
        + [tuple(i) for i in invoices]
    )


async def test_the_feed_creates_contracts_with_lines_and_links_invoices(sessionmaker) -> None:
    await _import(sessionmaker, FEED)

    async with sessionmaker() as session:
        contract = (await session.execute(select(Contract))).scalar_one()
        line = (await session.execute(select(ContractLine))).scalar_one()
        fleet = (await session.execute(select(models.Line))).scalar_one()
        invoice = (await session.execute(select(models.Invoice))).scalar_one()
    assert (contract.number, contract.status, contract.end_date, contract.renewal_notice_date, contract.auto_renew) == (
        "CT-FEED-0001",
        "ACTIVE",
        date(2026, 12, 31),
        date(2026, 11, 30),
        True,
    )
    assert (line.product, line.quantity, line.unit_price_minor, line.frequency, line.line_id) == (
        "Premier Support",
        2,
        60000,
        "MONTHLY",
        fleet.id,
    )
    assert invoice.contract_number == "CT-FEED-0001"


async def test_reimporting_the_same_feed_changes_nothing(sessionmaker) -> None:
    await _import(sessionmaker, FEED)
    before = await _snapshot(sessionmaker)

    await _import(sessionmaker, FEED)

    assert await _snapshot(sessionmaker) == before


async def test_a_changed_line_replaces_the_lines(sessionmaker) -> None:
    await _import(sessionmaker, FEED)
    changed = copy.deepcopy(FEED)
    changed["organisations"][0]["contracts"][0]["lines"][0]["quantity"] = 3

    await _import(sessionmaker, changed)

    async with sessionmaker() as session:
        quantities = (await session.execute(select(ContractLine.quantity))).scalars().all()
    assert quantities == [3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"frequency": "WEEKLY"},
            "organisations[0].contracts[0] (CT-FEED-0001).lines[0]: frequency must be one of ONE_TIME, MONTHLY, "
            "QUARTERLY, SEMI_ANNUAL, ANNUAL",
        ),
        (
            {"unitPrice": 60000},
            'organisations[0].contracts[0] (CT-FEED-0001).lines[0]: unitPrice must be a decimal string such as "60000"',
        ),
        (
            {"lineNumber": "+2250700000000"},
            "organisations[0].contracts[0] (CT-FEED-0001).lines[0]: line '+2250700000000' is not on billing "
            "account BA-CT-1",
        ),
    ],
)
async def test_a_bad_line_is_named_and_nothing_is_written(sessionmaker, change, message) -> None:
    bad = copy.deepcopy(FEED)
    bad["organisations"][0]["contracts"][0]["lines"][0].update(change)

    with pytest.raises(FeedError) as raised:
        await _import(sessionmaker, bad)

    assert str(raised.value) == message
    assert "\n" not in str(raised.value)
    assert await _snapshot(sessionmaker) == []


async def test_an_unknown_account_is_named_and_nothing_is_written(sessionmaker) -> None:
    bad = copy.deepcopy(FEED)
    bad["organisations"][0]["contracts"][0]["billingAccount"] = "BA-NOPE"

    with pytest.raises(FeedError) as raised:
        await _import(sessionmaker, bad)

    assert str(raised.value) == (
        "organisations[0].contracts[0] (CT-FEED-0001): billing account 'BA-NOPE' is not this customer's"
    )
    assert await _snapshot(sessionmaker) == []

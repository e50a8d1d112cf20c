"""Contracts and their billing schedule as SQL: tenant and scope first, then the filters.

A scope limited to some billing accounts becomes `billing_account_id IN (:scope)`: a contract
outside them is never read or counted (ACCESS.md rules 2, 7 and 10). The schedule is computed
from three statements whatever its size: the contracts, their lines, the invoices naming them.

Performance: a page of the organisation-wide schedule costs those three statements for 5 entries
or 50 (tests/api/test_contracts_statements.py counts them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.contracts import rules
from guichet.domain.models.contracts import Contract, ContractLine
from guichet.domain.search import ESCAPE, contains_pattern


@dataclass(frozen=True)
class ContractCriteria:
    statuses: tuple[str, ...] = ()
    billing_account_id: int | None = None
    search: str | None = None


@dataclass(frozen=True)
class ScheduleCriteria:
    statuses: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    billing_account_id: int | None = None
    contract_id: int | None = None


@dataclass(frozen=True)
class ScheduleEntry:
    """One period to invoice, already decided for `today`."""

    pk: int
    contract: Contract
    line: ContractLine
    period: rules.Period
    status: str
    invoice_id: int | None
    invoice_number: str | None

    @property
    def sort_key(self) -> tuple[date, str, int, int]:
        return (self.period.start, self.contract.number, self.line.position, self.period.index)


@dataclass
class ContractData:
    """Contracts with their lines and the invoices naming them, as read in three statements."""

    contracts: list[Contract]
    lines: dict[int, list[ContractLine]] = field(default_factory=dict)
    invoiced: dict[tuple[str, date], tuple[int, str]] = field(default_factory=dict)


def contracts_statement(
    *, organisation_id: int, account_ids: Collection[int] | None, criteria: ContractCriteria
) -> Select[Any]:
    """The contracts of the organisation in scope (None: every account) matching `criteria`."""
    statement = select(Contract).where(Contract.organisation_id == organisation_id)
    if account_ids is not None:
        statement = statement.where(Contract.billing_account_id.in_(sorted(account_ids)))
    if criteria.statuses:
        statement = statement.where(Contract.status.in_(criteria.statuses))
    if criteria.billing_account_id is not None:
        statement = statement.where(Contract.billing_account_id == criteria.billing_account_id)
    if criteria.search:
        pattern = contains_pattern(criteria.search)
        statement = statement.where(
            or_(
                func.lower(Contract.number).like(pattern, escape=ESCAPE),
                func.lower(Contract.name).like(pattern, escape=ESCAPE),
            )
        )
    return statement


async def lines_by_contract(session: AsyncSession, contract_ids: Sequence[int]) -> dict[int, list[ContractLine]]:
    """Every line of these contracts, by contract, in position order (one statement)."""
    found: dict[int, list[ContractLine]] = {pk: [] for pk in contract_ids}
    if not contract_ids:
        return found
    rows = (
        await session.execute(
            select(ContractLine)
            .where(ContractLine.contract_id.in_(list(contract_ids)))
            .order_by(ContractLine.contract_id, ContractLine.position)
        )
    ).scalars()
    for row in rows:
        found[row.contract_id].append(row)
    return found


async def invoiced_periods(
    session: AsyncSession, organisation_id: int, contract_numbers: Iterable[str]
) -> dict[tuple[str, date], tuple[int, str]]:
    """(contract number, period start) -> (invoice id, number) of the organisation's invoices naming them."""
    numbers = sorted(set(contract_numbers))
    if not numbers:
        return {}
    rows = await session.execute(
        select(
            models.Invoice.contract_number, models.Invoice.period_start, models.Invoice.id, models.Invoice.number
        ).where(
            models.Invoice.organisation_id == organisation_id,
            models.Invoice.contract_number.in_(numbers),
            models.Invoice.period_start.is_not(None),
        )
    )
    found: dict[tuple[str, date], tuple[int, str]] = {}
    for contract_number, period_start, invoice_id, number in rows.all():
        # The oldest invoice of a period is the one the schedule links to.
        key = (contract_number, period_start)
        if key not in found or invoice_id < found[key][0]:
            found[key] = (invoice_id, number)
    return found


async def load_data(session: AsyncSession, organisation_id: int, contracts: list[Contract]) -> ContractData:
    """Lines and invoices of `contracts` (two statements)."""
    return ContractData(
        contracts=contracts,
        lines=await lines_by_contract(session, [c.id for c in contracts]),
        invoiced=await invoiced_periods(session, organisation_id, [c.number for c in contracts]),
    )


def entries_of(data: ContractData, *, today: date, criteria: ScheduleCriteria) -> list[ScheduleEntry]:
    """The schedule entries of `data` matching `criteria`, by invoicing date then contract number."""
    entries: list[ScheduleEntry] = []
    for contract in data.contracts:
        for line in data.lines.get(contract.id, []):
            end = rules.line_end(line.end_date, contract.end_date)
            for period in rules.periods(
                frequency=line.frequency,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                start=line.start_date,
                end=end,
                today=today,
            ):
                if criteria.start is not None and period.start < criteria.start:
                    continue
                if criteria.end is not None and period.start > criteria.end:
                    continue
                invoice = data.invoiced.get((contract.number, period.start))
                status = rules.entry_status(
                    contract_status=contract.status,
                    terminated_on=contract.terminated_on,
                    contract_start=contract.start_date,
                    period_start=period.start,
                    invoiced=invoice is not None,
                )
                if criteria.statuses and status not in criteria.statuses:
                    continue
                entries.append(
                    ScheduleEntry(
                        pk=rules.entry_pk(line.id, period.index),
                        contract=contract,
                        line=line,
                        period=period,
                        status=status,
                        invoice_id=invoice[0] if invoice else None,
                        invoice_number=invoice[1] if invoice else None,
                    )
                )
    entries.sort(key=lambda e: e.sort_key)
    return entries


async def schedule(
    session: AsyncSession,
    *,
    organisation_id: int,
    account_ids: Collection[int] | None,
    criteria: ScheduleCriteria,
    today: date,
) -> list[ScheduleEntry]:
    """Every entry in scope matching `criteria` (three statements)."""
    statement = contracts_statement(
        organisation_id=organisation_id,
        account_ids=account_ids,
        criteria=ContractCriteria(billing_account_id=criteria.billing_account_id),
    )
    if criteria.contract_id is not None:
        statement = statement.where(Contract.id == criteria.contract_id)
    contracts = list((await session.execute(statement.order_by(Contract.id))).scalars())
    data = await load_data(session, organisation_id, contracts)
    return entries_of(data, today=today, criteria=criteria)

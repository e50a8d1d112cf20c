"""Read statements of the rewards ledger: lots, per-currency figures, the ledger with running balances.

Every statement starts from `organisation_id = :org` (ACCESS.md rule 7). `balanceAfter` is a
window sum over the whole ledger of the currency in `occurredAt` order (ties by id), computed
before the type filter so a filtered page still shows the true running balance.

Performance: the accounts cost two statements whatever the number of currencies, a ledger page
one plus its count (tests/api/test_rewards_statements.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.rewards import RewardAllocation, RewardTransaction
from guichet.domain.rewards import rules

_t = RewardTransaction.__table__
_a = RewardAllocation.__table__


def _lots_statement(organisation_id: int, currency: str | None) -> Select[Any]:
    consumed = (
        select(_a.c.lot_id, func.sum(_a.c.amount_minor).label("consumed"))
        .where(_a.c.organisation_id == organisation_id)
        .group_by(_a.c.lot_id)
        .subquery()
    )
    statement = (
        select(
            _t.c.id,
            _t.c.currency,
            _t.c.expires_at,
            (_t.c.amount_minor - func.coalesce(consumed.c.consumed, 0)).label("remaining"),
        )
        .select_from(_t.outerjoin(consumed, consumed.c.lot_id == _t.c.id))
        .where(_t.c.organisation_id == organisation_id, _t.c.amount_minor > 0)
        .order_by(_t.c.id)
    )
    if currency is not None:
        statement = statement.where(_t.c.currency == currency)
    return statement


async def lots(session: AsyncSession, organisation_id: int, currency: str) -> list[rules.Lot]:
    """The lots of one currency with something left (one statement)."""
    rows = (await session.execute(_lots_statement(organisation_id, currency))).all()
    return [rules.Lot(r.id, r.expires_at, int(r.remaining)) for r in rows if r.remaining > 0]


async def lock_lots(session: AsyncSession, organisation_id: int, currency: str) -> None:
    """Lock every lot of the currency, in id order, until the transaction ends.

    Every consumer (a redemption, the expiry job, a feed debit) locks the same rows in the same
    order first, so two of them never spend one remainder twice and never deadlock. SQLite has
    no row locks; its single writer serialises the same transactions.
    """
    await session.execute(
        select(_t.c.id)
        .where(_t.c.organisation_id == organisation_id, _t.c.currency == currency, _t.c.amount_minor > 0)
        .order_by(_t.c.id)
        .with_for_update()
    )


async def account_figures(
    session: AsyncSession, organisation_id: int, today: date, *, currency: str | None = None
) -> list[rules.Figures]:
    """One set of figures per currency that has entries, and `currency` (the organisation's) always,
    by currency (two statements)."""
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    if currency is not None:
        totals[currency] = {}
    for entry_currency, kind, total in (
        await session.execute(
            select(_t.c.currency, _t.c.type, func.sum(_t.c.amount_minor))
            .where(_t.c.organisation_id == organisation_id)
            .group_by(_t.c.currency, _t.c.type)
        )
    ).all():
        totals[entry_currency][kind] = int(total)
    lots_by_currency: dict[str, list[rules.Lot]] = defaultdict(list)
    for row in (await session.execute(_lots_statement(organisation_id, None))).all():
        lots_by_currency[row.currency].append(rules.Lot(row.id, row.expires_at, int(row.remaining)))
    return [rules.figures(currency, totals[currency], lots_by_currency[currency], today) for currency in sorted(totals)]


def ledger_statement(organisation_id: int, currency: str) -> Any:
    """The currency's entries with `balance_after`, as a subquery to filter and page."""
    return (
        select(
            _t,
            func.sum(_t.c.amount_minor).over(order_by=(_t.c.occurred_at, _t.c.id)).label("balance_after"),
        )
        .where(_t.c.organisation_id == organisation_id, _t.c.currency == currency)
        .subquery()
    )


def ledger_page_statement(
    organisation_id: int,
    currency: str,
    *,
    types: Sequence[str],
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[Select[Any], Select[Any]]:
    """(page, count) statements: entries newest first (occurredAt, then id), after the keyset position."""
    ledger = ledger_statement(organisation_id, currency)
    condition = ledger.c.type.in_(list(types)) if types else None
    page = select(ledger)
    count = select(func.count()).select_from(ledger)
    if condition is not None:
        page, count = page.where(condition), count.where(condition)
    if after is not None:
        at, pk = after
        page = page.where(or_(ledger.c.occurred_at < at, and_(ledger.c.occurred_at == at, ledger.c.id < pk)))
    page = page.order_by(ledger.c.occurred_at.desc(), ledger.c.id.desc()).limit(limit)
    return page, count


async def entries_by_pk(session: AsyncSession, pks: Sequence[int]) -> list[Any]:
    """Entries by id with their running balance (one statement per currency met)."""
    found = (
        await session.execute(select(_t.c.id, _t.c.organisation_id, _t.c.currency).where(_t.c.id.in_(list(pks))))
    ).all()
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, organisation_id, currency in found:
        groups[(organisation_id, currency)].append(pk)
    rows: list[Any] = []
    for (organisation_id, currency), ids in groups.items():
        ledger = ledger_statement(organisation_id, currency)
        rows += (await session.execute(select(ledger).where(ledger.c.id.in_(ids)))).all()
    return rows

"""The catalogue and the pricing of carts: pure rules plus the queries that feed them.

A cart is always priced from the catalogue as it is now; an order keeps the prices it was
checked out with (order_items). Amounts are integer minor units of the organisation's currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.shop import Offering, OfferingPrice
from guichet.domain.search import ESCAPE, contains_pattern

KINDS = ("PLAN", "OPTION", "SIM", "DEVICE", "ACCESSORY", "SERVICE")
PRICE_TYPES = ("ONE_TIME", "RECURRING")
FREQUENCIES = ("MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "ANNUAL")


@dataclass(frozen=True)
class Priced:
    """One priced cart item: its headline unit price and what it adds to each total."""

    unit_price_minor: int
    amount_minor: int
    one_time_minor: int
    recurring_minor: dict[str, int]


@dataclass(frozen=True)
class Totals:
    one_time_minor: int
    # frequency -> amount, in FREQUENCIES order
    recurring_minor: dict[str, int]


def check_quantity(offering: Offering, quantity: int, field: Sequence[str]) -> None:
    """Raise DomainError(QUANTITY_NOT_ALLOWED) outside min/max or off the increment."""
    step = max(offering.quantity_increment, 1)
    too_many = offering.max_quantity is not None and quantity > offering.max_quantity
    if quantity < offering.min_quantity or too_many or quantity % step != 0:
        raise DomainError(
            ErrorCode.QUANTITY_NOT_ALLOWED,
            field=list(field),
            params={
                "min": offering.min_quantity,
                "max": offering.max_quantity if offering.max_quantity is not None else "∞",
                "increment": step,
            },
        )


def price_item(prices: Sequence[OfferingPrice], quantity: int) -> Priced:
    """Price `quantity` units: the headline unit price is the one-time price, else the first recurring one."""
    one_time = sum(p.amount_minor for p in prices if p.price_type == "ONE_TIME")
    recurring: dict[str, int] = defaultdict(int)
    for p in prices:
        if p.price_type == "RECURRING" and p.frequency is not None:
            recurring[p.frequency] += p.amount_minor * quantity
    has_one_time = any(p.price_type == "ONE_TIME" for p in prices)
    if has_one_time:
        unit = one_time
    else:
        unit = next((p.amount_minor for p in prices if p.price_type == "RECURRING"), 0)
    return Priced(unit, unit * quantity, one_time * quantity, dict(recurring))


def totals(items: Sequence[Priced]) -> Totals:
    """The one-time total and the recurring totals per frequency (in FREQUENCIES order)."""
    recurring: dict[str, int] = defaultdict(int)
    for item in items:
        for frequency, amount in item.recurring_minor.items():
            recurring[frequency] += amount
    ordered = {f: recurring[f] for f in FREQUENCIES if recurring.get(f)}
    return Totals(sum(i.one_time_minor for i in items), ordered)


def list_statement(organisation_id: int, *, kinds: Sequence[str], search: str | None) -> Select[tuple[Offering]]:
    """The organisation's offerings (unavailable ones included), filtered by kind and text."""
    statement = select(Offering).where(Offering.organisation_id == organisation_id)
    if kinds:
        statement = statement.where(Offering.kind.in_(list(kinds)))
    if search and search.strip():
        pattern = contains_pattern(search[:100])
        statement = statement.where(
            or_(
                func.lower(Offering.code).like(pattern, escape=ESCAPE),
                func.lower(Offering.name).like(pattern, escape=ESCAPE),
                func.lower(func.coalesce(Offering.description, "")).like(pattern, escape=ESCAPE),
            )
        )
    return statement


async def prices_by_offering(session: AsyncSession, offering_ids: Sequence[int]) -> dict[int, list[OfferingPrice]]:
    """Each offering's prices in catalogue order (one query)."""
    found: dict[int, list[OfferingPrice]] = {i: [] for i in offering_ids}
    if not offering_ids:
        return found
    rows = (
        await session.execute(
            select(OfferingPrice)
            .where(OfferingPrice.offering_id.in_(list(offering_ids)))
            .order_by(OfferingPrice.offering_id, OfferingPrice.position)
        )
    ).scalars()
    for row in rows:
        found[row.offering_id].append(row)
    return found


async def offerings_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Offering]:
    if not ids:
        return []
    return list((await session.execute(select(Offering).where(Offering.id.in_(list(ids))))).scalars())

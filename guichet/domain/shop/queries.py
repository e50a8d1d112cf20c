"""Reading orders and carts: the scoped list statement and the batched relations of a page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.shop import Cart, CartItem, Order, OrderItem, OrderStatusChange, Shipment
from guichet.domain.search import ESCAPE, contains_pattern

MAX_SEARCH = 100


@dataclass(frozen=True)
class Criteria:
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    billing_account_id: int | None = None
    search: str | None = None
    # A filter naming no account of the organisation matches nothing.
    nothing: bool = False


def list_statement(
    *, organisation_id: int, account_ids: frozenset[int] | None, criteria: Criteria
) -> Select[tuple[Order]]:
    """The organisation's orders within `account_ids` (None: every account) matching `criteria`."""
    statement = select(Order).where(Order.organisation_id == organisation_id)
    if account_ids is not None:
        statement = statement.where(Order.billing_account_id.in_(sorted(account_ids)))
    if criteria.nothing:
        statement = statement.where(false())
    if criteria.statuses:
        statement = statement.where(Order.status.in_(list(criteria.statuses)))
    if criteria.sources:
        statement = statement.where(Order.source.in_(list(criteria.sources)))
    if criteria.billing_account_id is not None:
        statement = statement.where(Order.billing_account_id == criteria.billing_account_id)
    if criteria.search and criteria.search.strip():
        pattern = contains_pattern(criteria.search[:MAX_SEARCH])
        statement = statement.where(
            or_(
                func.lower(Order.number).like(pattern, escape=ESCAPE),
                func.lower(func.coalesce(Order.po_number, "")).like(pattern, escape=ESCAPE),
                Order.id.in_(
                    select(OrderItem.order_id).where(func.lower(OrderItem.description).like(pattern, escape=ESCAPE))
                ),
            )
        )
    return statement


async def orders_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Order]:
    if not ids:
        return []
    return list(
        (
            await session.execute(
                select(Order).where(Order.id.in_(list(ids))).execution_options(populate_existing=True)
            )
        ).scalars()
    )


async def _grouped(session: AsyncSession, model: type, key: str, ids: Sequence[int], order: Sequence[object]) -> dict:  # type: ignore[type-arg]
    found: dict[int, list[object]] = defaultdict(list)
    if ids:
        column = getattr(model, key)
        for row in (await session.execute(select(model).where(column.in_(list(ids))).order_by(*order))).scalars():
            found[getattr(row, key)].append(row)
    return {i: found.get(i, []) for i in ids}


async def items_by_order(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[OrderItem]]:
    return await _grouped(session, OrderItem, "order_id", ids, (OrderItem.order_id, OrderItem.position))


async def history_by_order(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[OrderStatusChange]]:
    return await _grouped(session, OrderStatusChange, "order_id", ids, (OrderStatusChange.id,))


async def shipments_by_order(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Shipment]]:
    return await _grouped(session, Shipment, "order_id", ids, (Shipment.id,))


async def items_by_cart(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[CartItem]]:
    return await _grouped(session, CartItem, "cart_id", ids, (CartItem.id,))


async def carts_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Cart]:
    if not ids:
        return []
    return list(
        (
            await session.execute(select(Cart).where(Cart.id.in_(list(ids))).execution_options(populate_existing=True))
        ).scalars()
    )

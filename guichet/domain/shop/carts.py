"""Carts: one ACTIVE cart per contact, for one billing account, priced from the catalogue now.

Services take an Actor (the contact and the billing accounts its SHOP WRITE reaches, None for all);
an account, line or cart item outside that reach is NOT_FOUND, like one that does not exist. A
cart untouched for 7 days is expired: refused with CART_EXPIRED, and marked EXPIRED by the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.shop import Cart, CartItem, Offering
from guichet.domain.shop.catalogue import check_quantity

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]

CART_LIFETIME = timedelta(days=7)
MAX_ITEMS = 100
MAX_NOTE = 500


@dataclass(frozen=True)
class Actor:
    organisation_id: int
    contact_id: int
    # The billing accounts the permission reaches; None: all of them.
    account_ids: frozenset[int] | None

    def reaches(self, billing_account_id: int) -> bool:
        return self.account_ids is None or billing_account_id in self.account_ids


@dataclass(frozen=True)
class NewItem:
    offering_id: int
    quantity: int
    line_id: int | None = None
    note: str | None = None


def expires_at(cart: Cart) -> datetime:
    return cart.touched_at + CART_LIFETIME


def effective_status(cart: Cart, now: datetime) -> str:
    """ACTIVE carts past their 7 days are EXPIRED even before the job marks them."""
    if cart.status == "ACTIVE" and now >= expires_at(cart):
        return "EXPIRED"
    return cart.status


async def active_cart(session: AsyncSession, *, organisation_id: int, contact_id: int) -> Cart | None:
    return (
        await session.execute(
            select(Cart)
            .where(Cart.organisation_id == organisation_id, Cart.contact_id == contact_id, Cart.status == "ACTIVE")
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def _account(session: AsyncSession, actor: Actor, billing_account_id: int) -> None:
    found = (
        await session.execute(
            select(models.BillingAccount.id).where(
                models.BillingAccount.id == billing_account_id,
                models.BillingAccount.organisation_id == actor.organisation_id,
            )
        )
    ).scalar_one_or_none()
    if found is None or not actor.reaches(billing_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "billingAccountId"])


async def _check_items(
    session: AsyncSession, actor: Actor, billing_account_id: int, items: Sequence[NewItem]
) -> dict[int, Offering]:
    """The offerings of valid items; raise the first refusal with its item's field path."""
    offering_ids = sorted({i.offering_id for i in items})
    offerings = {
        o.id: o
        for o in (
            await session.execute(
                select(Offering).where(Offering.id.in_(offering_ids), Offering.organisation_id == actor.organisation_id)
            )
        ).scalars()
    }
    line_ids = sorted({i.line_id for i in items if i.line_id is not None})
    lines = dict(
        (
            await session.execute(
                select(models.Line.id, models.Line.billing_account_id).where(
                    models.Line.id.in_(line_ids), models.Line.organisation_id == actor.organisation_id
                )
            )
        ).all()
    )
    for index, item in enumerate(items):
        where = ["input", "items", str(index)]
        offering = offerings.get(item.offering_id)
        if offering is None:
            raise DomainError(ErrorCode.NOT_FOUND, field=[*where, "offeringId"])
        if not offering.available:
            raise DomainError(ErrorCode.OFFERING_NOT_AVAILABLE, field=[*where, "offeringId"])
        check_quantity(offering, item.quantity, [*where, "quantity"])
        if item.line_id is not None and lines.get(item.line_id) != billing_account_id:
            # A line of another account (or organisation) is unknown here.
            raise DomainError(ErrorCode.NOT_FOUND, field=[*where, "lineId"])
        if offering.requires_line and item.line_id is None:
            raise DomainError(ErrorCode.VALIDATION, "order_line_required", field=[*where, "lineId"])
        if item.note is not None and len(item.note) > MAX_NOTE:
            raise DomainError(ErrorCode.VALIDATION, "text_too_long", field=[*where, "note"], params={"limit": MAX_NOTE})
    return offerings


async def add_items(
    uow: UnitOfWork, *, actor: Actor, billing_account_id: int, items: Sequence[NewItem], now: datetime
) -> int:
    """Add items to the contact's cart for this account (a new cart if none is active); the cart id.

    The same offering for the same line adds to the quantity already there (checked again).
    Raise DomainError: NOT_FOUND (account, offering or line out of reach), VALIDATION (no items,
    a line missing, a cart for another account still holding items), OFFERING_NOT_AVAILABLE,
    QUANTITY_NOT_ALLOWED, CART_EXPIRED (the active cart is past its 7 days: it is replaced, not refused).
    """
    if not items:
        raise DomainError(ErrorCode.VALIDATION, "required", field=["input", "items"])
    if len(items) > MAX_ITEMS:
        raise DomainError(ErrorCode.VALIDATION, "too_many_items", field=["input", "items"], params={"limit": MAX_ITEMS})
    for attempt in range(2):
        try:
            async with uow() as session:
                await _account(session, actor, billing_account_id)
                offerings = await _check_items(session, actor, billing_account_id, items)
                cart = await active_cart(session, organisation_id=actor.organisation_id, contact_id=actor.contact_id)
                existing: list[CartItem] = []
                if cart is not None and effective_status(cart, now) == "EXPIRED":
                    await session.execute(
                        update(Cart).where(Cart.id == cart.id, Cart.status == "ACTIVE").values(status="EXPIRED")
                    )
                    await session.flush()
                    cart = None
                if cart is not None:
                    existing = list(
                        (await session.execute(select(CartItem).where(CartItem.cart_id == cart.id))).scalars()
                    )
                    if cart.billing_account_id != billing_account_id:
                        if existing:
                            raise DomainError(
                                ErrorCode.VALIDATION, "cart_other_account", field=["input", "billingAccountId"]
                            )
                        cart.billing_account_id = billing_account_id
                if cart is None:
                    cart = Cart(
                        organisation_id=actor.organisation_id,
                        contact_id=actor.contact_id,
                        billing_account_id=billing_account_id,
                        status="ACTIVE",
                        created_at=now,
                        touched_at=now,
                    )
                    session.add(cart)
                    await session.flush()
                by_key = {(i.offering_id, i.line_id): i for i in existing}
                for index, item in enumerate(items):
                    found = by_key.get((item.offering_id, item.line_id))
                    if found is not None:
                        check_quantity(
                            offerings[item.offering_id],
                            found.quantity + item.quantity,
                            ["input", "items", str(index), "quantity"],
                        )
                        found.quantity += item.quantity
                        if item.note:
                            found.note = item.note
                        continue
                    row = CartItem(
                        organisation_id=actor.organisation_id,
                        cart_id=cart.id,
                        offering_id=item.offering_id,
                        quantity=item.quantity,
                        line_id=item.line_id,
                        note=item.note or None,
                    )
                    session.add(row)
                    by_key[(item.offering_id, item.line_id)] = row
                cart.touched_at = now
                await session.flush()
                return cart.id
        except IntegrityError:
            # A twin request opened the contact's cart meanwhile: add to that one.
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _own_item(session: AsyncSession, actor: Actor, cart_item_id: int, now: datetime) -> tuple[Cart, CartItem]:
    """The item of the actor's own ACTIVE cart; raise NOT_FOUND on cartItemId or CART_EXPIRED."""
    found = (
        await session.execute(
            select(Cart, CartItem)
            .join(CartItem, CartItem.cart_id == Cart.id)
            .where(
                CartItem.id == cart_item_id,
                Cart.organisation_id == actor.organisation_id,
                Cart.contact_id == actor.contact_id,
            )
            .execution_options(populate_existing=True)
        )
    ).first()
    if found is None or found[0].status == "CHECKED_OUT" or not actor.reaches(found[0].billing_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "cartItemId"])
    cart, item = found
    if effective_status(cart, now) == "EXPIRED":
        raise DomainError(ErrorCode.CART_EXPIRED, field=["input", "cartItemId"])
    return cart, item


async def update_item(uow: UnitOfWork, *, actor: Actor, cart_item_id: int, quantity: int, now: datetime) -> int:
    """Change an item's quantity; the cart id.

    Raise DomainError: NOT_FOUND (not an item of the viewer's cart), CART_EXPIRED,
    OFFERING_NOT_AVAILABLE, QUANTITY_NOT_ALLOWED (on quantity).
    """
    async with uow() as session:
        cart, item = await _own_item(session, actor, cart_item_id, now)
        offering = (await session.execute(select(Offering).where(Offering.id == item.offering_id))).scalar_one()
        if not offering.available:
            raise DomainError(ErrorCode.OFFERING_NOT_AVAILABLE, field=["input", "cartItemId"])
        check_quantity(offering, quantity, ["input", "quantity"])
        item.quantity = quantity
        cart.touched_at = now
        await session.flush()
        return cart.id


async def remove_item(uow: UnitOfWork, *, actor: Actor, cart_item_id: int, now: datetime) -> int:
    """Take an item out of the viewer's cart; the cart id. Raise NOT_FOUND or CART_EXPIRED."""
    async with uow() as session:
        cart, item = await _own_item(session, actor, cart_item_id, now)
        await session.delete(item)
        cart.touched_at = now
        await session.flush()
        return cart.id


async def expire_stale(uow: UnitOfWork, *, as_of: datetime) -> int:
    """Mark EXPIRED every ACTIVE cart untouched for 7 days as of `as_of`; how many (one UPDATE)."""
    async with uow() as session:
        result = await session.execute(
            update(Cart)
            .where(Cart.status == "ACTIVE", Cart.touched_at <= as_of - CART_LIFETIME)
            .values(status="EXPIRED")
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

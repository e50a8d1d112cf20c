"""Per-request DataLoaders of the shop and orders (one class per (entity, key), rows out).

Reached as `ctx.loaders.shop.<name>`; built with the request's Context, never at module level.
Loaders named Readable... keep only what the viewer may read; the others do no access check:
feed them only ids of rows the viewer may already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from aiodataloader import DataLoader

from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import Offering, OfferingPrice, OrderItem, OrderStatusChange, Shipment
from guichet.domain.shop import catalogue, queries
from guichet.resolvers import pending_payments, shop

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


class _Loader(DataLoader):  # type: ignore[misc]
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx


class PricesByOfferingIdLoader(_Loader):
    """Prices by offering id: Offering.prices costs one query per page, not one per offering."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[OfferingPrice]]:
        async with self.ctx.read() as session:
            found = await catalogue.prices_by_offering(session, list(keys))
        return [found[k] for k in keys]


class OfferingByIdLoader(_Loader):
    """Offerings by id: OrderItem.offering and CartItem.offering cost one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Offering | None]:
        found = await shop.offerings_by_ids(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class ItemsByOrderIdLoader(_Loader):
    """Order items by order id: Order.items costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[OrderItem]]:
        async with self.ctx.read() as session:
            found = await queries.items_by_order(session, list(keys))
        return [found[k] for k in keys]


class HistoryByOrderIdLoader(_Loader):
    """Status changes by order id: Order.statusHistory costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[OrderStatusChange]]:
        async with self.ctx.read() as session:
            found = await queries.history_by_order(session, list(keys))
        return [found[k] for k in keys]


class ShipmentsByOrderIdLoader(_Loader):
    """Shipments by order id: Order.shipments costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Shipment]]:
        async with self.ctx.read() as session:
            found = await queries.shipments_by_order(session, list(keys))
        return [found[k] for k in keys]


class PendingPaymentIdByOrderIdLoader(_Loader):
    """The ORDER pending payment's id by order id: Order.pendingPayment costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int | None]:
        found = await shop.pending_payment_ids_of(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class ReadablePendingPaymentByIdLoader(_Loader):
    """Pending payments the viewer may read, by id: Order.pendingPayment costs one query per page."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[PendingPayment | None]:
        found = await pending_payments.pending_payments_by_pk(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class ReadableOrderByIdLoader(_Loader):
    """Orders the viewer may read, by id (None otherwise): PendingPayment.order, ServiceRequest.order."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[shop.OrderView | None]:
        found = await shop.orders_by_pk(self.ctx, list(keys))
        return [found.get(k) for k in keys]


class ShopLoaders:
    """The shop's loaders, each built on first use."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @cached_property
    def prices_by_offering_id(self) -> PricesByOfferingIdLoader:
        return PricesByOfferingIdLoader(self._ctx)

    @cached_property
    def offering_by_id(self) -> OfferingByIdLoader:
        return OfferingByIdLoader(self._ctx)

    @cached_property
    def items_by_order_id(self) -> ItemsByOrderIdLoader:
        return ItemsByOrderIdLoader(self._ctx)

    @cached_property
    def history_by_order_id(self) -> HistoryByOrderIdLoader:
        return HistoryByOrderIdLoader(self._ctx)

    @cached_property
    def shipments_by_order_id(self) -> ShipmentsByOrderIdLoader:
        return ShipmentsByOrderIdLoader(self._ctx)

    @cached_property
    def pending_payment_id_by_order_id(self) -> PendingPaymentIdByOrderIdLoader:
        return PendingPaymentIdByOrderIdLoader(self._ctx)

    @cached_property
    def readable_pending_payment_by_id(self) -> ReadablePendingPaymentByIdLoader:
        return ReadablePendingPaymentByIdLoader(self._ctx)

    @cached_property
    def readable_order_by_id(self) -> ReadableOrderByIdLoader:
        return ReadableOrderByIdLoader(self._ctx)

"""The catalogue and the back office's orders on the feed (`guichet import`), upserted by business key.

Records (OPERATIONS.md):

    "offerings": [{"code": "OPT-DATA-10G", "name": "Option data 10 Go", "kind": "OPTION",
                   "prices": [{"type": "RECURRING", "amount": "5000", "frequency": "MONTHLY"}],
                   "minQuantity": 1, "maxQuantity": 50, "quantityIncrement": 1, "requiresLine": true,
                   "available": true, "description": "..."}]
    "orders": [{"number": "ORD-BO-0001", "billingAccount": "BA-1001", "status": "IN_PROGRESS",
                "placedAt": "2026-11-02T09:00:00Z", "poNumber": "PO-77", "expectedCompletionDate": "2026-12-15",
                "items": [{"description": "Installation fibre", "quantity": 1, "unitPrice": "150000",
                           "priceType": "ONE_TIME", "frequency": null}],
                "shipments": [{"carrier": "DHL", "trackingNumber": "JD0001", "trackingUrl": "...",
                               "status": "SHIPPED", "shippedAt": "...", "deliveredAt": null}]}]

Offerings are matched by (organisation, code), orders by number (source BACK_OFFICE). Amounts are
decimal strings in the organisation's currency. Re-importing the same file changes nothing: prices,
items and shipments are replaced only when they differ, and a status change is written to the
order's history. Raise FeedError(path, message) naming the faulty record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.feed.errors import FeedError
from guichet.domain.models.shop import Offering, OfferingPrice, Order, OrderItem, OrderStatusChange, Shipment
from guichet.domain.money import MoneyError, parse_amount
from guichet.domain.shop.catalogue import FREQUENCIES, KINDS, PRICE_TYPES
from guichet.domain.shop.orders import SHIPMENT_STATUSES
from guichet.domain.shop.transitions import Status

OFFERING_FIELDS = (
    "code",
    "name",
    "description",
    "kind",
    "prices",
    "minQuantity",
    "maxQuantity",
    "quantityIncrement",
    "requiresLine",
    "available",
)
PRICE_FIELDS = ("type", "amount", "frequency")
ORDER_FIELDS = (
    "number",
    "billingAccount",
    "status",
    "placedAt",
    "poNumber",
    "expectedCompletionDate",
    "completedAt",
    "paymentTerms",
    "items",
    "shipments",
)
ITEM_FIELDS = ("description", "quantity", "unitPrice", "priceType", "frequency", "lineNumber")
SHIPMENT_FIELDS = ("carrier", "trackingNumber", "trackingUrl", "status", "shippedAt", "deliveredAt")


def _record(raw: Any, path: str, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FeedError(path, "must be an object")
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise FeedError(path, f"unknown field {unknown[0]!r}")
    return raw


def _text(raw: dict[str, Any], key: str, path: str, *, limit: int, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise FeedError(path, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise FeedError(path, f"{key} must be a non-empty string of at most {limit} characters")
    return value.strip()


def _int(raw: dict[str, Any], key: str, path: str, default: int | None, *, minimum: int = 1) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FeedError(path, f"{key} must be an integer of at least {minimum}")
    return value


def _bool(raw: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise FeedError(path, f"{key} must be true or false")
    return value


def _amount(value: Any, path: str, currency: str) -> int:
    try:
        minor = parse_amount(value, currency).minor
    except MoneyError as error:
        raise FeedError(path, f"amount: {error}") from None
    if minor < 0:
        raise FeedError(path, "amount must not be negative")
    return minor


def _moment(value: Any, path: str, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise FeedError(path, f"{key} must be an ISO date-time") from None
    if parsed.tzinfo is None:
        raise FeedError(path, f"{key} must carry its offset")
    return parsed


def _day(value: Any, path: str, key: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FeedError(path, f"{key} must be an ISO date") from None


def _frequency(price_type: str, value: Any, path: str) -> str | None:
    if price_type == "ONE_TIME":
        if value not in (None, "ONE_TIME"):
            raise FeedError(path, "a ONE_TIME price has no frequency")
        return None
    if value not in FREQUENCIES:
        raise FeedError(path, f"frequency must be one of {', '.join(FREQUENCIES)}")
    return str(value)


async def import_offerings(
    session: AsyncSession, organisation: models.Organisation, records: list[Any], path: str
) -> None:
    """Create or update the organisation's catalogue (inside the feed's transaction)."""
    seen: set[str] = set()
    existing = {
        o.code: o
        for o in (await session.execute(select(Offering).where(Offering.organisation_id == organisation.id))).scalars()
    }
    for index, raw in enumerate(records):
        where = f"{path}[{index}]"
        record = _record(raw, where, OFFERING_FIELDS)
        code = _text(record, "code", where, limit=50, required=True)
        assert code is not None
        where = f"{where} ({code})"
        if code in seen:
            raise FeedError(where, "duplicate offering code")
        seen.add(code)
        kind = record.get("kind")
        if kind not in KINDS:
            raise FeedError(where, f"kind must be one of {', '.join(KINDS)}")
        raw_prices = record.get("prices")
        if not isinstance(raw_prices, list) or not raw_prices:
            raise FeedError(where, "prices must be a non-empty list")
        prices = []
        for p_index, raw_price in enumerate(raw_prices):
            p_where = f"{where}.prices[{p_index}]"
            price = _record(raw_price, p_where, PRICE_FIELDS)
            price_type = price.get("type")
            if price_type not in PRICE_TYPES:
                raise FeedError(p_where, "type must be ONE_TIME or RECURRING")
            prices.append(
                (
                    str(price_type),
                    _amount(price.get("amount"), p_where, organisation.currency),
                    _frequency(str(price_type), price.get("frequency"), p_where),
                )
            )
        minimum = _int(record, "minQuantity", where, 1)
        maximum = _int(record, "maxQuantity", where, None)
        if maximum is not None and minimum is not None and maximum < minimum:
            raise FeedError(where, "maxQuantity is below minQuantity")
        values = {
            "name": _text(record, "name", where, limit=200, required=True),
            "description": _text(record, "description", where, limit=2000),
            "kind": kind,
            "min_quantity": minimum,
            "max_quantity": maximum,
            "quantity_increment": _int(record, "quantityIncrement", where, 1),
            "requires_line": _bool(record, "requiresLine", where, False),
            "available": _bool(record, "available", where, True),
        }
        offering = existing.get(code)
        if offering is None:
            offering = Offering(organisation_id=organisation.id, code=code, **values)
            session.add(offering)
            await session.flush()
            current: list[tuple[str, int, str | None]] = []
        else:
            for key, value in values.items():
                if getattr(offering, key) != value:
                    setattr(offering, key, value)
            current = [
                (p.price_type, p.amount_minor, p.frequency)
                for p in (
                    await session.execute(
                        select(OfferingPrice)
                        .where(OfferingPrice.offering_id == offering.id)
                        .order_by(OfferingPrice.position)
                    )
                ).scalars()
            ]
        if current != prices:
            await session.execute(delete(OfferingPrice).where(OfferingPrice.offering_id == offering.id))
            for position, (price_type, amount, frequency) in enumerate(prices, start=1):
                session.add(
                    OfferingPrice(
                        organisation_id=organisation.id,
                        offering_id=offering.id,
                        position=position,
                        price_type=price_type,
                        currency=organisation.currency,
                        amount_minor=amount,
                        frequency=frequency,
                    )
                )
    await session.flush()


async def import_orders(
    session: AsyncSession, organisation: models.Organisation, records: list[Any], path: str, now: datetime
) -> None:
    """Create or update the back office's orders of the organisation (inside the feed's transaction)."""
    numbers = [r.get("number") for r in records if isinstance(r, dict)]
    existing = {
        o.number: o
        for o in (
            await session.execute(select(Order).where(Order.number.in_([n for n in numbers if isinstance(n, str)])))
        ).scalars()
    }
    accounts = dict(
        (
            await session.execute(
                select(models.BillingAccount.number, models.BillingAccount.id).where(
                    models.BillingAccount.organisation_id == organisation.id
                )
            )
        ).all()
    )
    lines = dict(
        (
            await session.execute(
                select(models.Line.number, models.Line.id).where(models.Line.organisation_id == organisation.id)
            )
        ).all()
    )
    seen: set[str] = set()
    for index, raw in enumerate(records):
        where = f"{path}[{index}]"
        record = _record(raw, where, ORDER_FIELDS)
        number = _text(record, "number", where, limit=50, required=True)
        assert number is not None
        where = f"{where} ({number})"
        if number in seen:
            raise FeedError(where, "duplicate order number")
        seen.add(number)
        account_number = record.get("billingAccount")
        if account_number not in accounts:
            raise FeedError(where, f"billing account {account_number!r} is not one of the organisation's")
        status = record.get("status")
        if status not in {s.value for s in Status}:
            raise FeedError(where, "status is not an order status")
        terms = record.get("paymentTerms", "ON_ACCOUNT")
        if terms not in ("PAY_NOW", "ON_ACCOUNT"):
            raise FeedError(where, "paymentTerms must be PAY_NOW or ON_ACCOUNT")
        placed_at = _moment(record.get("placedAt"), where, "placedAt")
        if placed_at is None:
            raise FeedError(where, "placedAt is required")
        items = []
        for i_index, raw_item in enumerate(record.get("items") or []):
            i_where = f"{where}.items[{i_index}]"
            item = _record(raw_item, i_where, ITEM_FIELDS)
            price_type = item.get("priceType", "ONE_TIME")
            if price_type not in PRICE_TYPES:
                raise FeedError(i_where, "priceType must be ONE_TIME or RECURRING")
            quantity = _int(item, "quantity", i_where, 1)
            assert quantity is not None
            unit = _amount(item.get("unitPrice"), i_where, organisation.currency)
            line_number = item.get("lineNumber")
            if line_number is not None and line_number not in lines:
                raise FeedError(i_where, f"line {line_number!r} is not one of the organisation's")
            items.append(
                (
                    _text(item, "description", i_where, limit=300, required=True),
                    quantity,
                    unit,
                    unit * quantity,
                    str(price_type),
                    _frequency(str(price_type), item.get("frequency"), i_where),
                    lines.get(line_number) if line_number is not None else None,
                )
            )
        shipments = []
        for s_index, raw_shipment in enumerate(record.get("shipments") or []):
            s_where = f"{where}.shipments[{s_index}]"
            shipment = _record(raw_shipment, s_where, SHIPMENT_FIELDS)
            shipment_status = shipment.get("status", "PREPARING")
            if shipment_status not in SHIPMENT_STATUSES:
                raise FeedError(s_where, "status is not a shipment status")
            shipments.append(
                (
                    _text(shipment, "carrier", s_where, limit=100, required=True),
                    _text(shipment, "trackingNumber", s_where, limit=100),
                    _text(shipment, "trackingUrl", s_where, limit=500),
                    str(shipment_status),
                    _moment(shipment.get("shippedAt"), s_where, "shippedAt"),
                    _moment(shipment.get("deliveredAt"), s_where, "deliveredAt"),
                )
            )
        one_time = sum(i[3] for i in items if i[4] == "ONE_TIME")
        values = {
            "billing_account_id": accounts[account_number],
            "po_number": _text(record, "poNumber", where, limit=100),
            "placed_at": placed_at,
            "expected_completion_date": _day(record.get("expectedCompletionDate"), where, "expectedCompletionDate"),
            "completed_at": _moment(record.get("completedAt"), where, "completedAt"),
            "payment_terms": terms,
            "one_time_total_minor": one_time,
        }
        order = existing.get(number)
        if order is not None and (order.organisation_id != organisation.id or order.source != "back_office"):
            raise FeedError(where, "this number is another organisation's or a shop order")
        if order is None:
            order = Order(
                organisation_id=organisation.id,
                number=number,
                source="back_office",
                status=str(status),
                currency=organisation.currency,
                status_changed_at=placed_at,
                updated_at=now,
                version=1,
                approval_required=False,
                **values,
            )
            session.add(order)
            await session.flush()
            session.add(
                OrderStatusChange(organisation_id=organisation.id, order_id=order.id, status=order.status, at=placed_at)
            )
        else:
            changed = False
            for key, value in values.items():
                if getattr(order, key) != value:
                    setattr(order, key, value)
                    changed = True
            if order.status != status:
                order.status = str(status)
                order.status_changed_at = now
                order.version += 1
                changed = True
                session.add(
                    OrderStatusChange(organisation_id=organisation.id, order_id=order.id, status=order.status, at=now)
                )
            if changed:
                order.updated_at = now
        await _replace_children(session, organisation.id, order.id, items, shipments)
    await session.flush()


async def _replace_children(
    session: AsyncSession, organisation_id: int, order_id: int, items: list[tuple], shipments: list[tuple]
) -> None:
    """Items and shipments as the feed gives them, rewritten only when they differ."""
    current_items = [
        (i.description, i.quantity, i.unit_price_minor, i.amount_minor, i.price_type, i.frequency, i.line_id)
        for i in (
            await session.execute(select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.position))
        ).scalars()
    ]
    if current_items != items:
        await session.execute(delete(OrderItem).where(OrderItem.order_id == order_id))
        for position, (description, quantity, unit, amount, price_type, frequency, line_id) in enumerate(items, 1):
            session.add(
                OrderItem(
                    organisation_id=organisation_id,
                    order_id=order_id,
                    position=position,
                    description=description,
                    quantity=quantity,
                    unit_price_minor=unit,
                    amount_minor=amount,
                    price_type=price_type,
                    frequency=frequency,
                    line_id=line_id,
                )
            )
    current_shipments = [
        (s.carrier, s.tracking_number, s.tracking_url, s.status, s.shipped_at, s.delivered_at)
        for s in (
            await session.execute(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))
        ).scalars()
    ]
    if current_shipments != shipments:
        await session.execute(delete(Shipment).where(Shipment.order_id == order_id))
        for carrier, tracking_number, tracking_url, status, shipped_at, delivered_at in shipments:
            session.add(
                Shipment(
                    organisation_id=organisation_id,
                    order_id=order_id,
                    carrier=carrier,
                    tracking_number=tracking_number,
                    tracking_url=tracking_url,
                    status=status,
                    shipped_at=shipped_at,
                    delivered_at=delivered_at,
                )
            )

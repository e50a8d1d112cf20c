"""The schedules of the back-office feed (`guichet import`): instalments computed on import.

Record (OPERATIONS.md, plus an optional history of the instalments' outcomes):

    {"orderNumber": "CMD-2019-000042", "merchantName": "Boutique Exemple",
     "purchaseAmount": "127.96", "purchaseDate": "2019-08-04", "fees": "0.00",
     "installmentCount": 3,
     "card": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2027},
     "installments": [{"number": 1, "status": "PAID"}, {"number": 2, "status": "UNPAID"}]}

Amounts are decimal strings in the organisation's currency. The purchase amount is split in equal
parts (the remainder units on the first), the first due on the purchase date, then every 30 days;
the fees are collected with the first instalment. `installments` (optional) gives the back office's
known outcomes (PENDING, PAID, UNPAID) by number; the others are PENDING.

Re-importing is idempotent by orderNumber: a schedule already known for this organisation is left
as it is (from then on the portal and `guichet jobs collect-debits` own its state); an order number
of another organisation is refused. Raise FeedError(path, message) naming the faulty record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.feed.errors import FeedError
from guichet.domain.models.schedules import Installment, Schedule
from guichet.domain.money import MoneyError, parse_amount
from guichet.domain.schedules import rules

FIELDS = (
    "orderNumber",
    "merchantName",
    "purchaseAmount",
    "purchaseDate",
    "fees",
    "installmentCount",
    "card",
    "installments",
)
CARD_FIELDS = ("brand", "last4", "expMonth", "expYear")
MAX_INSTALLMENTS = 60
FEED_STATUSES = (rules.PENDING, rules.PAID, rules.UNPAID)


async def import_schedules(
    session: AsyncSession,
    organisation: models.Organisation,
    records: list[Any],
    path: str,
    now: datetime,
) -> tuple[int, int]:
    """Create the organisation's new schedules with their instalments (inside the feed's transaction).

    Return (created, unchanged) for the import summary: a known order number is never changed by a
    feed (its instalments evolve with debits and cancellations, not with the back office's file).
    """
    if not isinstance(records, list):
        raise FeedError(path, "must be a list")
    parsed = [_parse(record, f"{path}[{index}]", organisation.currency) for index, record in enumerate(records)]
    seen: dict[str, str] = {}
    for item in parsed:
        if item["orderNumber"] in seen:
            raise FeedError(item["path"], f"duplicate order number (also {seen[item['orderNumber']]})")
        seen[item["orderNumber"]] = item["path"]
    if not parsed:
        return 0, 0
    existing = {
        s.order_number: s
        for s in (await session.execute(select(Schedule).where(Schedule.order_number.in_(list(seen))))).scalars()
    }
    created = unchanged = 0
    for item in parsed:
        known = existing.get(item["orderNumber"])
        if known is not None:
            if known.organisation_id != organisation.id:
                raise FeedError(item["path"], "this order number belongs to another customer")
            unchanged += 1
            continue
        await _create(session, organisation, item, now)
        created += 1
    return created, unchanged


async def _create(
    session: AsyncSession, organisation: models.Organisation, item: dict[str, Any], now: datetime
) -> None:
    plan = rules.plan_installments(
        purchase_minor=item["purchase"],
        fees_minor=item["fees"],
        count=item["count"],
        purchase_date=item["purchaseDate"],
    )
    card = item["card"] or {}
    schedule = Schedule(
        organisation_id=organisation.id,
        order_number=item["orderNumber"],
        merchant_name=item["merchantName"],
        currency=organisation.currency,
        purchase_amount_minor=item["purchase"],
        purchase_date=item["purchaseDate"],
        fees_minor=item["fees"],
        installment_count=item["count"],
        status=rules.IN_PROGRESS,
        cancelled=False,
        cancelled_minor=0,
        amount_regularised_minor=0,
        card_brand=card.get("brand"),
        card_last4=card.get("last4"),
        card_exp_month=card.get("expMonth"),
        card_exp_year=card.get("expYear"),
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    await session.flush()
    rows = []
    for part in plan:
        status = item["statuses"].get(part.number, rules.PENDING)
        rows.append(
            Installment(
                organisation_id=organisation.id,
                schedule_id=schedule.id,
                number=part.number,
                kind=part.kind,
                due_date=part.due_date,
                amount_minor=part.amount_minor,
                status=status,
                settled_at=now if status == rules.PAID else None,
                failure_code="back_office" if status == rules.UNPAID else None,
            )
        )
    session.add_all(rows)
    schedule.status = rules.schedule_status(cancelled=False, installments=rows)
    await session.flush()


def _parse(record: Any, path: str, currency: str) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise FeedError(path, "must be a JSON object")
    order = record.get("orderNumber")
    label = f"{path} ({order})" if isinstance(order, str) and order else path
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise FeedError(label, f"unknown field {unknown[0]!r} (expected one of: {', '.join(FIELDS)})")
    if not isinstance(order, str) or not order.strip() or len(order) > 50:
        raise FeedError(label, "orderNumber is required (a string of at most 50 characters)")
    merchant = record.get("merchantName")
    if not isinstance(merchant, str) or not merchant.strip() or len(merchant) > 200:
        raise FeedError(label, "merchantName is required (a string of at most 200 characters)")
    purchase = _amount(record.get("purchaseAmount"), currency, label, "purchaseAmount")
    if purchase <= 0:
        raise FeedError(label, "purchaseAmount must be greater than zero")
    fees = _amount(record.get("fees", "0"), currency, label, "fees")
    if fees < 0:
        raise FeedError(label, "fees may not be negative")
    count = record.get("installmentCount")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_INSTALLMENTS:
        raise FeedError(label, f"installmentCount must be a whole number from 1 to {MAX_INSTALLMENTS}")
    if count > purchase:
        raise FeedError(label, "installmentCount is larger than the amount's smallest units")
    purchase_date = _date(record.get("purchaseDate"), label)
    return {
        "path": label,
        "orderNumber": order.strip(),
        "merchantName": merchant.strip(),
        "purchase": purchase,
        "fees": fees,
        "count": count,
        "purchaseDate": purchase_date,
        "card": _card(record.get("card"), label),
        "statuses": _statuses(record.get("installments"), count, label),
    }


def _amount(value: Any, currency: str, label: str, name: str) -> int:
    if not isinstance(value, str):
        raise FeedError(label, f'{name} must be a decimal string such as "127.96"')
    try:
        return parse_amount(value, currency).minor
    except MoneyError as error:
        raise FeedError(label, f"{name}: {error}") from None


def _date(value: Any, label: str) -> date:
    if not isinstance(value, str):
        raise FeedError(label, "purchaseDate is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedError(label, f"purchaseDate {value!r} is not a date (YYYY-MM-DD)") from None


def _card(value: Any, label: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FeedError(label, "card must be an object")
    unknown = sorted(set(value) - set(CARD_FIELDS))
    if unknown:
        raise FeedError(label, f"card: unknown field {unknown[0]!r} (expected one of: {', '.join(CARD_FIELDS)})")
    brand, last4, month, year = (value.get(k) for k in CARD_FIELDS)
    if brand not in ("VISA", "MASTERCARD"):
        raise FeedError(label, "card.brand must be VISA or MASTERCARD")
    if not isinstance(last4, str) or len(last4) != 4 or not last4.isdigit():
        raise FeedError(label, "card.last4 must be 4 digits")
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise FeedError(label, "card.expMonth must be 1 to 12")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise FeedError(label, "card.expYear must be a four-digit year")
    return {"brand": brand, "last4": last4, "expMonth": month, "expYear": year}


def _statuses(value: Any, count: int, label: str) -> dict[int, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise FeedError(label, "installments must be a list")
    statuses: dict[int, str] = {}
    for index, entry in enumerate(value):
        where = f"{label}.installments[{index}]"
        if not isinstance(entry, Mapping) or set(entry) - {"number", "status"}:
            raise FeedError(where, 'must be {"number": N, "status": "PENDING" | "PAID" | "UNPAID"}')
        number, status = entry.get("number"), entry.get("status")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= count:
            raise FeedError(where, f"number must be 1 to {count}")
        if status not in FEED_STATUSES:
            raise FeedError(where, f"status must be one of {', '.join(FEED_STATUSES)}")
        if number in statuses:
            raise FeedError(where, f"instalment {number} is given twice")
        statuses[number] = status
    return statuses

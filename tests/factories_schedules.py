"""Build instalment plans straight in the database, through the feed's own schedule import."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.models.schedules import Schedule
from guichet.domain.schedules.feed import import_schedules
from tests.conftest import TEST_NOW

_counter = itertools.count(1)

VISA_4242 = {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2030}


async def make_schedule(
    session: Any,
    org: models.Organisation,
    *,
    purchase: str = "127.96",
    purchase_date: date = date(2026, 10, 20),
    count: int = 3,
    fees: str = "0.00",
    card: dict[str, Any] | None = None,
    statuses: dict[int, str] | None = None,
    merchant: str = "Boutique Exemple",
    order_number: str | None = None,
) -> Schedule:
    """A plan of `org` (default: the seed's 127.96 in 3, bought 20/10/2026, on a Visa ending 4242).

    `statuses` gives instalments' outcomes by number (PAID, UNPAID); the others are PENDING.
    """
    order = order_number or f"CMD-T-{next(_counter):06d}"
    record: dict[str, Any] = {
        "orderNumber": order,
        "merchantName": merchant,
        "purchaseAmount": purchase,
        "purchaseDate": purchase_date.isoformat(),
        "fees": fees,
        "installmentCount": count,
        "card": card if card is not None else VISA_4242,
        "installments": [{"number": n, "status": s} for n, s in (statuses or {}).items()],
    }
    await import_schedules(session, org, [record], "test.schedules", TEST_NOW)
    return (await session.execute(select(Schedule).where(Schedule.order_number == order))).scalar_one()


async def make_unpaid_schedule(session: Any, org: models.Organisation, **kwargs: Any) -> Schedule:
    """The demo's unpaid plan: 477.54 in 3 bought 01/10/2026, the 31/10 debit refused (159.18 owed)."""
    kwargs.setdefault("card", {"brand": "MASTERCARD", "last4": "4444", "expMonth": 9, "expYear": 2030})
    return await make_schedule(
        session,
        org,
        purchase="477.54",
        purchase_date=date(2026, 10, 1),
        statuses={1: "PAID", 2: "UNPAID"},
        **kwargs,
    )

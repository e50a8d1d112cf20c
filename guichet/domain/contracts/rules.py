"""The billing-schedule rule (pure): the periods of a contract line, and each period's status.

Each recurring line gives consecutive periods from its start date (MONTHLY 1 month, QUARTERLY 3,
SEMI_ANNUAL 6, ANNUAL 12): period k starts k × n months after the line's start (the day clamped
to the month's last day, counted from the anchor so 31 January → 28 February → 31 March) and ends
the day before the next starts. They run up to the line's or contract's end date (included; the
last period is cut there), or, evergreen, to every period starting within 12 months after today.
A ONE_TIME line gives one entry on its start date. Every entry costs quantity × unit price, in
integer minor units: the sum of a line's entries is exactly quantity × unit price × periods.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

ONE_TIME = "ONE_TIME"
MONTHLY = "MONTHLY"
QUARTERLY = "QUARTERLY"
SEMI_ANNUAL = "SEMI_ANNUAL"
ANNUAL = "ANNUAL"
FREQUENCIES = (ONE_TIME, MONTHLY, QUARTERLY, SEMI_ANNUAL, ANNUAL)
MONTHS = {MONTHLY: 1, QUARTERLY: 3, SEMI_ANNUAL: 6, ANNUAL: 12}

STATUSES = ("PENDING_ACTIVATION", "ACTIVE", "NON_RENEWING", "SUSPENDED", "EXPIRED", "TERMINATED", "CANCELLED")
ENDED = ("TERMINATED", "CANCELLED")

NOT_INVOICED = "NOT_INVOICED"
INVOICED = "INVOICED"
CANCELLED = "CANCELLED"

# Bound on a line's periods (100 years of months); the entry ID packs (line id, index) with it.
MAX_PERIODS = 1200
ENTRY_ID_FACTOR = 10_000
EVERGREEN_HORIZON_MONTHS = 12


@dataclass(frozen=True)
class Period:
    index: int
    start: date
    end: date
    amount_minor: int


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved by `months`, the day clamped to the last day of the target month."""
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def line_end(line_end_date: date | None, contract_end_date: date | None) -> date | None:
    """The last day a line bills: its own end, the contract's, whichever comes first."""
    ends = [d for d in (line_end_date, contract_end_date) if d is not None]
    return min(ends) if ends else None


def periods(
    *,
    frequency: str,
    quantity: int,
    unit_price_minor: int,
    start: date,
    end: date | None,
    today: date,
) -> list[Period]:
    """The periods of one line, in order; `end` is line_end() (None: evergreen)."""
    amount = quantity * unit_price_minor
    if frequency == ONE_TIME:
        return [Period(0, start, start, amount)]
    step = MONTHS[frequency]
    horizon = add_months(today, EVERGREEN_HORIZON_MONTHS)
    result: list[Period] = []
    index = 0
    while index < MAX_PERIODS:
        period_start = add_months(start, index * step)
        if end is not None and period_start > end:
            break
        if end is None and period_start > horizon:
            break
        natural_end = add_months(start, (index + 1) * step) - timedelta(days=1)
        period_end = natural_end if end is None else min(natural_end, end)
        result.append(Period(index, period_start, period_end, amount))
        index += 1
    return result


def period_count(*, frequency: str, start: date, end: date | None) -> int:
    """How many periods a line with a fixed end gives (for the feed's bound check)."""
    if frequency == ONE_TIME or end is None:
        return 1
    return len(periods(frequency=frequency, quantity=0, unit_price_minor=0, start=start, end=end, today=start))


def entry_status(
    *, contract_status: str, terminated_on: date | None, contract_start: date, period_start: date, invoiced: bool
) -> str:
    """INVOICED when an invoice names the contract and the period's start; CANCELLED for a period
    of a TERMINATED or CANCELLED contract starting on or after `terminated_on` (its start date
    when the back office gave none); NOT_INVOICED otherwise."""
    if invoiced:
        return INVOICED
    if contract_status in ENDED and period_start >= (terminated_on or contract_start):
        return CANCELLED
    return NOT_INVOICED


def entry_pk(line_id: int, index: int) -> int:
    return line_id * ENTRY_ID_FACTOR + index


def split_entry_pk(pk: int) -> tuple[int, int]:
    return divmod(pk, ENTRY_ID_FACTOR)


def recurring_totals(lines: list[tuple[str, int, int]]) -> list[tuple[str, int]]:
    """Sum of quantity × unit price of the recurring lines per frequency, in FREQUENCIES order."""
    sums: dict[str, int] = {}
    for frequency, quantity, unit_price_minor in lines:
        if frequency != ONE_TIME:
            sums[frequency] = sums.get(frequency, 0) + quantity * unit_price_minor
    return [(f, sums[f]) for f in FREQUENCIES if f in sums]

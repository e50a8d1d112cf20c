"""The billing-schedule rule: consecutive periods, no gap, no overlap, exact sums in minor units."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from guichet.domain.contracts import rules

RECURRING = st.sampled_from([rules.MONTHLY, rules.QUARTERLY, rules.SEMI_ANNUAL, rules.ANNUAL])
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@given(
    frequency=RECURRING,
    quantity=st.integers(1, 1000),
    unit=st.integers(0, 10**9),
    start=DAYS,
    length=st.integers(0, 3650),
    today=DAYS,
)
def test_fixed_term_periods_are_consecutive_and_sum_exactly(frequency, quantity, unit, start, length, today) -> None:
    end = start + timedelta(days=length)
    found = rules.periods(
        frequency=frequency, quantity=quantity, unit_price_minor=unit, start=start, end=end, today=today
    )

    assert found[0].start == start
    assert found[-1].end == end  # the last period is cut at the end, included
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)  # no gap, no overlap
    assert all(p.start <= p.end for p in found)
    assert [p.index for p in found] == list(range(len(found)))
    assert sum(p.amount_minor for p in found) == quantity * unit * len(found)
    assert all(isinstance(p.amount_minor, int) for p in found)


@given(frequency=RECURRING, start=DAYS, today=DAYS)
def test_evergreen_periods_run_to_twelve_months_after_today(frequency, start, today) -> None:
    found = rules.periods(frequency=frequency, quantity=1, unit_price_minor=1, start=start, end=None, today=today)
    horizon = rules.add_months(today, 12)

    if start > horizon:
        assert found == []  # nothing starts within the horizon yet
        return
    assert found[0].start == start
    assert all(p.start <= horizon for p in found)
    following = rules.add_months(start, len(found) * rules.MONTHS[frequency])
    assert following > horizon
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)


def test_month_ends_are_kept_from_the_anchor() -> None:
    found = rules.periods(
        frequency=rules.MONTHLY,
        quantity=1,
        unit_price_minor=1,
        start=date(2026, 1, 31),
        end=date(2026, 4, 30),
        today=date(2026, 1, 1),
    )

    assert [(p.start, p.end) for p in found] == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 4, 30)),
    ]


def test_a_one_time_line_is_one_entry_on_its_start() -> None:
    (only,) = rules.periods(
        frequency=rules.ONE_TIME,
        quantity=3,
        unit_price_minor=500,
        start=date(2026, 5, 2),
        end=None,
        today=date(2026, 1, 1),
    )

    assert (only.start, only.end, only.amount_minor) == (date(2026, 5, 2), date(2026, 5, 2), 1500)


def test_entry_status_table() -> None:
    day = date(2026, 6, 1)
    cases = [
        ("ACTIVE", None, True, rules.INVOICED),
        ("ACTIVE", None, False, rules.NOT_INVOICED),
        ("TERMINATED", date(2026, 6, 1), False, rules.CANCELLED),
        ("TERMINATED", date(2026, 6, 2), False, rules.NOT_INVOICED),
        ("CANCELLED", None, False, rules.CANCELLED),
        ("TERMINATED", date(2026, 1, 1), True, rules.INVOICED),
    ]
    for status, terminated_on, invoiced, expected in cases:
        assert (
            rules.entry_status(
                contract_status=status,
                terminated_on=terminated_on,
                contract_start=date(2026, 1, 1),
                period_start=day,
                invoiced=invoiced,
            )
            == expected
        ), (status, terminated_on, invoiced)

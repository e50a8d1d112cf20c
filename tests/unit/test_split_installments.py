"""Every split of an instalment plan adds up exactly, to the cent (SEC-46)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.domain.money import Money, MoneyError, exponent
from guichet.domain.schedules import rules

CURRENCIES = st.sampled_from(["XOF", "EUR", "KWD"])


def assert_fair_split(parts: list[int], total: int, count: int) -> None:
    assert len(parts) == count
    assert sum(parts) == total
    # The contract's rule: the remainder cents all on the first one, every other part equal.
    assert len(set(parts[1:])) <= 1
    assert all(parts[0] >= p for p in parts[1:])
    assert all(parts[0] - p < count for p in parts[1:])  # only the remainder is extra
    assert min(parts) >= 1


@given(total=st.integers(min_value=1, max_value=10**12), count=st.integers(min_value=1, max_value=60))
def test_instalments_add_up_exactly_and_all_but_the_first_are_equal(total: int, count: int) -> None:
    if count > total:
        with pytest.raises(MoneyError):
            rules.split_installments(total, count)
        return
    assert_fair_split(rules.split_installments(total, count), total, count)


@given(
    currency=CURRENCIES,
    major=st.integers(min_value=1, max_value=10**7),
    count=st.integers(min_value=1, max_value=24),
    fees=st.integers(min_value=0, max_value=10**5),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
)
def test_a_plan_collects_the_purchase_and_the_fees_exactly(
    currency: str, major: int, count: int, fees: int, day: date
) -> None:
    purchase = major * 10 ** exponent(currency)
    if count > purchase:
        with pytest.raises(MoneyError):
            rules.plan_installments(purchase_minor=purchase, fees_minor=fees, count=count, purchase_date=day)
        return
    plan = rules.plan_installments(purchase_minor=purchase, fees_minor=fees, count=count, purchase_date=day)
    assert sum(p.amount_minor for p in plan) == purchase + fees
    assert_fair_split([plan[0].amount_minor - fees] + [p.amount_minor for p in plan[1:]], purchase, count)
    assert [p.due_date for p in plan] == [day + rules.INTERVAL * i for i in range(count)]
    assert [p.number for p in plan] == list(range(1, count + 1))


@given(outstanding=st.integers(min_value=0, max_value=10**12))
def test_regularisation_options_each_add_up_to_the_debt(outstanding: int) -> None:
    options = rules.regularisation_options(outstanding)
    if outstanding == 0:
        assert options == []
    for count, amounts in options:
        assert count in (1, 2, 3)
        assert_fair_split(amounts, outstanding, count)


@given(
    remaining=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=12),
    data=st.data(),
)
def test_a_partial_cancellation_resplits_the_rest_exactly(remaining: list[int], data: st.DataObject) -> None:
    balance = sum(remaining)
    cancelled = data.draw(st.integers(min_value=1, max_value=balance))
    parts = rules.resplit_after_cancellation(remaining, cancelled)
    assert len(parts) == len(remaining)
    assert sum(parts) == balance - cancelled
    live = [p for p in parts if p > 0]
    assert parts[: len(live)] == live  # the emptied ones are the last ones
    if live:
        assert_fair_split(live, balance - cancelled, len(live))


def test_the_seed_plan_127_96_in_3() -> None:
    plan = rules.plan_installments(purchase_minor=12796, fees_minor=0, count=3, purchase_date=date(2019, 8, 4))
    assert [(p.due_date, Money(p.amount_minor, "EUR").amount) for p in plan] == [
        (date(2019, 8, 4), Money(4266, "EUR").amount),
        (date(2019, 9, 3), Money(4265, "EUR").amount),
        (date(2019, 10, 3), Money(4265, "EUR").amount),
    ]


def test_the_seed_regularisation_options_for_159_18() -> None:
    assert rules.regularisation_options(15918) == [(1, [15918]), (2, [7959, 7959]), (3, [5306, 5306, 5306])]


def test_xof_splits_in_whole_francs() -> None:
    assert rules.split_installments(100000, 3) == [33334, 33333, 33333]


def test_the_contract_example_200_00_in_3_puts_both_remainder_cents_on_the_first() -> None:
    assert rules.split_installments(20000, 3) == [6668, 6666, 6666]


def test_fees_are_collected_with_the_first_instalment() -> None:
    plan = rules.plan_installments(purchase_minor=29990, fees_minor=500, count=4, purchase_date=date(2026, 6, 28))
    assert [p.amount_minor for p in plan] == [7499 + 500, 7497, 7497, 7497]


def test_a_count_larger_than_the_amount_is_refused() -> None:
    with pytest.raises(MoneyError):
        rules.split_installments(2, 3)
    with pytest.raises(MoneyError):
        rules.split_installments(100, 0)


def test_a_partial_cancellation_of_the_seed_plan() -> None:
    # 42.65 + 42.65 left, 10.00 cancelled: 75.30 over two -> 37.65 each.
    assert rules.resplit_after_cancellation([4265, 4265], 1000) == [3765, 3765]
    # fees (5.00) stay on the first one: 127.96 - 10.01 = 117.95 -> 39.33, 39.31, 39.31
    assert rules.resplit_after_cancellation([4766, 4265, 4265], 1001, fees_on_first=500) == [3933 + 500, 3931, 3931]

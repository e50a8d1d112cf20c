"""The rewards ledger rules: FIFO by expiry, exact sums, never negative, expiry of what remains."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet.domain.rewards import rules

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
LOTS = st.lists(
    st.tuples(st.integers(min_value=1, max_value=10**9), st.one_of(st.none(), DAYS)), min_size=0, max_size=12
)
DEBITS = st.lists(st.integers(min_value=1, max_value=10**9), max_size=15)


def _lots(spec: list[tuple[int, date | None]]) -> list[rules.Lot]:
    return [rules.Lot(index + 1, expires, amount) for index, (amount, expires) in enumerate(spec)]


def _apply(lots: list[rules.Lot], taken: list[tuple[int, int]]) -> list[rules.Lot]:
    by_id = dict(taken)
    return [rules.Lot(lot.id, lot.expires_at, lot.remaining_minor - by_id.get(lot.id, 0)) for lot in lots]


@given(spec=LOTS, debits=DEBITS)
def test_the_balance_is_the_sum_of_the_ledger_and_never_negative(spec, debits) -> None:  # type: ignore[no-untyped-def]
    lots = _lots(spec)
    ledger = [lot.remaining_minor for lot in lots]
    for amount in debits:
        try:
            taken = rules.allocate(lots, amount)
        except rules.InsufficientBalance:
            assert amount > sum(lot.remaining_minor for lot in lots)
            continue
        assert sum(part for _, part in taken) == amount
        ledger.append(-amount)
        lots = _apply(lots, taken)
        assert all(lot.remaining_minor >= 0 for lot in lots)
        assert sum(ledger) == sum(lot.remaining_minor for lot in lots) >= 0


@given(spec=LOTS, amount=st.integers(min_value=1, max_value=10**10))
def test_a_redemption_takes_the_oldest_expiring_lots_first(spec, amount) -> None:  # type: ignore[no-untyped-def]
    lots = _lots(spec)
    try:
        taken = rules.allocate(lots, amount)
    except rules.InsufficientBalance:
        return
    order = sorted(lots, key=rules.fifo_key)
    used = [lot_id for lot_id, _ in taken]
    # The lots used are a prefix of the FIFO order; every one but the last is emptied.
    assert used == [lot.id for lot in order[: len(used)]]
    remaining = {lot.id: lot.remaining_minor for lot in lots}
    assert all(part == remaining[lot_id] for lot_id, part in taken[:-1])


@given(spec=LOTS, as_of=DAYS)
def test_a_lot_expires_strictly_after_its_expiry_day(spec, as_of) -> None:  # type: ignore[no-untyped-def]
    lots = _lots(spec)
    expiring = rules.lots_to_expire(lots, as_of)
    assert {lot.id for lot in expiring} == {
        lot.id for lot in lots if lot.expires_at is not None and lot.expires_at < as_of
    }


def test_a_lot_without_expiry_is_used_last() -> None:
    lots = [rules.Lot(1, None, 100), rules.Lot(2, date(2027, 6, 30), 50), rules.Lot(3, date(2027, 1, 31), 50)]
    assert rules.allocate(lots, 120) == [(3, 50), (2, 50), (1, 20)]


def test_more_than_the_lots_hold_is_insufficient() -> None:
    with pytest.raises(rules.InsufficientBalance):
        rules.allocate([rules.Lot(1, None, 100)], 101)


def test_figures_count_what_expires_within_30_days() -> None:
    today = date(2026, 11, 25)
    lots = [
        rules.Lot(1, today + timedelta(days=30), 40),
        rules.Lot(2, today + timedelta(days=31), 60),
        rules.Lot(3, None, 5),
        rules.Lot(4, today + timedelta(days=10), 0),  # spent: not the next expiry
    ]
    figures = rules.figures("XOF", {"EARNED": 200, "REDEEMED": -95}, lots, today)
    assert (figures.available_minor, figures.earned_minor, figures.redeemed_minor, figures.expired_minor) == (
        105,
        200,
        95,
        0,
    )
    assert figures.expiring_soon_minor == 40
    assert figures.next_expiry == (today + timedelta(days=30), 40)

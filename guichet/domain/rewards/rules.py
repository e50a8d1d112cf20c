"""The rewards ledger rules (pure): lots, FIFO consumption by expiry, account figures.

A positive entry is a lot; a negative one consumes lots, oldest `expires_at` first (a lot with
no expiry last, ties by id), in integer minor units: what it takes adds up to its amount
exactly, and no lot ever gives more than remains of it, so the balance (the sum of the ledger)
is never negative. A lot expires when the day is strictly after its `expires_at`; a spent lot
expires nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

EARNED = "EARNED"
REDEEMED = "REDEEMED"
EXPIRED = "EXPIRED"
ADJUSTED = "ADJUSTED"
REVERSED = "REVERSED"
TYPES = (EARNED, REDEEMED, EXPIRED, ADJUSTED, REVERSED)
# What the back office may write through the feed; REDEEMED and EXPIRED are Guichet's own.
FEED_TYPES = (EARNED, ADJUSTED, REVERSED)
EXPIRING_WITHIN_DAYS = 30


class InsufficientBalance(Exception):
    """The lots hold less than asked."""


@dataclass(frozen=True)
class Lot:
    """What remains of one positive entry."""

    id: int
    expires_at: date | None
    remaining_minor: int


def fifo_key(lot: Lot) -> tuple[int, date, int]:
    """Oldest expiry first, lots without expiry last, then by id."""
    return (lot.expires_at is None, lot.expires_at or date.max, lot.id)


def allocate(lots: Iterable[Lot], amount_minor: int) -> list[tuple[int, int]]:
    """(lot id, minor units) taken for `amount_minor`, oldest-expiring first; they sum to it exactly.

    Raise ValueError for a non-positive amount, InsufficientBalance when the lots hold less.
    """
    if amount_minor <= 0:
        raise ValueError("a consumption is positive")
    left = amount_minor
    taken: list[tuple[int, int]] = []
    for lot in sorted((lot for lot in lots if lot.remaining_minor > 0), key=fifo_key):
        if left == 0:
            break
        part = min(lot.remaining_minor, left)
        taken.append((lot.id, part))
        left -= part
    if left:
        raise InsufficientBalance(amount_minor - left)
    return taken


def lots_to_expire(lots: Iterable[Lot], as_of: date) -> list[Lot]:
    """Lots past their expiry on `as_of` (strictly after `expires_at`) with something left."""
    return [lot for lot in lots if lot.expires_at is not None and as_of > lot.expires_at and lot.remaining_minor > 0]


@dataclass(frozen=True)
class Figures:
    """What RewardAccount shows for one currency."""

    currency: str
    available_minor: int
    earned_minor: int
    redeemed_minor: int
    expired_minor: int
    expiring_soon_minor: int
    next_expiry: tuple[date, int] | None


def figures(currency: str, totals: dict[str, int], lots: Sequence[Lot], today: date) -> Figures:
    """The account's figures from its per-type sums (signed) and its lots.

    `available` is the sum of the whole ledger; `redeemed` and `expired` are positive totals.
    `expiringSoon` is what remains of lots expiring within 30 days of `today` (or past their
    expiry and not yet expired by the job); `nextExpiry` the earliest such date with what remains
    of the lots expiring on it.
    """
    horizon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    live = [lot for lot in lots if lot.remaining_minor > 0 and lot.expires_at is not None]
    soon = sum(lot.remaining_minor for lot in live if lot.expires_at is not None and lot.expires_at <= horizon)
    next_expiry = None
    if live:
        first = min(lot.expires_at for lot in live if lot.expires_at is not None)
        next_expiry = (first, sum(lot.remaining_minor for lot in live if lot.expires_at == first))
    return Figures(
        currency=currency,
        available_minor=sum(totals.values()),
        earned_minor=totals.get(EARNED, 0),
        redeemed_minor=-totals.get(REDEEMED, 0),
        expired_minor=-totals.get(EXPIRED, 0),
        expiring_soon_minor=soon,
        next_expiry=next_expiry,
    )


def redeem_key(idempotency_key: str) -> str:
    return f"redeem:{idempotency_key}"


def expire_key(lot_id: int) -> str:
    return f"expire:{lot_id}"


def feed_key(ref: str) -> str:
    return f"ref:{ref}"

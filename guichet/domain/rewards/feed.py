"""The rewards of the back-office feed (`guichet import`): ledger entries matched by `ref`.

Record (OPERATIONS.md):

    {"ref": "RW-2026-06", "type": "EARNED", "currency": "XOF", "amount": "50000",
     "occurredAt": "2026-06-30T00:00:00Z", "expiresAt": "2027-06-30", "note": "Support rewards H1 2026"}

Guichet never computes what is earned: the back office writes EARNED (a positive amount, the lot
that redemptions consume by `expiresAt`), ADJUSTED (signed) and REVERSED (taken back: stored
negative whatever the sign given) entries; REDEEMED and EXPIRED are Guichet's own. A negative
entry takes from the lots like a redemption. An entry is never rewritten: the same `ref` with
the same values changes nothing, with other values (but the note) is refused. Raise
FeedError(path, message) naming the record: an unknown field or type, a bad amount, currency,
date or instant, a duplicate ref, a change of an imported entry, a debit above the balance.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.feed.errors import FeedError
from guichet.domain.models.rewards import RewardTransaction
from guichet.domain.money import MoneyError, exponent, parse_amount
from guichet.domain.rewards import queries, rules, services

FIELDS = ("ref", "type", "currency", "amount", "occurredAt", "expiresAt", "note")


def _parse(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FeedError(path, "a reward entry is an object")
    ref = raw.get("ref")
    where = f"{path} ({ref})" if isinstance(ref, str) and ref else path
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise FeedError(where, f"unknown field {unknown[0]!r}")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 80:
        raise FeedError(where, "ref is required (at most 80 characters)")
    kind = raw.get("type")
    if kind not in rules.FEED_TYPES:
        raise FeedError(where, f"type must be one of {', '.join(rules.FEED_TYPES)} (got {kind!r})")
    currency = raw.get("currency")
    try:
        if not isinstance(currency, str):
            raise MoneyError("no currency")
        exponent(currency)
    except MoneyError:
        raise FeedError(where, f"unsupported currency {currency!r}") from None
    text = raw.get("amount")
    negative = isinstance(text, str) and text.strip().startswith("-")
    try:
        minor = parse_amount(text.strip().lstrip("-") if isinstance(text, str) else text, currency).minor
    except MoneyError as error:
        raise FeedError(where, f"amount: {error}") from None
    if minor == 0:
        raise FeedError(where, "amount must not be zero")
    if kind == rules.EARNED and negative:
        raise FeedError(where, "an EARNED amount is positive")
    signed = -minor if negative or kind == rules.REVERSED else minor
    occurred = raw.get("occurredAt")
    try:
        occurred_at = datetime.fromisoformat(occurred.replace("Z", "+00:00")) if isinstance(occurred, str) else None
    except ValueError:
        occurred_at = None
    if occurred_at is None or occurred_at.tzinfo is None:
        raise FeedError(
            where, f"occurredAt must be an ISO instant with its offset, e.g. 2026-06-30T00:00:00Z (got {occurred!r})"
        )
    expires = raw.get("expiresAt")
    expires_at: date | None = None
    if expires is not None:
        try:
            expires_at = date.fromisoformat(expires) if isinstance(expires, str) else None
        except ValueError:
            expires_at = None
        if expires_at is None:
            raise FeedError(where, f"expiresAt must be a date YYYY-MM-DD (got {expires!r})")
        if signed < 0:
            raise FeedError(where, "only a positive entry (a lot) expires")
    note = raw.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise FeedError(where, "note is text of at most 500 characters")
    return {
        "where": where,
        "ref": ref,
        "type": kind,
        "currency": currency,
        "amount_minor": signed,
        "occurred_at": occurred_at.astimezone(UTC),
        "expires_at": expires_at,
        "note": note,
    }


async def import_rewards(
    session: AsyncSession, organisation: models.Organisation, records: list[Any], path: str, now: datetime
) -> tuple[int, int]:
    """Add the organisation's new ledger entries (inside the feed's transaction); (created, unchanged)."""
    parsed = [_parse(record, f"{path}[{i}]") for i, record in enumerate(records)]
    seen: dict[str, str] = {}
    for item in parsed:
        if item["ref"] in seen:
            raise FeedError(item["where"], f"duplicate reward ref (also {seen[item['ref']]})")
        seen[item["ref"]] = item["where"]
    if not parsed:
        return 0, 0
    existing = {
        row.ref: row
        for row in (
            await session.execute(
                select(RewardTransaction).where(
                    RewardTransaction.organisation_id == organisation.id,
                    RewardTransaction.ref.in_(list(seen)),
                )
            )
        ).scalars()
    }
    created = unchanged = 0
    # Lots first, then debits, so a debit of the same file can take from a lot it brings.
    for item in sorted(parsed, key=lambda i: (i["amount_minor"] < 0, i["occurred_at"])):
        row = existing.get(item["ref"])
        if row is not None:
            same = (row.type, row.currency, row.amount_minor, row.occurred_at, row.expires_at) == (
                item["type"],
                item["currency"],
                item["amount_minor"],
                item["occurred_at"],
                item["expires_at"],
            )
            if not same:
                raise FeedError(item["where"], "an imported reward entry cannot change: send a new ADJUSTED entry")
            if row.note != item["note"]:
                row.note = item["note"]
            unchanged += 1
            continue
        entry = RewardTransaction(
            organisation_id=organisation.id,
            currency=item["currency"],
            type=item["type"],
            amount_minor=item["amount_minor"],
            occurred_at=item["occurred_at"],
            expires_at=item["expires_at"],
            note=item["note"],
            ref=item["ref"],
            dedupe_key=rules.feed_key(item["ref"]),
            created_at=now,
        )
        if entry.amount_minor > 0:
            session.add(entry)
            await session.flush()
        else:
            await queries.lock_lots(session, organisation.id, item["currency"])
            try:
                await services.consume(session, organisation_id=organisation.id, currency=item["currency"], entry=entry)
            except rules.InsufficientBalance:
                raise FeedError(item["where"], "this debit is more than the rewards balance") from None
        created += 1
    return created, unchanged

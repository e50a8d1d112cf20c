"""Single-use tokens (activation, password reset): random, stored as SHA-256, expiring, used once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.tokens import new_token, token_hash

TOKEN_FIELD = ["input", "token"]


async def issue(
    session: AsyncSession,
    *,
    purpose: str,
    person_id: int,
    now: datetime,
    ttl: timedelta,
    organisation_id: int | None = None,
) -> str:
    """Store a new token's hash and return the token itself (only ever put in the e-mailed link)."""
    token = new_token()
    session.add(
        models.OneTimeToken(
            purpose=purpose,
            token_hash=token_hash(token),
            person_id=person_id,
            organisation_id=organisation_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


async def consume(session: AsyncSession, *, purpose: str, token: str, now: datetime) -> models.OneTimeToken:
    """Mark the token used and return it.

    Raise DomainError(TOKEN_INVALID) when it is unknown, of another purpose, expired or already used
    (also when a concurrent request used it first: the update is conditional).
    """
    row = (
        await session.execute(
            select(models.OneTimeToken).where(
                models.OneTimeToken.token_hash == token_hash(token.strip()),
                models.OneTimeToken.purpose == purpose,
            )
        )
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now or row.person_id is None:
        raise DomainError(ErrorCode.TOKEN_INVALID, field=TOKEN_FIELD)
    claimed = await session.execute(
        update(models.OneTimeToken)
        .where(models.OneTimeToken.id == row.id, models.OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.TOKEN_INVALID, field=TOKEN_FIELD)
    row.used_at = now
    return row


async def retire_all(session: AsyncSession, *, purpose: str, person_id: int, now: datetime) -> None:
    """Mark every outstanding token of this purpose for this person used (after a reset, say)."""
    await session.execute(
        update(models.OneTimeToken)
        .where(
            models.OneTimeToken.purpose == purpose,
            models.OneTimeToken.person_id == person_id,
            models.OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )

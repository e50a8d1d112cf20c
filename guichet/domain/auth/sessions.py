"""Bearer sessions: an opaque random token per sign-in, stored as its SHA-256, with an absolute expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.tokens import new_token, token_hash


@dataclass(frozen=True)
class OpenedSession:
    """A new session: its bearer token (shown once, to its owner) and who it signs in."""

    token: str
    expires_at: datetime
    session_id: int
    person_id: int
    email: str
    first_name: str | None
    last_name: str | None


async def open_session(session: AsyncSession, *, person: models.Person, now: datetime, ttl: timedelta) -> OpenedSession:
    token = new_token()
    expires_at = now + ttl
    row = models.Session(person_id=person.id, token_hash=token_hash(token), created_at=now, expires_at=expires_at)
    session.add(row)
    await session.flush()
    return OpenedSession(token, expires_at, row.id, person.id, person.email, person.first_name, person.last_name)


async def revoke_sessions(
    session: AsyncSession, *, person_id: int, now: datetime, keep_session_id: int | None = None
) -> None:
    """End every live session of the person, except `keep_session_id` when given."""
    statement = update(models.Session).where(models.Session.person_id == person_id, models.Session.revoked_at.is_(None))
    if keep_session_id is not None:
        statement = statement.where(models.Session.id != keep_session_id)
    await session.execute(statement.values(revoked_at=now).execution_options(synchronize_session=False))


async def revoke_session(session: AsyncSession, *, session_id: int, now: datetime) -> None:
    await session.execute(
        update(models.Session)
        .where(models.Session.id == session_id, models.Session.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )

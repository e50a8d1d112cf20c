"""Brute-force throttling (SEC-41): failures are rows of login_attempts, counted per key and window.

Counted in the database, so several server processes agree; each call counts, so aliased
mutations in one document count one by one. A key is never locked for good: once enough failures
leave the 15-minute window, it is free again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.auth import rules
from guichet.domain.errors import DomainError, ErrorCode


async def check(session: AsyncSession, *, key: str, kind: str, limit: int, now: datetime) -> None:
    """Raise DomainError(TOO_MANY_ATTEMPTS, minutes=...) while `key` has `limit` failures in the window."""
    since = now - rules.THROTTLE_WINDOW
    failures = (
        (
            await session.execute(
                select(models.LoginAttempt.at).where(
                    models.LoginAttempt.email == key,
                    models.LoginAttempt.kind == kind,
                    models.LoginAttempt.at > since,
                )
            )
        )
        .scalars()
        .all()
    )
    until = rules.blocked_until(failures, limit=limit)
    if until is not None and until > now:
        raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, params={"minutes": rules.minutes_to_wait(until, now)})


async def record(session: AsyncSession, *, key: str, kind: str, now: datetime) -> None:
    """Count one failure for `key` (and forget this key's failures that left the window)."""
    await session.execute(
        delete(models.LoginAttempt).where(
            models.LoginAttempt.email == key,
            models.LoginAttempt.kind == kind,
            models.LoginAttempt.at <= now - rules.THROTTLE_WINDOW,
        )
    )
    session.add(models.LoginAttempt(email=key[:254], kind=kind, at=now))
    await session.flush()


def ip_key(client_ip: str | None) -> str | None:
    """The throttle key of a client address, or None when the address is unknown."""
    return f"ip:{client_ip}" if client_ip else None

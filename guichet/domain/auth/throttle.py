"""Brute-force throttling (SEC-41): every attempt is a row of login_attempts, claimed before the check.

An attempt is counted before its password or token is verified, in one guarded step: the row is
inserted only while fewer than `limit` rows of its key lie in the window, so however many requests
race, at most `limit` of them get to verify. On PostgreSQL a transaction-scoped advisory lock per
key serialises the claimers of one key (READ COMMITTED: the next claimer's statement sees the
previous claim once it committed); SQLite runs one writer at a time, and the claim's first statement
is a write. An attempt that passes its check is released (its row deleted), so only failures, and
attempts still being checked, count: "five failed logins in 15 minutes" keeps its meaning.

Counted in the database, so several server processes agree; each call counts, so aliased mutations
in one document count one by one. A key is never locked for good: once enough rows leave the
15-minute window, it is free again. A process that dies between claim and release leaves a row
that counts as a failure until it leaves the window (fails closed).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.auth import rules
from guichet.domain.auth.env import UnitOfWork
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.base import UTCDateTime


@dataclass(frozen=True)
class Budget:
    """At most `limit` attempts of `kind` for `key` (an e-mail, "ip:…", "taxpayer:…") per window."""

    key: str
    kind: str
    limit: int

    @property
    def stored_key(self) -> str:
        return self.key[:254]


async def claim(session: AsyncSession, budgets: Sequence[Budget], *, now: datetime) -> list[int]:
    """Count one attempt against each budget and return the rows' ids.

    Raise DomainError(TOO_MANY_ATTEMPTS, minutes=...) when a budget is spent; the caller's
    transaction must then roll back (so no budget is charged). Make it the transaction's first
    statement on SQLite (a read before it could meet a newer snapshot).
    """
    since = now - rules.THROTTLE_WINDOW
    claimed = []
    for budget in budgets:
        key = budget.stored_key
        await _serialise(session, budget)
        attempts = models.LoginAttempt
        await session.execute(
            delete(attempts).where(attempts.email == key, attempts.kind == budget.kind, attempts.at <= since)
        )
        in_window = (
            select(func.count())
            .select_from(attempts)
            .where(attempts.email == key, attempts.kind == budget.kind, attempts.at > since)
            .scalar_subquery()
        )
        row = (
            await session.execute(
                attempts.__table__.insert()
                .from_select(
                    ["email", "kind", "at"],
                    select(literal(key), literal(budget.kind), literal(now, UTCDateTime())).where(
                        in_window < budget.limit
                    ),
                )
                .returning(attempts.id)
            )
        ).first()
        if row is None:
            raise await _spent(session, budget, since=since, now=now)
        claimed.append(int(row[0]))
    return claimed


async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Forget attempts that passed their check: they are not failures."""
    if ids:
        await session.execute(delete(models.LoginAttempt).where(models.LoginAttempt.id.in_(list(ids))))


@dataclass
class Attempt:
    """A claimed attempt; `passed()` once its password or token checked out, so it is released."""

    ids: list[int] = field(default_factory=list)
    ok: bool = False

    def passed(self) -> None:
        self.ok = True


@asynccontextmanager
async def attempt(
    uow: UnitOfWork, budgets: Sequence[Budget], *, now: datetime, on_spent: Callable[[], None] | None = None
) -> AsyncIterator[Attempt]:
    """Claim the budgets in a transaction of their own (committed before the check runs, so no
    connection is held while Argon2 works), and release them afterwards if the check passed.

    Raise DomainError(TOO_MANY_ATTEMPTS) before the block runs when a budget is spent (after
    calling `on_spent`, which logs it).
    """
    try:
        async with uow() as session:
            current = Attempt(await claim(session, budgets, now=now))
    except DomainError:
        if on_spent is not None:
            on_spent()
        raise
    try:
        yield current
    finally:
        if current.ok:
            async with uow() as session:
                await release(session, current.ids)


async def _serialise(session: AsyncSession, budget: Budget) -> None:
    """On PostgreSQL, wait for the other claimers of this key until this transaction ends."""
    if session.bind.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{budget.kind}\0{budget.stored_key}".encode(), digest_size=8).digest()
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:lock_key)"), {"lock_key": int.from_bytes(digest, "big", signed=True)}
    )


async def _spent(session: AsyncSession, budget: Budget, *, since: datetime, now: datetime) -> DomainError:
    failures = (
        (
            await session.execute(
                select(models.LoginAttempt.at).where(
                    models.LoginAttempt.email == budget.stored_key,
                    models.LoginAttempt.kind == budget.kind,
                    models.LoginAttempt.at > since,
                )
            )
        )
        .scalars()
        .all()
    )
    until = rules.blocked_until(failures, limit=budget.limit) or now + rules.THROTTLE_WINDOW
    return DomainError(ErrorCode.TOO_MANY_ATTEMPTS, params={"minutes": rules.minutes_to_wait(until, now)})


def ip_key(client_ip: str | None) -> str | None:
    """The throttle key of a client address, or None when the address is unknown."""
    return f"ip:{client_ip}" if client_ip else None


def login_budgets(email: str, client_ip: str | None) -> list[Budget]:
    """A password check counts for the person's e-mail and for the client address."""
    budgets = [Budget(email, "login", rules.LOGIN_FAILURES_PER_EMAIL)]
    key = ip_key(client_ip)
    if key is not None:
        budgets.append(Budget(key, "login", rules.LOGIN_FAILURES_PER_IP))
    return budgets


def token_budgets(client_ip: str | None) -> list[Budget]:
    """A one-time token (activation, reset, invitation) counts for the client address."""
    key = ip_key(client_ip)
    return [Budget(key, "token", rules.TOKEN_FAILURES_PER_IP)] if key is not None else []

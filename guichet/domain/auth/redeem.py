"""Redeem a one-time token from a link, each try counted per client address before it is looked up (SEC-41)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.auth import one_time, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event


@asynccontextmanager
async def token_attempt(env: AuthEnv, *, purpose: str) -> AsyncIterator[throttle.Attempt]:
    """Claim one token try for the client address; released when the token proves good.

    Raise DomainError(TOO_MANY_ATTEMPTS) when this address sent too many bad tokens.
    """
    throttled = partial(security_event, env, "auth.token.throttled", purpose=purpose)
    async with throttle.attempt(
        env.uow, throttle.token_budgets(env.client_ip), now=env.now, on_spent=throttled
    ) as tried:
        yield tried


async def redeem(
    session: AsyncSession, env: AuthEnv, tried: throttle.Attempt, *, purpose: str, token: str
) -> models.OneTimeToken:
    """The used-up token row; the try no longer counts once the token is good.

    Raise DomainError(TOKEN_INVALID) when it is unknown, used or expired (the try stays counted).
    """
    try:
        row = await one_time.consume(session, purpose=purpose, token=token, now=env.now)
    except Exception:
        security_event(env, "auth.token.invalid", purpose=purpose)
        raise
    tried.passed()
    return row

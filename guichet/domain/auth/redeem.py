"""Redeem a one-time token from a link, counting bad tokens per client address (SEC-41)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.auth import one_time, rules, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event
from guichet.domain.errors import DomainError


async def redeem(session: AsyncSession, env: AuthEnv, *, purpose: str, token: str) -> models.OneTimeToken | DomainError:
    """The used-up token row, or the TOKEN_INVALID error to raise once the failure count is committed.

    Raise DomainError(TOO_MANY_ATTEMPTS) at once when this address sent too many bad tokens.
    """
    key = throttle.ip_key(env.client_ip)
    if key is not None:
        try:
            await throttle.check(session, key=key, kind="token", limit=rules.TOKEN_FAILURES_PER_IP, now=env.now)
        except DomainError:
            security_event(env, "auth.token.throttled", purpose=purpose)
            raise
    try:
        return await one_time.consume(session, purpose=purpose, token=token, now=env.now)
    except DomainError as error:
        if key is not None:
            await throttle.record(session, key=key, kind="token", now=env.now)
        security_event(env, "auth.token.invalid", purpose=purpose)
        return error

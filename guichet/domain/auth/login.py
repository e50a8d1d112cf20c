"""Sign in and out.

Unknown e-mail, person without a password and wrong password all answer INVALID_CREDENTIALS,
after the same Argon2 work (a dummy hash stands in), so neither body nor timing tells them apart.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.auth import credentials, rules, sessions, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event
from guichet.domain.errors import DomainError, ErrorCode

EMAIL_FIELD = ["input", "email"]


async def login(env: AuthEnv, *, email: str, password: str) -> sessions.OpenedSession:
    """Open a session for the person with this e-mail and password.

    Raise DomainError VALIDATION (malformed e-mail), TOO_MANY_ATTEMPTS (5 failures for this e-mail
    in 15 minutes, even with the right password; or too many from this address) or
    INVALID_CREDENTIALS. The attempt is counted (committed) before the password is verified, so
    concurrent logins verify at most as many passwords as the budget allows.
    """
    address = rules.normalise_email(email, field=EMAIL_FIELD)
    budgets = throttle.login_budgets(address, env.client_ip)
    throttled = partial(security_event, env, "auth.login.throttled", email=address)
    async with throttle.attempt(env.uow, budgets, now=env.now, on_spent=throttled) as tried:
        async with env.uow() as session:
            person = (
                await session.execute(select(models.Person).where(models.Person.email == address))
            ).scalar_one_or_none()
        password_hash = person.password_hash if person is not None else None
        if not await credentials.verify_password(env.passwords, password_hash, password) or person is None:
            security_event(env, "auth.login.failed", email=address)
            raise DomainError(ErrorCode.INVALID_CREDENTIALS)
        async with env.uow() as session:
            current = await session.get(models.Person, person.id)
            if current is None or current.password_hash != password_hash:
                # The password changed while it was being verified: the one given is no longer it.
                raise DomainError(ErrorCode.INVALID_CREDENTIALS)
            if password_hash is not None and env.passwords.needs_rehash(password_hash):
                # SEC-39: upgrade hashes made with older or weaker parameters while we hold the password.
                current.password_hash = await credentials.hash_password(env.passwords, password)
            opened = await sessions.open_session(session, person=current, now=env.now, ttl=env.session_ttl)
        tried.passed()
    security_event(env, "auth.login.succeeded", email=address, person_id=opened.person_id)
    return opened


async def logout(env: AuthEnv, *, person_id: int, session_id: int) -> None:
    """End this session: its token stops working at once."""
    async with env.uow() as session:
        await sessions.revoke_session(session, session_id=session_id, now=env.now)
    security_event(env, "auth.logout", person_id=person_id)

"""Sign in and out.

Unknown e-mail, person without a password and wrong password all answer INVALID_CREDENTIALS,
after the same Argon2 work (a dummy hash stands in), so neither body nor timing tells them apart.
"""

from __future__ import annotations

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
    INVALID_CREDENTIALS. Each failure is counted (committed) before the refusal is raised.
    """
    address = rules.normalise_email(email, field=EMAIL_FIELD)
    ip_key = throttle.ip_key(env.client_ip)
    failure: DomainError | None = None
    async with env.uow() as session:
        try:
            await throttle.check(session, key=address, kind="login", limit=rules.LOGIN_FAILURES_PER_EMAIL, now=env.now)
            if ip_key is not None:
                await throttle.check(session, key=ip_key, kind="login", limit=rules.LOGIN_FAILURES_PER_IP, now=env.now)
        except DomainError:
            security_event(env, "auth.login.throttled", email=address)
            raise
        person = (
            await session.execute(select(models.Person).where(models.Person.email == address))
        ).scalar_one_or_none()
        password_hash = person.password_hash if person is not None else None
        if not await credentials.verify_password(env.passwords, password_hash, password) or person is None:
            await throttle.record(session, key=address, kind="login", now=env.now)
            if ip_key is not None:
                await throttle.record(session, key=ip_key, kind="login", now=env.now)
            failure = DomainError(ErrorCode.INVALID_CREDENTIALS)
        else:
            if password_hash is not None and env.passwords.needs_rehash(password_hash):
                # SEC-39: upgrade hashes made with older or weaker parameters while we hold the password.
                person.password_hash = await credentials.hash_password(env.passwords, password)
            opened = await sessions.open_session(session, person=person, now=env.now, ttl=env.session_ttl)
    if failure is not None:
        security_event(env, "auth.login.failed", email=address)
        raise failure
    security_event(env, "auth.login.succeeded", email=address, person_id=opened.person_id)
    return opened


async def logout(env: AuthEnv, *, person_id: int, session_id: int) -> None:
    """End this session: its token stops working at once."""
    async with env.uow() as session:
        await sessions.revoke_session(session, session_id=session_id, now=env.now)
    security_event(env, "auth.logout", person_id=person_id)

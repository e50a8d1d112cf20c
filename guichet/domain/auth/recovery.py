"""Forgotten and changed passwords.

requestPasswordReset answers the same whether or not the e-mail is known; the 1-hour reset token
is single-use, kills every other outstanding reset token and every session of its person, and does
not sign in (SEC-43).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.auth import audit, credentials, notify, one_time, rules, sessions, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event
from guichet.domain.auth.redeem import redeem, token_attempt
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.passwords import check_password_strength

EMAIL_FIELD = ["input", "email"]
PASSWORD_FIELD = ["input", "password"]
CURRENT_PASSWORD_FIELD = ["input", "currentPassword"]
NEW_PASSWORD_FIELD = ["input", "newPassword"]


async def request_password_reset(env: AuthEnv, *, email: str) -> None:
    """E-mail a reset link when a person with a password has this address; otherwise do nothing, silently.

    Raise DomainError(VALIDATION) only for a malformed address. At most 5 mails per address and
    15 minutes: further requests are accepted and logged but send nothing.
    """
    address = rules.normalise_email(email, field=EMAIL_FIELD)
    async with env.uow() as session:
        try:
            await throttle.claim(session, [throttle.Budget(address, "reset-mail", rules.MAILS_PER_EMAIL)], now=env.now)
        except DomainError:
            security_event(env, "auth.reset.throttled", email=address)
            return
        person = (
            await session.execute(
                select(models.Person).where(models.Person.email == address, models.Person.password_hash.is_not(None))
            )
        ).scalar_one_or_none()
        if person is None:
            security_event(env, "auth.reset.requested", email=address, known=False)
            return
        token = await one_time.issue(
            session, purpose=rules.PURPOSE_RESET, person_id=person.id, now=env.now, ttl=rules.RESET_TOKEN_TTL
        )
        await notify.send(session, env, to=person.email, template="reset", purpose=rules.PURPOSE_RESET, token=token)
    security_event(env, "auth.reset.requested", email=address, person_id=person.id, known=True)


async def reset_password(env: AuthEnv, *, token: str, password: str) -> None:
    """Set a new password with a reset token; end every session of that person; do not sign in.

    Raise DomainError TOKEN_INVALID (unknown, used or expired token), WEAK_PASSWORD / VALIDATION
    (the token then stays usable), TOO_MANY_ATTEMPTS (too many bad tokens from this address).
    """
    async with token_attempt(env, purpose=rules.PURPOSE_RESET) as tried, env.uow() as session:
        redeemed = await redeem(session, env, tried, purpose=rules.PURPOSE_RESET, token=token)
        # Raised inside the transaction: a weak password rolls back, and the token stays usable.
        check_password_strength(password, field=PASSWORD_FIELD)
        person = await session.get(models.Person, redeemed.person_id)
        if person is None:  # the token's foreign key makes this impossible; fail closed anyway
            raise DomainError(ErrorCode.TOKEN_INVALID, field=one_time.TOKEN_FIELD)
        person.password_hash = await credentials.hash_password(env.passwords, password)
        person.password_changed_at = env.now
        await one_time.retire_all(session, purpose=rules.PURPOSE_RESET, person_id=person.id, now=env.now)
        await sessions.revoke_sessions(session, person_id=person.id, now=env.now)
        await notify.send(session, env, to=person.email, template="password_changed")
        await audit.record_for_person(
            session,
            env,
            person_id=person.id,
            action="auth.password_reset",
            summary="Password reset by e-mail link.",
        )
    security_event(env, "auth.reset.completed", person_id=redeemed.person_id)


async def change_password(
    env: AuthEnv, *, person_id: int, session_id: int, current_password: str, new_password: str
) -> None:
    """Replace the signed-in person's password; end its other sessions, keep this one.

    Raise DomainError WEAK_PASSWORD / VALIDATION (new password), INVALID_CREDENTIALS on
    currentPassword (counted like a failed sign-in), TOO_MANY_ATTEMPTS.
    """
    check_password_strength(new_password, field=NEW_PASSWORD_FIELD)
    async with env.uow() as session:
        person = await session.get(models.Person, person_id)
    if person is None:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "current_password_wrong", field=CURRENT_PASSWORD_FIELD)
    budgets = [throttle.Budget(person.email, "login", rules.LOGIN_FAILURES_PER_EMAIL)]
    throttled = partial(security_event, env, "auth.password_change.throttled", person_id=person_id)
    async with throttle.attempt(env.uow, budgets, now=env.now, on_spent=throttled) as tried:
        if not await credentials.verify_password(env.passwords, person.password_hash, current_password):
            security_event(env, "auth.password_change.failed", person_id=person_id)
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, "current_password_wrong", field=CURRENT_PASSWORD_FIELD)
        async with env.uow() as session:
            current = await session.get(models.Person, person_id)
            if current is None or current.password_hash != person.password_hash:
                # Changed meanwhile (a reset): the password given is no longer the current one.
                raise DomainError(ErrorCode.INVALID_CREDENTIALS, "current_password_wrong", field=CURRENT_PASSWORD_FIELD)
            current.password_hash = await credentials.hash_password(env.passwords, new_password)
            current.password_changed_at = env.now
            await sessions.revoke_sessions(session, person_id=current.id, now=env.now, keep_session_id=session_id)
            await one_time.retire_all(session, purpose=rules.PURPOSE_RESET, person_id=current.id, now=env.now)
            await notify.send(session, env, to=current.email, template="password_changed")
            await audit.record_for_person(
                session, env, person_id=current.id, action="auth.password_changed", summary="Password changed."
            )
        tried.passed()
    security_event(env, "auth.password_change.succeeded", person_id=person_id)

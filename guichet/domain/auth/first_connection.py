"""First connection ("Première connexion") of contacts named on the back-office feed or self-registered.

Such a contact is a Person without a password and a Contact INVITED. requestFirstConnection e-mails
a 7-day activation link, answering the same whatever the address; activateAccount sets the
password, turns the INVITED contacts ACTIVE and signs in.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.auth import credentials, notify, one_time, rules, sessions, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event
from guichet.domain.auth.redeem import redeem, token_attempt
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.passwords import check_password_strength

EMAIL_FIELD = ["input", "email"]
PASSWORD_FIELD = ["input", "password"]


async def request_first_connection(env: AuthEnv, *, email: str) -> None:
    """E-mail an activation link when this address is a person without password with an INVITED contact.

    Otherwise do nothing, silently. Raise DomainError(VALIDATION) only for a malformed address; at
    most 5 mails per address and 15 minutes (further requests send nothing).
    """
    address = rules.normalise_email(email, field=EMAIL_FIELD)
    async with env.uow() as session:
        try:
            await throttle.claim(
                session, [throttle.Budget(address, "activate-mail", rules.MAILS_PER_EMAIL)], now=env.now
            )
        except DomainError:
            security_event(env, "auth.first_connection.throttled", email=address)
            return
        invited = exists().where(models.Contact.person_id == models.Person.id, models.Contact.status == "INVITED")
        person = (
            await session.execute(
                select(models.Person).where(
                    models.Person.email == address, models.Person.password_hash.is_(None), invited
                )
            )
        ).scalar_one_or_none()
        if person is None:
            security_event(env, "auth.first_connection.requested", email=address, known=False)
            return
        await send_activation(session, env, person=person)
    security_event(env, "auth.first_connection.requested", email=address, person_id=person.id, known=True)


async def send_activation(
    session: AsyncSession, env: AuthEnv, *, person: models.Person, organisation: models.Organisation | None = None
) -> None:
    """Issue a 7-day activation token for `person` and e-mail its link (the registration text when an
    organisation is given)."""
    token = await one_time.issue(
        session,
        purpose=rules.PURPOSE_ACTIVATE,
        person_id=person.id,
        organisation_id=organisation.id if organisation is not None else None,
        now=env.now,
        ttl=rules.ACTIVATION_TOKEN_TTL,
    )
    if organisation is None:
        await notify.send(
            session, env, to=person.email, template="activate", purpose=rules.PURPOSE_ACTIVATE, token=token
        )
    else:
        await notify.send(
            session,
            env,
            to=person.email,
            template="register",
            purpose=rules.PURPOSE_ACTIVATE,
            token=token,
            first_name=person.first_name or "",
            organisation=organisation.name,
        )


async def activate_account(
    env: AuthEnv, *, token: str, password: str, first_name: str | None, last_name: str | None
) -> sessions.OpenedSession:
    """Set the password from an activation link, activate the person's INVITED contacts, open a session.

    Raise DomainError TOKEN_INVALID (unknown, used or expired), WEAK_PASSWORD / VALIDATION (the
    token then stays usable), TOO_MANY_ATTEMPTS (too many bad tokens from this address).
    """
    first = rules.clean_name(first_name, field=["input", "firstName"])
    last = rules.clean_name(last_name, field=["input", "lastName"])
    async with token_attempt(env, purpose=rules.PURPOSE_ACTIVATE) as tried, env.uow() as session:
        redeemed = await redeem(session, env, tried, purpose=rules.PURPOSE_ACTIVATE, token=token)
        check_password_strength(password, field=PASSWORD_FIELD)
        person = await session.get(models.Person, redeemed.person_id)
        if person is None:
            raise DomainError(ErrorCode.TOKEN_INVALID, field=one_time.TOKEN_FIELD)
        had_password = person.password_hash is not None
        person.password_hash = await credentials.hash_password(env.passwords, password)
        person.password_changed_at = env.now
        if first is not None:
            person.first_name = first
        if last is not None:
            person.last_name = last
        await one_time.retire_all(session, purpose=rules.PURPOSE_ACTIVATE, person_id=person.id, now=env.now)
        if had_password:  # an existing person registered as an admin: its password changes, so do its sessions
            await sessions.revoke_sessions(session, person_id=person.id, now=env.now)
        activated = await _activate_contacts(session, person=person)
        for contact in activated:
            await record_event(
                session,
                at=env.now,
                organisation_id=contact.organisation_id,
                actor_contact_id=contact.id,
                action="member.activated",
                summary=f"{person.email} activated their access.",
            )
        opened = await sessions.open_session(session, person=person, now=env.now, ttl=env.session_ttl)
    security_event(env, "auth.activation.completed", email=opened.email, person_id=opened.person_id)
    return opened


async def _activate_contacts(session: AsyncSession, *, person: models.Person) -> list[models.Contact]:
    """Turn ACTIVE the person's INVITED contacts, except where an invitation of the access area is pending
    (that one is accepted through acceptInvitation)."""
    pending_invitation = exists().where(
        and_(
            models.Invitation.organisation_id == models.Contact.organisation_id,
            models.Invitation.email == person.email,
            models.Invitation.status == "PENDING",
        )
    )
    contacts = list(
        (
            await session.execute(
                select(models.Contact).where(
                    models.Contact.person_id == person.id, models.Contact.status == "INVITED", ~pending_invitation
                )
            )
        )
        .scalars()
        .all()
    )
    if contacts:
        await session.execute(
            update(models.Contact)
            .where(models.Contact.id.in_([c.id for c in contacts]))
            .values(status="ACTIVE")
            .execution_options(synchronize_session=False)
        )
        for contact in contacts:
            contact.status = "ACTIVE"
    return contacts

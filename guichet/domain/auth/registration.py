"""Self-registration of an organisation's first administrator (Orange's account creation).

Proof of possession: the taxpayer number, one of its billing account numbers and one invoice
number of that account. Any mismatch answers TAXPAYER_NUMBER_UNKNOWN, the same for each part, and
counts against the taxpayer number so invoice numbers cannot be guessed at leisure.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.auth import rules, throttle
from guichet.domain.auth.env import AuthEnv
from guichet.domain.auth.events import security_event
from guichet.domain.auth.first_connection import send_activation
from guichet.domain.errors import DomainError, ErrorCode


async def register_organisation_access(
    env: AuthEnv,
    *,
    taxpayer_number: str,
    billing_account_number: str,
    invoice_number: str,
    email: str,
    first_name: str,
    last_name: str,
) -> None:
    """Make this person the organisation's primary admin (INVITED) and e-mail the activation link.

    Raise DomainError VALIDATION (malformed e-mail, missing names), TAXPAYER_NUMBER_UNKNOWN (no such
    organisation, account of it or invoice of that account), ALREADY_REGISTERED (the organisation
    has a primary admin), TOO_MANY_ATTEMPTS (5 failed proofs for this taxpayer number in 15 minutes).
    """
    address = rules.normalise_email(email, field=["input", "email"])
    first = rules.clean_name(first_name, field=["input", "firstName"], required=True)
    last = rules.clean_name(last_name, field=["input", "lastName"], required=True)
    taxpayer = taxpayer_number.strip()
    key = f"taxpayer:{taxpayer.upper()}"[:254]
    failure: DomainError | None = None
    async with env.uow() as session:
        try:
            # Claimed before the proof is checked, so concurrent guesses cannot outrun the count.
            claimed = await throttle.claim(
                session, [throttle.Budget(key, "register", rules.REGISTRATION_FAILURES_PER_TAXPAYER)], now=env.now
            )
        except DomainError:
            security_event(env, "auth.registration.throttled", email=address)
            raise
        organisation = await _proven_organisation(
            session,
            taxpayer=taxpayer,
            account_number=billing_account_number.strip(),
            invoice_number=invoice_number.strip(),
        )
        if organisation is None:
            failure = DomainError(ErrorCode.TAXPAYER_NUMBER_UNKNOWN)
        else:
            await throttle.release(session, claimed)
            has_admin = (
                await session.execute(
                    select(models.Contact.id).where(
                        models.Contact.organisation_id == organisation.id, models.Contact.is_primary_admin.is_(True)
                    )
                )
            ).first()
            if has_admin is not None:
                security_event(env, "auth.registration.already_registered", email=address, organisation=organisation.id)
                raise DomainError(ErrorCode.ALREADY_REGISTERED)
            person = (
                await session.execute(select(models.Person).where(models.Person.email == address))
            ).scalar_one_or_none()
            if person is None:
                person = models.Person(email=address, first_name=first, last_name=last, created_at=env.now)
                session.add(person)
                await session.flush()
            contact = (
                await session.execute(
                    select(models.Contact).where(
                        models.Contact.organisation_id == organisation.id, models.Contact.person_id == person.id
                    )
                )
            ).scalar_one_or_none()
            if contact is None:
                contact = models.Contact(
                    organisation_id=organisation.id,
                    person_id=person.id,
                    status="INVITED",
                    is_primary_admin=True,
                    created_at=env.now,
                )
                session.add(contact)
            else:
                contact.is_primary_admin = True
                if contact.status != "ACTIVE":
                    contact.status = "INVITED"
            await session.flush()
            await record_event(
                session,
                at=env.now,
                organisation_id=organisation.id,
                actor_contact_id=contact.id,
                action="organisation.registered",
                summary=f"{address} registered as the primary administrator.",
            )
            await send_activation(session, env, person=person, organisation=organisation)
    if failure is not None:
        security_event(env, "auth.registration.refused", email=address)
        raise failure
    security_event(env, "auth.registration.succeeded", email=address, person_id=person.id)


async def _proven_organisation(
    session: AsyncSession, *, taxpayer: str, account_number: str, invoice_number: str
) -> models.Organisation | None:
    """The organisation when the three numbers hang together (one query), else None."""
    if not taxpayer or not account_number or not invoice_number:
        return None
    return (
        await session.execute(
            select(models.Organisation)
            .join(models.BillingAccount, models.BillingAccount.organisation_id == models.Organisation.id)
            .join(models.Invoice, models.Invoice.billing_account_id == models.BillingAccount.id)
            .where(
                models.Organisation.taxpayer_number == taxpayer,
                models.BillingAccount.number == account_number,
                models.Invoice.number == invoice_number,
            )
            .limit(1)
        )
    ).scalar_one_or_none()

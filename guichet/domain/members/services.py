"""Members administration services: each owns one transaction and re-checks who may do it.

Authorization is re-done here, inside the transaction (SEC-23): the actor must be an ACTIVE
contact of the target's organisation holding MEMBERS WRITE (else NOT_FOUND for an object of an
organisation it does not belong to, FORBIDDEN otherwise), then the ACCESS.md rules apply
(rules.Grantor). Every change is written to the audit trail and announced to every process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.actors import actor_access
from guichet.domain.audit import record_event
from guichet.domain.auth import throttle
from guichet.domain.auth.credentials import hash_password, verify_password
from guichet.domain.auth.events import security_event
from guichet.domain.auth.rules import clean_name, normalise_email
from guichet.domain.auth.sessions import OpenedSession, open_session, revoke_sessions
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email, link
from guichet.domain.members.rules import INVITATION_TTL, PURPOSE_INVITATION, Grantor, RoleKey, invitation_status
from guichet.domain.passwords import PasswordHashing, check_password_strength
from guichet.domain.tokens import new_token, token_hash
from guichet.i18n import render
from guichet.policies.engine import PolicyEngine
from guichet.policies.rules import Action, ContactAccess, Module
from guichet.policies.store import announce, load_access, replace_access

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Pair = tuple[str, str]


@dataclass(frozen=True)
class MembersEnv:
    """What the services need from the request (built by the resolver from its Context)."""

    uow: UnitOfWork
    policy: PolicyEngine
    passwords: PasswordHashing
    now: datetime
    public_url: str
    locale: str
    session_ttl: timedelta = timedelta(hours=12)
    client_ip: str | None = None
    request_id: str = "-"


async def _grantor(session: AsyncSession, env: MembersEnv, *, person_id: int, organisation_id: int) -> Grantor:
    """The actor as a Grantor; NOT_FOUND when it is not an active member, FORBIDDEN without MEMBERS WRITE."""
    access = await actor_access(
        session,
        env.policy,
        person_id=person_id,
        organisation_id=organisation_id,
        module=Module.MEMBERS,
        action=Action.WRITE,
    )
    return Grantor(
        access=access,
        holds_everywhere=lambda a, m, x: env.policy.scope(a, m, x).all_accounts,
        role_permissions=env.policy.template_table(),
    )


async def _check_accounts(session: AsyncSession, organisation_id: int, roles: Sequence[RoleKey]) -> None:
    """NOT_FOUND for a billing account that is not the organisation's (unknown and foreign alike)."""
    wanted = {a for _, a in roles if a is not None}
    if not wanted:
        return
    found = set(
        (
            await session.execute(
                select(models.BillingAccount.id).where(
                    models.BillingAccount.organisation_id == organisation_id, models.BillingAccount.id.in_(wanted)
                )
            )
        ).scalars()
    )
    for index, (_role, account_id) in enumerate(roles):
        if account_id is not None and account_id not in found:
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "roles", str(index), "billingAccountId"])


def _roles_json(roles: Sequence[RoleKey]) -> list[dict[str, object]]:
    return [{"role": r, "billingAccountId": a} for r, a in roles]


def invitation_roles(row: models.Invitation) -> list[RoleKey]:
    return [
        (str(item["role"]), int(item["billingAccountId"]) if item.get("billingAccountId") else None)
        for item in row.roles
    ]  # type: ignore[call-overload]


async def _send_invitation(session: AsyncSession, env: MembersEnv, invitation: models.Invitation, token: str) -> None:
    organisation = await session.get(models.Organisation, invitation.organisation_id)
    params = {
        "organisation": organisation.name if organisation else "",
        "link": link(env.public_url, PURPOSE_INVITATION, token),
    }
    await enqueue_email(
        session,
        to=invitation.email,
        subject=render("invitation_email_subject", env.locale, params),
        body=render("invitation_email_body", env.locale, params),
        now=env.now,
    )


async def invite_member(
    env: MembersEnv,
    *,
    actor_person_id: int,
    organisation_id: int,
    email: str,
    first_name: str | None,
    last_name: str | None,
    roles: Sequence[RoleKey],
) -> int:
    """Invite `email` with `roles`; return the invitation's id.

    Raise VALIDATION (e-mail), NOT_FOUND (billing account), CANNOT_MANAGE_ADMIN (ADMIN by a
    sub-admin), ROLE_NOT_GRANTABLE, ALREADY_MEMBER (active or disabled member, or a pending
    invitation for that e-mail).
    """
    address = normalise_email(email, field=["input", "email"])
    first = clean_name(first_name, field=["input", "firstName"])
    last = clean_name(last_name, field=["input", "lastName"])
    roles = list(dict.fromkeys(roles))
    async with env.uow() as session:
        grantor = await _grantor(session, env, person_id=actor_person_id, organisation_id=organisation_id)
        await _check_accounts(session, organisation_id, roles)
        grantor.may_grant_roles(roles)
        member = (
            await session.execute(
                select(models.Contact.id)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .where(
                    models.Contact.organisation_id == organisation_id,
                    func.lower(models.Person.email) == address,
                    models.Contact.status.in_(["ACTIVE", "DISABLED"]),
                )
            )
        ).first()
        pending = (
            await session.execute(
                select(models.Invitation.id).where(
                    models.Invitation.organisation_id == organisation_id,
                    models.Invitation.email == address,
                    models.Invitation.status == "PENDING",
                    models.Invitation.expires_at > env.now,
                )
            )
        ).first()
        if member is not None or pending is not None:
            raise DomainError(ErrorCode.ALREADY_MEMBER, field=["input", "email"])
        token = new_token()
        invitation = models.Invitation(
            organisation_id=organisation_id,
            email=address,
            first_name=first,
            last_name=last,
            roles=_roles_json(roles),
            status="PENDING",
            token_hash=token_hash(token),
            invited_by_contact_id=grantor.access.contact_id,
            created_at=env.now,
            expires_at=env.now + INVITATION_TTL,
        )
        session.add(invitation)
        await session.flush()
        await _send_invitation(session, env, invitation, token)
        await record_event(
            session,
            at=env.now,
            organisation_id=organisation_id,
            actor_contact_id=grantor.access.contact_id,
            action="member.invited",
            summary=f"Invited {address} as {', '.join(r for r, _ in roles) or 'no role'}",
            subject_id=to_global_id("Invitation", invitation.id),
            data={"email": address, "roles": _roles_json(roles)},
        )
        return invitation.id


async def _managed_invitation(
    session: AsyncSession, env: MembersEnv, *, actor_person_id: int, invitation_id: int
) -> tuple[models.Invitation, Grantor]:
    """The invitation and its manager; another organisation's invitation is NOT_FOUND exactly like an unknown one."""
    not_found = DomainError(ErrorCode.NOT_FOUND, field=["input", "invitationId"])
    invitation = await session.get(models.Invitation, invitation_id, with_for_update=True)
    if invitation is None:
        raise not_found
    try:
        grantor = await _grantor(session, env, person_id=actor_person_id, organisation_id=invitation.organisation_id)
    except DomainError as error:
        if error.code is ErrorCode.NOT_FOUND:
            raise not_found from None
        raise
    if invitation_status(invitation.status, invitation.expires_at, env.now) not in {"PENDING", "EXPIRED"}:
        raise DomainError(ErrorCode.VALIDATION, "invitation_closed", field=["input", "invitationId"])
    grantor.may_grant_roles(invitation_roles(invitation))
    return invitation, grantor


async def resend_invitation(env: MembersEnv, *, actor_person_id: int, invitation_id: int) -> int:
    """Send a new link (7 more days); the previous token stops working. Same refusals as inviting."""
    async with env.uow() as session:
        invitation, grantor = await _managed_invitation(
            session, env, actor_person_id=actor_person_id, invitation_id=invitation_id
        )
        token = new_token()
        invitation.token_hash = token_hash(token)
        invitation.status = "PENDING"
        invitation.expires_at = env.now + INVITATION_TTL
        await session.flush()
        await _send_invitation(session, env, invitation, token)
        await record_event(
            session,
            at=env.now,
            organisation_id=invitation.organisation_id,
            actor_contact_id=grantor.access.contact_id,
            action="member.invitation_resent",
            summary=f"Invitation of {invitation.email} sent again",
            subject_id=to_global_id("Invitation", invitation.id),
        )
        return invitation.id


async def revoke_invitation(env: MembersEnv, *, actor_person_id: int, invitation_id: int) -> int:
    """Revoke a pending (or expired) invitation; its link stops working."""
    async with env.uow() as session:
        invitation, grantor = await _managed_invitation(
            session, env, actor_person_id=actor_person_id, invitation_id=invitation_id
        )
        invitation.status = "REVOKED"
        await session.flush()
        await record_event(
            session,
            at=env.now,
            organisation_id=invitation.organisation_id,
            actor_contact_id=grantor.access.contact_id,
            action="member.invitation_revoked",
            summary=f"Invitation of {invitation.email} revoked",
            subject_id=to_global_id("Invitation", invitation.id),
        )
        return invitation.id


async def accept_invitation(
    env: MembersEnv, *, token: str, password: str, first_name: str | None, last_name: str | None
) -> OpenedSession:
    """Join the organisation with the invitation's roles and open a session.

    A new person sets its password (WEAK_PASSWORD); a person who already has one gives it
    (INVALID_CREDENTIALS), checked under the same throttle as login, in the same budget (SEC-41).
    TOKEN_INVALID when the token is unknown, used, revoked, expired, or its inviter may no longer
    grant what it offers (SEC-26); ALREADY_MEMBER if a member meanwhile; TOO_MANY_ATTEMPTS when
    this address sent too many bad tokens, or this person's password was tried too often.
    """
    token_spent = partial(security_event, env, "auth.token.throttled", purpose=PURPOSE_INVITATION)
    async with throttle.attempt(
        env.uow, throttle.token_budgets(env.client_ip), now=env.now, on_spent=token_spent
    ) as tried:
        async with env.uow() as session:
            invitation = await _acceptable_invitation(session, env, token=token)
            person = await _person(session, invitation.email)
            known_hash = person.password_hash if person is not None else None
        tried.passed()
    if not known_hash:
        return await _join(
            env, token=token, password=password, first_name=first_name, last_name=last_name, known_hash=None
        )
    email = invitation.email
    password_spent = partial(security_event, env, "auth.invitation.throttled", email=email)
    async with throttle.attempt(
        env.uow, throttle.login_budgets(email, env.client_ip), now=env.now, on_spent=password_spent
    ) as checked:
        if not await verify_password(env.passwords, known_hash, password):
            security_event(env, "auth.invitation.password_failed", email=email)
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, field=["input", "password"])
        opened = await _join(
            env, token=token, password=password, first_name=first_name, last_name=last_name, known_hash=known_hash
        )
        checked.passed()
    return opened


async def _acceptable_invitation(session: AsyncSession, env: MembersEnv, *, token: str) -> models.Invitation:
    """The pending invitation of this token, locked; TOKEN_INVALID unless its inviter may still grant it."""
    invitation = (
        await session.execute(
            select(models.Invitation).where(models.Invitation.token_hash == token_hash(token)).with_for_update()
        )
    ).scalar_one_or_none()
    if invitation is None or invitation_status(invitation.status, invitation.expires_at, env.now) != "PENDING":
        security_event(env, "auth.token.invalid", purpose=PURPOSE_INVITATION)
        raise DomainError(ErrorCode.TOKEN_INVALID, field=["input", "token"])
    if invitation.invited_by_contact_id is not None:
        inviter = (await load_access(session, [invitation.invited_by_contact_id])).get(invitation.invited_by_contact_id)
        try:
            if inviter is None or not inviter.active or env.policy.scope(inviter, Module.MEMBERS, Action.WRITE).empty:
                raise DomainError(ErrorCode.TOKEN_INVALID)
            Grantor(
                inviter, lambda a, m, x: env.policy.scope(a, m, x).all_accounts, env.policy.template_table()
            ).may_grant_roles(invitation_roles(invitation))
        except DomainError:
            raise DomainError(ErrorCode.TOKEN_INVALID, field=["input", "token"]) from None
    return invitation


async def _person(session: AsyncSession, email: str) -> models.Person | None:
    return (
        await session.execute(select(models.Person).where(func.lower(models.Person.email) == email))
    ).scalar_one_or_none()


async def _join(
    env: MembersEnv,
    *,
    token: str,
    password: str,
    first_name: str | None,
    last_name: str | None,
    known_hash: str | None,
) -> OpenedSession:
    """Accept the invitation in one transaction, re-checking it; `known_hash` is the password hash the
    caller verified `password` against (None: a person without password, which sets it now)."""
    async with env.uow() as session:
        invitation = await _acceptable_invitation(session, env, token=token)
        roles = invitation_roles(invitation)
        person = await _person(session, invitation.email)
        current_hash = person.password_hash if person is not None else None
        if (current_hash or None) != known_hash:
            # The password was set or changed since it was verified: the one given is not proven.
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, field=["input", "password"])
        if person is None or not person.password_hash:
            check_password_strength(password, field=["input", "password"])
            hashed = await hash_password(env.passwords, password)
            if person is None:
                person = models.Person(email=invitation.email, created_at=env.now)
                session.add(person)
            person.password_hash = hashed
            person.password_changed_at = env.now
            person.first_name = clean_name(first_name, field=["input", "firstName"]) or invitation.first_name
            person.last_name = clean_name(last_name, field=["input", "lastName"]) or invitation.last_name
            await session.flush()
        contact = (
            await session.execute(
                select(models.Contact).where(
                    models.Contact.organisation_id == invitation.organisation_id, models.Contact.person_id == person.id
                )
            )
        ).scalar_one_or_none()
        if contact is not None and contact.status != "INVITED":
            raise DomainError(ErrorCode.ALREADY_MEMBER, field=["input", "token"])
        if contact is None:
            contact = models.Contact(
                organisation_id=invitation.organisation_id,
                person_id=person.id,
                status="ACTIVE",
                is_primary_admin=False,
                created_at=env.now,
            )
            session.add(contact)
        contact.status = "ACTIVE"
        await session.flush()
        await replace_access(
            session,
            organisation_id=invitation.organisation_id,
            contact_id=contact.id,
            roles=roles,
            grants=[],
            denials=[],
        )
        await announce(session, [contact.id])
        invitation.status = "ACCEPTED"
        invitation.accepted_at = env.now
        opened = await open_session(session, person=person, now=env.now, ttl=env.session_ttl)
        await record_event(
            session,
            at=env.now,
            organisation_id=invitation.organisation_id,
            actor_contact_id=contact.id,
            action="member.joined",
            summary=f"{invitation.email} accepted the invitation",
            subject_id=to_global_id("Contact", contact.id),
            data={"invitation": to_global_id("Invitation", invitation.id), "roles": _roles_json(roles)},
        )
        return opened


async def _managed_contact(
    session: AsyncSession, env: MembersEnv, *, actor_person_id: int, contact_id: int
) -> tuple[models.Contact, ContactAccess, Grantor]:
    contact = await session.get(models.Contact, contact_id, with_for_update=True)
    if contact is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "contactId"])
    try:
        grantor = await _grantor(session, env, person_id=actor_person_id, organisation_id=contact.organisation_id)
    except DomainError as error:
        if error.code is ErrorCode.NOT_FOUND:
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "contactId"]) from None
        raise
    target = (await load_access(session, [contact.id]))[contact.id]
    grantor.may_manage(target)
    return contact, target, grantor


def _describe(access: ContactAccess) -> dict[str, object]:
    return {
        "roles": sorted([r, a] for r, a in access.roles),  # type: ignore[type-var]
        "grants": sorted(f"{m} {a}" for m, a in access.grants),
        "denials": sorted(f"{m} {a}" for m, a in access.denials),
    }


async def update_member_access(
    env: MembersEnv,
    *,
    actor_person_id: int,
    contact_id: int,
    roles: Sequence[RoleKey] | None,
    grants: Sequence[Pair] | None,
    denials: Sequence[Pair] | None,
) -> int:
    """Replace the given parts of a contact's access.

    Raise NOT_FOUND, FORBIDDEN (own access), CANNOT_MANAGE_ADMIN, ROLE_NOT_GRANTABLE (a new role,
    scope or grant, or a lifted denial, that the actor does not hold itself).
    """
    async with env.uow() as session:
        contact, target, grantor = await _managed_contact(
            session, env, actor_person_id=actor_person_id, contact_id=contact_id
        )
        if roles is not None:
            roles = list(dict.fromkeys(roles))
            await _check_accounts(session, contact.organisation_id, roles)
            grantor.may_grant_roles(roles, already=target.roles)
        if grants is not None:
            grants = list(dict.fromkeys(grants))
            grantor.may_open([g for g in grants if g not in target.grants], field="grants")
        if denials is not None:
            denials = list(dict.fromkeys(denials))
            grantor.may_open(sorted(target.denials - set(denials)), field="denials")
        changed = await replace_access(
            session,
            organisation_id=contact.organisation_id,
            contact_id=contact.id,
            roles=roles,
            grants=grants,
            denials=denials,
        )
        if changed:
            after = (await load_access(session, [contact.id]))[contact.id]
            await record_event(
                session,
                at=env.now,
                organisation_id=contact.organisation_id,
                actor_contact_id=grantor.access.contact_id,
                action="member.access_changed",
                summary="Access changed",
                subject_id=to_global_id("Contact", contact.id),
                data={"before": _describe(target), "after": _describe(after)},
            )
        return contact.id


async def set_member_status(env: MembersEnv, *, actor_person_id: int, contact_id: int, enabled: bool) -> int:
    """Disable (its sessions stop working on the next request) or re-enable a member.

    Raise NOT_FOUND, FORBIDDEN (oneself), CANNOT_MANAGE_ADMIN (the primary admin; an admin by a
    sub-admin). A disabled person without any other active membership also loses its sessions.
    """
    async with env.uow() as session:
        contact, _target, grantor = await _managed_contact(
            session, env, actor_person_id=actor_person_id, contact_id=contact_id
        )
        wanted = "ACTIVE" if enabled else "DISABLED"
        if contact.status == wanted:
            return contact.id
        if enabled and contact.status != "DISABLED":
            raise DomainError(ErrorCode.VALIDATION, "member_not_disabled", field=["input", "contactId"])
        contact.status = wanted
        await session.flush()
        if not enabled:
            others = (
                await session.execute(
                    select(func.count())
                    .select_from(models.Contact)
                    .where(models.Contact.person_id == contact.person_id, models.Contact.status == "ACTIVE")
                )
            ).scalar_one()
            if others == 0:
                await revoke_sessions(session, person_id=contact.person_id, now=env.now)
        await announce(session, [contact.id])
        person_email = (
            await session.execute(select(models.Person.email).where(models.Person.id == contact.person_id))
        ).scalar_one()
        await record_event(
            session,
            at=env.now,
            organisation_id=contact.organisation_id,
            actor_contact_id=grantor.access.contact_id,
            action="member.enabled" if enabled else "member.disabled",
            summary=f"{person_email} {'enabled' if enabled else 'disabled'}",
            subject_id=to_global_id("Contact", contact.id),
        )
        return contact.id


__all__ = [
    "MembersEnv",
    "accept_invitation",
    "invitation_roles",
    "invite_member",
    "resend_invitation",
    "revoke_invitation",
    "set_member_status",
    "update_member_access",
]

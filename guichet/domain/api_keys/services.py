"""API key services: create, rotate, revoke; each owns one transaction and re-checks the actor.

Authorization is re-done inside the transaction (SEC-23): the actor must be an ACTIVE contact of
the key's organisation holding INTEGRATIONS WRITE (NOT_FOUND for a key of another organisation,
FORBIDDEN otherwise). A key's permissions are a snapshot of what its creator held at creation,
over the creator's scope (or the one billing account asked, inside it): ROLE_NOT_GRANTABLE for
anything more. Every change is audited (api_key.created / .rotated / .revoked), e-mailed to the
organisation's admins, and announced to every server process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.actors import actor_access
from guichet.domain.api_keys import rules
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.api_keys import ApiKey, ApiKeyPermission
from guichet.i18n import render
from guichet.policies.engine import AccountScope, PolicyEngine
from guichet.policies.rules import Action, ContactAccess, Module, Role
from guichet.policies.store import announce

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Pair = tuple[str, str]


@dataclass(frozen=True)
class KeysEnv:
    """What the services need from the request (built by the resolver from its Context)."""

    uow: UnitOfWork
    policy: PolicyEngine
    now: datetime
    locale: str


@dataclass(frozen=True)
class IssuedKey:
    """A key just created or rotated, with its secret (shown once, never stored)."""

    api_key_id: int
    secret: str


async def _actor(session: AsyncSession, env: KeysEnv, *, person_id: int, organisation_id: int) -> ContactAccess:
    """The actor's access; NOT_FOUND when not an active member, FORBIDDEN without INTEGRATIONS WRITE."""
    return await actor_access(
        session,
        env.policy,
        person_id=person_id,
        organisation_id=organisation_id,
        module=Module.INTEGRATIONS,
        action=Action.WRITE,
    )


def key_rows(
    env: KeysEnv, creator: ContactAccess, pairs: Sequence[Pair], billing_account_id: int | None
) -> list[tuple[str, str, int | None]]:
    """(module, action, account or None) rows the key holds: each pair over the creator's scope,
    narrowed to `billing_account_id` when given. Raise ROLE_NOT_GRANTABLE when the creator does not
    hold a pair (there)."""
    rows: list[tuple[str, str, int | None]] = []
    for index, (module, action) in enumerate(pairs):
        scope: AccountScope = env.policy.scope(creator, module, action)
        refused = DomainError(
            ErrorCode.ROLE_NOT_GRANTABLE,
            "api_key_permission_not_held",
            field=["input", "permissions", str(index)],
            params={"module": module, "action": action},
        )
        if billing_account_id is not None:
            if not scope.allows(billing_account_id):
                raise refused
            rows.append((module, action, billing_account_id))
        elif scope.all_accounts:
            rows.append((module, action, None))
        elif scope.empty:
            raise refused
        else:
            rows.extend((module, action, account) for account in sorted(scope.account_ids))
    return rows


async def _notify_admins(
    session: AsyncSession, env: KeysEnv, key: ApiKey, *, event: str, actor: ContactAccess | None
) -> None:
    """E-mail every active admin of the key's organisation (ACCESS.md rule 15), naming the key."""
    organisation = await session.get(models.Organisation, key.organisation_id)
    admins = (
        await session.execute(
            select(models.Person.email, models.Contact.id)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .outerjoin(
                models.RoleAssignment,
                (models.RoleAssignment.contact_id == models.Contact.id) & (models.RoleAssignment.role == Role.ADMIN),
            )
            .where(
                models.Contact.organisation_id == key.organisation_id,
                models.Contact.status == "ACTIVE",
                models.Contact.is_primary_admin | models.RoleAssignment.id.is_not(None),
            )
            .distinct()
        )
    ).all()
    actor_email = ""
    if actor is not None:
        actor_email = (
            await session.execute(
                select(models.Person.email)
                .join(models.Contact, models.Contact.person_id == models.Person.id)
                .where(models.Contact.id == actor.contact_id)
            )
        ).scalar_one_or_none() or ""
    params = {
        "event": render(f"api_key_event_{event}", env.locale),
        "name": key.name,
        "prefix": key.prefix,
        "organisation": organisation.name if organisation else "",
        "actor": actor_email,
        "at": env.now.strftime("%Y-%m-%d %H:%M UTC"),
    }
    for email in sorted({row[0] for row in admins}):
        await enqueue_email(
            session,
            to=email,
            subject=render("api_key_email_subject", env.locale, params),
            body=render("api_key_email_body", env.locale, params),
            now=env.now,
        )


async def _audit(session: AsyncSession, env: KeysEnv, key: ApiKey, *, event: str, actor: ContactAccess) -> None:
    await record_event(
        session,
        at=env.now,
        organisation_id=key.organisation_id,
        actor_contact_id=actor.contact_id,
        action=f"api_key.{event}",
        summary=f"API key {key.name} ({key.prefix}) {event}",
        subject_id=to_global_id("ApiKey", key.id),
        data={"name": key.name, "prefix": key.prefix},
    )


async def _check_account(session: AsyncSession, organisation_id: int, account_id: int | None) -> None:
    if account_id is None:
        return
    found = await session.get(models.BillingAccount, account_id)
    if found is None or found.organisation_id != organisation_id:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "billingAccountId"])


async def create_api_key(
    env: KeysEnv,
    *,
    actor_person_id: int,
    organisation_id: int,
    name: str,
    permissions: Sequence[Pair],
    billing_account_id: int | None,
    expires_at: datetime,
    allowed_document_ids: Sequence[str] | None,
) -> IssuedKey:
    """Create a key holding `permissions` (over the creator's scope or one billing account in it).

    Raise NOT_FOUND (not a member; a billing account not the organisation's), FORBIDDEN (no
    INTEGRATIONS WRITE), VALIDATION (name; expiresAt past or beyond 365 days; no permission),
    ACTION_NOT_ALLOWED_FOR_API_KEY (WRITE, PAY, APPROVE), ROLE_NOT_GRANTABLE (more than the creator holds).
    """
    clean_name = rules.check_name(name)
    rules.check_expiry(expires_at, env.now)
    pairs = list(dict.fromkeys(permissions))
    if not pairs:
        raise DomainError(ErrorCode.VALIDATION, "api_key_permissions_empty", field=["input", "permissions"])
    rules.check_actions(pairs)
    documents = rules.check_document_ids(list(allowed_document_ids) if allowed_document_ids is not None else None)
    async with env.uow() as session:
        creator = await _actor(session, env, person_id=actor_person_id, organisation_id=organisation_id)
        await _check_account(session, organisation_id, billing_account_id)
        rows = key_rows(env, creator, pairs, billing_account_id)
        secret, secret_hash, prefix = rules.new_secret()
        key = ApiKey(
            organisation_id=organisation_id,
            name=clean_name,
            prefix=prefix,
            secret_hash=secret_hash,
            billing_account_id=billing_account_id,
            allowed_document_ids=documents,
            created_by_contact_id=creator.contact_id,
            created_at=env.now,
            expires_at=expires_at,
        )
        session.add(key)
        await session.flush()
        for module, action, account in rows:
            session.add(
                ApiKeyPermission(
                    api_key_id=key.id,
                    organisation_id=organisation_id,
                    module=module,
                    action=action,
                    billing_account_id=account,
                )
            )
        await _audit(session, env, key, event="created", actor=creator)
        await _notify_admins(session, env, key, event="created", actor=creator)
        return IssuedKey(key.id, secret)


async def _managed_key(
    session: AsyncSession, env: KeysEnv, *, person_id: int, api_key_id: int
) -> tuple[ApiKey, ContactAccess]:
    key = await session.get(ApiKey, api_key_id, with_for_update=True)
    if key is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "apiKeyId"])
    actor = await _actor(session, env, person_id=person_id, organisation_id=key.organisation_id)
    return key, actor


async def rotate_api_key(env: KeysEnv, *, actor_person_id: int, api_key_id: int, grace_hours: int) -> IssuedKey:
    """Give the key a new secret; the old one keeps working `grace_hours` (0–72).

    Raise NOT_FOUND, FORBIDDEN, VALIDATION (grace hours), VALIDATION (a revoked or expired key).
    """
    grace = rules.check_grace(grace_hours)
    async with env.uow() as session:
        key, actor = await _managed_key(session, env, person_id=actor_person_id, api_key_id=api_key_id)
        if rules.key_status(key.revoked_at, key.expires_at, env.now) != "ACTIVE":
            raise DomainError(ErrorCode.VALIDATION, "api_key_not_active", field=["input", "apiKeyId"])
        secret, secret_hash, prefix = rules.new_secret()
        key.previous_secret_hash = key.secret_hash if grace else None
        key.previous_valid_until = env.now + grace if grace else None
        key.secret_hash = secret_hash
        key.prefix = prefix
        await session.flush()
        await _audit(session, env, key, event="rotated", actor=actor)
        await _notify_admins(session, env, key, event="rotated", actor=actor)
        await announce(session, keys=[key.id])
        return IssuedKey(key.id, secret)


async def revoke_api_key(env: KeysEnv, *, actor_person_id: int, api_key_id: int) -> int:
    """Revoke the key: refused on its next request, in every process. Revoking twice changes nothing.

    Raise NOT_FOUND, FORBIDDEN.
    """
    async with env.uow() as session:
        key, actor = await _managed_key(session, env, person_id=actor_person_id, api_key_id=api_key_id)
        if key.revoked_at is not None:
            return key.id
        key.revoked_at = env.now
        key.revoked_by_contact_id = actor.contact_id
        key.previous_secret_hash = None
        key.previous_valid_until = None
        await session.flush()
        await _audit(session, env, key, event="revoked", actor=actor)
        await _notify_admins(session, env, key, event="revoked", actor=actor)
        await announce(session, keys=[key.id])
        return key.id

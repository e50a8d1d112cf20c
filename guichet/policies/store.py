"""The policy store: where access lives in the database and how a change is announced.

API keys are principals too (ACCESS.md rule 14): `api_keys` and `api_key_permissions` are read
here into the same ContactAccess (kind "k"), and their changes announced on the same channel.

Guards the single source of truth of a contact's access: `contacts` (status, primary admin),
`role_assignments` (roles, each over the organisation or one billing account) and
`contact_permissions` (per-contact grants and denials); the role templates live in `casbin_rule`
and are read through casbin-async-sqlalchemy-adapter. Every write goes through this module
(the members services and the back-office feed), in the caller's transaction, and announces
the change with pg_notify, which PostgreSQL delivers only if that transaction commits.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Iterable, Sequence
from datetime import datetime

from casbin.model import Model
from casbin_async_sqlalchemy_adapter.adapter import Adapter, Filter
from sqlalchemy import String, and_, bindparam, cast, delete, literal_column, null, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from guichet.db import fetch_all
from guichet.domain import models
from guichet.domain.models.base import BigId
from guichet.policies.rules import (
    ACTIONS,
    KEY_KIND,
    MODEL_PATH,
    MODULES,
    ROLES,
    TEMPLATE_DOMAIN,
    ContactAccess,
    PolicyValueError,
    Rule,
    check_rule,
)

CHANNEL = "guichet_policy"
_NOTIFY_BATCH = 400  # contact ids per NOTIFY payload (PostgreSQL caps a payload at 8000 bytes)

RoleKey = tuple[str, int | None]
Pair = tuple[str, str]


async def load_access(session: AsyncSession, contact_ids: Sequence[int]) -> dict[int, ContactAccess]:
    """The access rows of these contacts, in three queries whatever their number."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}

    def among(column):  # type: ignore[no-untyped-def]
        # One contact (every request's case) compares with "=": SQLAlchemy's expanding IN costs ~1 ms a statement.
        return column == ids[0] if len(ids) == 1 else column.in_(ids)

    contacts = (
        await session.execute(
            select(
                models.Contact.id,
                models.Contact.organisation_id,
                models.Contact.status,
                models.Contact.is_primary_admin,
            ).where(among(models.Contact.id))
        )
    ).all()
    roles: dict[int, set[RoleKey]] = {i: set() for i in ids}
    for contact_id, role, account_id in (
        await session.execute(
            select(
                models.RoleAssignment.contact_id, models.RoleAssignment.role, models.RoleAssignment.billing_account_id
            ).where(among(models.RoleAssignment.contact_id))
        )
    ).all():
        roles[contact_id].add((role, account_id))
    grants: dict[int, set[Pair]] = {i: set() for i in ids}
    denials: dict[int, set[Pair]] = {i: set() for i in ids}
    for contact_id, module, action, effect in (
        await session.execute(
            select(
                models.ContactPermission.contact_id,
                models.ContactPermission.module,
                models.ContactPermission.action,
                models.ContactPermission.effect,
            ).where(among(models.ContactPermission.contact_id))
        )
    ).all():
        (grants if effect == "allow" else denials)[contact_id].add((module, action))
    return {
        cid: ContactAccess(
            contact_id=cid,
            organisation_id=org_id,
            active=status == "ACTIVE",
            is_primary_admin=bool(primary),
            roles=frozenset(roles[cid]),
            grants=frozenset(grants[cid]),
            denials=frozenset(denials[cid]),
        )
        for cid, org_id, status, primary in contacts
    }


def _viewer_access_statement():  # type: ignore[no-untyped-def]
    """Organisation + the person's ACTIVE contact there + that contact's roles, grants and denials.

    organisations LEFT JOIN contacts LEFT JOIN (role_assignments UNION ALL contact_permissions):
    no row when the organisation does not exist, one row with a NULL contact when the person is not
    an active member, otherwise one row per role / grant / denial (at least one). Built once, with
    bound parameters, so a request pays no statement construction.
    """
    c, ra, cp = models.Contact, models.RoleAssignment, models.ContactPermission
    rows = union_all(
        select(
            ra.contact_id.label("contact_id"),
            literal_column("'role'", String).label("kind"),
            ra.role.label("role"),
            ra.billing_account_id.label("account_id"),
            cast(null(), String).label("module"),
            cast(null(), String).label("action"),
        ),
        select(
            cp.contact_id,
            cp.effect,
            cast(null(), String),
            cast(null(), BigId),
            cp.module,
            cp.action,
        ),
    ).subquery("access_rows")
    organisations = models.Organisation.__table__
    return (
        select(
            *organisations.c,
            c.id.label("contact_id"),
            c.is_primary_admin.label("contact_is_primary_admin"),
            rows.c.kind.label("access_kind"),
            rows.c.role.label("access_role"),
            rows.c.account_id.label("access_account_id"),
            rows.c.module.label("access_module"),
            rows.c.action.label("access_action"),
        )  # fmt: skip
        .select_from(organisations)
        .outerjoin(
            c,
            and_(
                c.organisation_id == organisations.c.id,
                c.person_id == bindparam("person_id"),
                c.status == "ACTIVE",
            ),
        )
        .outerjoin(rows, rows.c.contact_id == c.id)
        .where(organisations.c.id == bindparam("organisation_id"))
    )


# The organisation's own columns in a viewer-access row (what an Organisation model exposes).
_ORGANISATION_COLUMNS = tuple(column.key for column in models.Organisation.__table__.c)
OrganisationRow = namedtuple("OrganisationRow", _ORGANISATION_COLUMNS)  # type: ignore[misc]  # noqa: PYI024


_VIEWER_ACCESS = _viewer_access_statement()


async def load_viewer_access(
    session: AsyncSession, organisation_id: int, person_id: int
) -> tuple[OrganisationRow | None, ContactAccess | None]:
    """The access rows of the person's ACTIVE contact in the organisation, in ONE statement.

    Every request calls this (nothing is cached across requests, so a revocation committed by any
    process is enforced on the next request). Returns (organisation, access): the organisation's
    row (the Organisation model's attributes, read-only) comes in the same round trip, so
    organisation(id:) reads no second statement. Core rows, not ORM objects (guichet.db.fetch_all).
    Access is None when the organisation does not exist or the person is not an active member of it.
    """
    rows = await fetch_all(session, _VIEWER_ACCESS, {"organisation_id": organisation_id, "person_id": person_id})
    organisation: OrganisationRow | None = None
    contact_id: int | None = None
    primary = False
    roles: set[RoleKey] = set()
    grants: set[Pair] = set()
    denials: set[Pair] = set()
    for row in rows:
        if organisation is None:
            organisation = OrganisationRow._make(getattr(row, key) for key in _ORGANISATION_COLUMNS)
        cid, is_primary = row.contact_id, row.contact_is_primary_admin
        kind, role, account_id = row.access_kind, row.access_role, row.access_account_id
        module, action = row.access_module, row.access_action
        if cid is None:
            return organisation, None
        contact_id, primary = cid, bool(is_primary)
        if kind == "role":
            roles.add((role, account_id))
        elif kind == "allow":
            grants.add((module, action))
        elif kind == "deny":
            denials.add((module, action))
    if contact_id is None:
        return organisation, None
    return organisation, ContactAccess(
        contact_id=contact_id,
        organisation_id=organisation_id,
        active=True,
        is_primary_admin=primary,
        roles=frozenset(roles),
        grants=frozenset(grants),
        denials=frozenset(denials),
    )


async def announce(
    session: AsyncSession, contact_ids: Iterable[int] = (), *, templates: bool = False, keys: Iterable[int] = ()
) -> None:
    """Tell every server process, once this transaction commits, whose access changed.

    PostgreSQL only (NOTIFY is transactional: a rolled-back change announces nothing); on SQLite
    there is a single process and every decision re-reads the viewer's rows anyway.
    """
    if session.bind.dialect.name != "postgresql":
        return
    ids = sorted({int(i) for i in contact_ids})
    key_ids = sorted({int(i) for i in keys})
    if key_ids:
        payload = json.dumps({"contacts": [], "keys": key_ids, "templates": False})
        await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})
    batches = [ids[i : i + _NOTIFY_BATCH] for i in range(0, len(ids), _NOTIFY_BATCH)] or [[]]
    for batch in batches:
        if not batch and not templates:
            continue
        payload = json.dumps({"contacts": batch, "templates": templates})
        await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})


def _key_access(
    key: models.ApiKey, permissions: Iterable[tuple[str, str, int | None]], *, active: bool
) -> ContactAccess:
    everywhere = frozenset((m, a) for m, a, account in permissions if account is None)
    scoped = frozenset((m, a, account) for m, a, account in permissions if account is not None)
    return ContactAccess(
        contact_id=key.id,
        organisation_id=key.organisation_id,
        active=active,
        is_primary_admin=False,
        roles=frozenset(),
        grants=everywhere,
        denials=frozenset(),
        kind=KEY_KIND,
        account_grants=scoped,
    )


def key_usable(key: models.ApiKey, now: datetime) -> bool:
    """Neither revoked nor expired at `now`."""
    return key.revoked_at is None and key.expires_at > now


async def load_key_access(session: AsyncSession, key_ids: Sequence[int], now: datetime) -> dict[int, ContactAccess]:
    """The access of these API keys (inactive once revoked or expired), in two queries."""
    ids = sorted(set(key_ids))
    if not ids:
        return {}
    keys = (await session.scalars(select(models.ApiKey).where(models.ApiKey.id.in_(ids)))).all()
    rows = (
        await session.execute(
            select(
                models.api_keys.ApiKeyPermission.api_key_id,
                models.api_keys.ApiKeyPermission.module,
                models.api_keys.ApiKeyPermission.action,
                models.api_keys.ApiKeyPermission.billing_account_id,
            ).where(models.api_keys.ApiKeyPermission.api_key_id.in_(ids))
        )
    ).all()
    by_key: dict[int, list[tuple[str, str, int | None]]] = {i: [] for i in ids}
    for key_id, module, action, account in rows:
        by_key[key_id].append((module, action, account))
    return {key.id: _key_access(key, by_key[key.id], active=key_usable(key, now)) for key in keys}


def _key_by_secret_statement():  # type: ignore[no-untyped-def]
    """The usable key whose current secret, or previous secret within its grace period, hashes so,
    with its permission rows (LEFT JOIN: one row per permission, at least one)."""
    key, permission = models.ApiKey, models.api_keys.ApiKeyPermission
    return (
        select(key, permission.module, permission.action, permission.billing_account_id)
        .outerjoin(permission, permission.api_key_id == key.id)
        .where(
            (key.secret_hash == bindparam("secret_hash"))
            | ((key.previous_secret_hash == bindparam("secret_hash")) & (key.previous_valid_until > bindparam("now"))),
            key.revoked_at.is_(None),
            key.expires_at > bindparam("now"),
        )
    )


_KEY_BY_SECRET = _key_by_secret_statement()


async def authenticate_key(
    session: AsyncSession, secret_hash: str, now: datetime
) -> tuple[models.ApiKey, ContactAccess] | None:
    """The usable key for this secret's hash and its access, in ONE statement; None when unknown,
    revoked, expired, or an old secret past its grace period (every request asks again)."""
    rows = (await session.execute(_KEY_BY_SECRET, {"secret_hash": secret_hash, "now": now})).all()
    if not rows:
        return None
    key = rows[0][0]
    permissions = [(m, a, account) for _key, m, a, account in rows if m is not None]
    return key, _key_access(key, permissions, active=True)


def _check_roles(roles: Sequence[RoleKey]) -> None:
    for role, _account in roles:
        if role not in ROLES:
            raise PolicyValueError(f"unknown role {role!r}")


def _check_pairs(pairs: Sequence[Pair]) -> None:
    for module, action in pairs:
        if module not in MODULES or action not in ACTIONS:
            raise PolicyValueError(f"unknown permission {module} {action}")


async def replace_access(
    session: AsyncSession,
    *,
    organisation_id: int,
    contact_id: int,
    roles: Sequence[RoleKey] | None = None,
    grants: Sequence[Pair] | None = None,
    denials: Sequence[Pair] | None = None,
) -> bool:
    """Make the contact's roles / grants / denials exactly those given (None: leave as is).

    Runs in the caller's transaction (flushes, never commits); rows already matching are kept,
    so re-applying the same access writes nothing. Returns whether anything changed, and
    announces the change when it did. Raise PolicyValueError for an unknown role or permission.
    """
    changed = False
    if roles is not None:
        _check_roles(roles)
        rows = (
            await session.scalars(select(models.RoleAssignment).where(models.RoleAssignment.contact_id == contact_id))
        ).all()
        current = {(row.role, row.billing_account_id): row for row in rows}
        wanted = set(roles)
        stale = [row.id for key, row in current.items() if key not in wanted]
        missing = [key for key in dict.fromkeys(roles) if key not in current]
        if stale:
            await session.execute(delete(models.RoleAssignment).where(models.RoleAssignment.id.in_(stale)))
        for role, account_id in missing:
            session.add(
                models.RoleAssignment(
                    organisation_id=organisation_id, contact_id=contact_id, role=role, billing_account_id=account_id
                )
            )
        changed |= bool(stale or missing)
    for effect, pairs in (("allow", grants), ("deny", denials)):
        if pairs is None:
            continue
        _check_pairs(pairs)
        rows = (
            await session.scalars(
                select(models.ContactPermission).where(
                    models.ContactPermission.contact_id == contact_id, models.ContactPermission.effect == effect
                )
            )
        ).all()
        current_pairs = {(row.module, row.action): row for row in rows}
        wanted_pairs = set(pairs)
        stale = [row.id for key, row in current_pairs.items() if key not in wanted_pairs]
        missing_pairs = [key for key in dict.fromkeys(pairs) if key not in current_pairs]
        if stale:
            await session.execute(delete(models.ContactPermission).where(models.ContactPermission.id.in_(stale)))
        for module, action in missing_pairs:
            session.add(
                models.ContactPermission(
                    organisation_id=organisation_id, contact_id=contact_id, module=module, action=action, effect=effect
                )
            )
        changed |= bool(stale or missing_pairs)
    if changed:
        await session.flush()
        await announce(session, [contact_id])
    return changed


async def load_templates(engine: AsyncEngine) -> list[Rule]:
    """The role templates of casbin_rule, read through the Casbin SQLAlchemy adapter.

    Every row is validated: a malformed row raises (fail closed, SEC-19), it is never skipped.
    """
    adapter = Adapter(engine, filtered=True)
    policy_filter = Filter()
    policy_filter.ptype = ["p"]
    policy_filter.v1 = [TEMPLATE_DOMAIN]
    model = Model()
    model.load_model(str(MODEL_PATH))
    await adapter.load_filtered_policy(model, policy_filter)
    return [check_rule(("p", *rule)) for rule in model.get_policy("p", "p")]


async def template_fingerprint(session: AsyncSession) -> tuple[int, int]:
    """(row count, highest id) of casbin_rule: changes whenever a template row is added or removed."""
    row = (await session.execute(text("SELECT count(*), coalesce(max(id), 0) FROM casbin_rule"))).one()
    return int(row[0]), int(row[1])

"""The one question the rest of the code asks: may this viewer do ACTION on MODULE here?

Provisional implementation (foundation): roles from role_assignments, role permissions from
the default policy table. The access-control issue replaces the decision with Casbin, keeping
this interface.
"""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet.domain import models

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

DEFAULT_POLICY = Path(__file__).parent / "default_policy.csv"


class NotAuthenticated(Exception):
    """No valid credentials were given."""


class AccessDenied(Exception):
    """The viewer may not use this module here."""

    def __init__(self, module: str, action: str) -> None:
        self.module = module
        self.action = action
        super().__init__(f"{module} {action} refused")


@dataclass(frozen=True)
class Membership:
    contact_id: int
    organisation_id: int
    is_primary_admin: bool


@dataclass(frozen=True)
class AccountScope:
    """The billing accounts a permission reaches: all of them, or these."""

    all_accounts: bool
    account_ids: frozenset[int]

    def allows(self, billing_account_id: int) -> bool:
        return self.all_accounts or billing_account_id in self.account_ids

    @property
    def empty(self) -> bool:
        return not self.all_accounts and not self.account_ids


NO_SCOPE = AccountScope(False, frozenset())
ALL_ACCOUNTS = AccountScope(True, frozenset())


@cache
def role_permissions() -> dict[str, set[tuple[str, str]]]:
    """role -> {(module, action)} from the default policy file (p, role, module, action)."""
    table: dict[str, set[tuple[str, str]]] = {}
    with DEFAULT_POLICY.open() as handle:
        for row in csv.reader(handle):
            cells = [c.strip() for c in row]
            if cells and cells[0] == "p":
                table.setdefault(cells[1], set()).add((cells[2], cells[3]))
    return table


class Authorizer:
    """Per-request decisions, memoised so each (organisation, module, action) is decided once."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._memberships: dict[int, Membership | None] = {}
        self._roles: dict[int, list[tuple[str, int | None]]] = {}
        self._grants: dict[int, tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}
        self._lock = asyncio.Lock()

    async def membership(self, organisation_id: int) -> Membership | None:
        """The viewer's active membership of the organisation, or None (looked up once per request)."""
        async with self._lock:
            if organisation_id not in self._memberships:
                self._memberships[organisation_id] = await self._load_membership(organisation_id)
        return self._memberships[organisation_id]

    async def _load_membership(self, organisation_id: int) -> Membership | None:
        viewer = await self._ctx.viewer()
        result: Membership | None = None
        if viewer is not None:
            async with self._ctx.read() as session:
                contact = (
                    await session.execute(
                        select(models.Contact).where(
                            models.Contact.organisation_id == organisation_id,
                            models.Contact.person_id == viewer.person_id,
                            models.Contact.status == "ACTIVE",
                        )
                    )
                ).scalar_one_or_none()
                if contact is not None:
                    result = Membership(contact.id, organisation_id, contact.is_primary_admin)
                    roles = (
                        await session.execute(
                            select(models.RoleAssignment.role, models.RoleAssignment.billing_account_id).where(
                                models.RoleAssignment.contact_id == contact.id
                            )
                        )
                    ).all()
                    perms = (
                        await session.execute(
                            select(
                                models.ContactPermission.module,
                                models.ContactPermission.action,
                                models.ContactPermission.effect,
                            ).where(models.ContactPermission.contact_id == contact.id)
                        )
                    ).all()
                    self._roles[organisation_id] = [(r, ba) for r, ba in roles]
                    if contact.is_primary_admin:
                        self._roles[organisation_id] = [(r, None) for r in role_permissions()]
                    self._grants[organisation_id] = (
                        {(m, a) for m, a, e in perms if e == "allow"},
                        {(m, a) for m, a, e in perms if e == "deny"},
                    )
        return result

    async def scope(self, organisation_id: int, module: str, action: str) -> AccountScope:
        """The billing accounts where the viewer may do `action` on `module` (empty: nowhere)."""
        membership = await self.membership(organisation_id)
        if membership is None:
            return NO_SCOPE
        grants, denials = self._grants[organisation_id]
        if (module, action) in denials:
            return NO_SCOPE
        if (module, action) in grants:
            return ALL_ACCOUNTS
        table = role_permissions()
        accounts: set[int] = set()
        for role, account_id in self._roles[organisation_id]:
            if (module, action) in table.get(role, set()):
                if account_id is None:
                    return ALL_ACCOUNTS
                accounts.add(account_id)
        return AccountScope(False, frozenset(accounts))

    async def allowed(self, organisation_id: int, module: str, action: str) -> bool:
        return not (await self.scope(organisation_id, module, action)).empty

    async def require(self, organisation_id: int, module: str, action: str) -> Membership:
        """Raise NotAuthenticated or AccessDenied unless the viewer may do it somewhere here."""
        if await self._ctx.viewer() is None:
            raise NotAuthenticated()
        membership = await self.membership(organisation_id)
        if membership is None or not await self.allowed(organisation_id, module, action):
            raise AccessDenied(module, action)
        return membership

    async def visible_accounts(self, organisation_id: int) -> AccountScope:
        """Accounts any of the viewer's roles reach (for billing accounts and lines)."""
        membership = await self.membership(organisation_id)
        if membership is None:
            return NO_SCOPE
        accounts: set[int] = set()
        for _role, account_id in self._roles[organisation_id]:
            if account_id is None:
                return ALL_ACCOUNTS
            accounts.add(account_id)
        return AccountScope(False, frozenset(accounts))

"""The one question the rest of the code asks: may this viewer do ACTION on MODULE here?

Casbin decides (policies/engine.py over model.conf); this per-request Authorizer finds the
viewer's ACTIVE contact in the organisation, hands its current rows to the process-wide engine
(which recompiles them only when they changed), and memoises each (organisation, module, action)
decision for the rest of the request: one decision per root field, never per row.
A refused member is written to the audit trail (access.denied) and the security log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.audit import record_event
from guichet.domain.models import Organisation
from guichet.logs import set_organisation
from guichet.policies.engine import (
    ALL_ACCOUNTS,
    NO_SCOPE,
    AccountScope,
    PolicyEngine,
    intersection,
    organisation_wide,
)
from guichet.policies.rules import KEY_KIND, Action, ContactAccess, Module, default_templates, template_table
from guichet.policies.store import load_viewer_access

__all__ = [
    "ALL_ACCOUNTS",
    "NO_SCOPE",
    "AccessDenied",
    "AccessRequest",
    "AccountScope",
    "Authorizer",
    "Decision",
    "Membership",
    "NotAuthenticated",
    "intersection",
    "organisation_wide",
    "role_permissions",
]

log = logging.getLogger("guichet.security")


class NotAuthenticated(Exception):
    """No valid credentials were given."""


class AccessDenied(Exception):
    """The viewer may not use this module here."""

    def __init__(self, module: str, action: str) -> None:
        self.module = module
        self.action = action
        super().__init__(f"{module} {action} refused")


class ViewerLike(Protocol):
    person_id: int


class KeyLike(Protocol):
    """An API key principal (ACCESS.md rule 14): its organisation and its access, read this request."""

    api_key_id: int
    organisation_id: int
    access: ContactAccess


class AccessRequest(Protocol):
    """What the Authorizer needs of a request: who asks, a read session, a unit of work, the time."""

    request_id: str

    def principal(self) -> Awaitable[ViewerLike | KeyLike | None]: ...

    def read(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def uow(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Membership:
    """Who acts in the organisation: a contact, or an API key (`api_key_id` set, `contact_id` 0,
    which matches no contact: a key is never its creator)."""

    contact_id: int
    organisation_id: int
    is_primary_admin: bool
    api_key_id: int | None = None


@dataclass(frozen=True)
class Decision:
    """What a field's declared permission decided: the viewer's membership and the accounts it reaches."""

    membership: Membership
    scope: AccountScope


def role_permissions() -> dict[str, set[tuple[str, str]]]:
    """role -> {(module, action)} of the default policy (the ACCESS.md table)."""
    return template_table(default_templates())


class Authorizer:
    """Per-request decisions, memoised so each (organisation, module, action) is decided once."""

    def __init__(self, request: AccessRequest, engine: PolicyEngine) -> None:
        self._request = request
        self._engine = engine
        self._access: dict[int, ContactAccess | None] = {}
        self._organisations: dict[int, object] = {}
        self._scopes: dict[tuple[int, str, str], AccountScope] = {}
        self._denied_logged: set[tuple[int, str, str]] = set()
        self._lock = asyncio.Lock()

    async def access(self, organisation_id: int) -> ContactAccess | None:
        """The viewer's ACTIVE contact's access rows in the organisation (read once per request)."""
        async with self._lock:
            if organisation_id not in self._access:
                self._access[organisation_id] = await self._load_access(organisation_id)
        return self._access[organisation_id]

    async def _load_access(self, organisation_id: int) -> ContactAccess | None:
        """One statement: the viewer's active contact, its roles, grants and denials (and the
        organisation's row, left in the read session's identity map for organisation(id:))."""
        viewer = await self._request.principal()
        if viewer is None:
            return None
        if not hasattr(viewer, "person_id"):
            return await self._load_key_access(viewer, organisation_id)  # type: ignore[arg-type]
        async with self._request.read() as session:
            organisation, access = await load_viewer_access(session, organisation_id, viewer.person_id)
        # Held for the request: the session's identity map is weak, and organisation(id:) reads it next.
        self._organisations[organisation_id] = organisation
        if access is None:
            return None
        # Fresh rows every request: a revocation done by any process is enforced here at once.
        self._engine.sync(access)
        return access

    async def _load_key_access(self, key: KeyLike, organisation_id: int) -> ContactAccess | None:
        """A key reaches its own organisation only; its rows were read with the key this request."""
        if key.organisation_id != organisation_id:
            return None
        async with self._request.read() as session:
            self._organisations[organisation_id] = await session.get(Organisation, organisation_id)
        self._engine.sync(key.access)
        return key.access

    def organisation_row(self, organisation_id: int) -> Any | None:
        """The organisation's row read with the viewer's access this request (None before that, or
        when it does not exist): its model's attributes, to render, never to change."""
        return self._organisations.get(organisation_id)

    async def membership(self, organisation_id: int) -> Membership | None:
        """The viewer's active membership of the organisation, or None (looked up once per request)."""
        access = await self.access(organisation_id)
        if access is None:
            return None
        if access.kind == KEY_KIND:
            return Membership(0, organisation_id, False, api_key_id=access.contact_id)
        return Membership(access.contact_id, organisation_id, access.is_primary_admin)

    async def scope(self, organisation_id: int, module: Module, action: Action) -> AccountScope:
        """The billing accounts where the viewer may do `action` on `module` (empty: nowhere)."""
        key = (organisation_id, module, action)
        if key in self._scopes:
            return self._scopes[key]
        access = await self.access(organisation_id)
        result = NO_SCOPE if access is None else self._engine.scope(access, module, action)
        self._scopes[key] = result
        return result

    async def allowed(self, organisation_id: int, module: Module, action: Action) -> bool:
        return not (await self.scope(organisation_id, module, action)).empty

    async def require(self, organisation_id: int, module: Module, action: Action) -> Membership:
        """Raise NotAuthenticated or AccessDenied unless the viewer may do it somewhere here.

        A member's refusal is recorded once per request in the audit trail (access.denied).
        """
        viewer = await self._request.principal()
        if viewer is None:
            raise NotAuthenticated()
        set_organisation(organisation_id)
        membership = await self.membership(organisation_id)
        if membership is None:
            log.warning(
                "access refused: not a member",
                extra={
                    "event": "access.refused",
                    "actor": f"api_key:{viewer.api_key_id}"
                    if getattr(viewer, "api_key_id", None) is not None
                    else f"person:{getattr(viewer, 'person_id', None)}",
                    "organisation": organisation_id,
                    "access_module": module,
                    "access_action": action,
                    "request_id": self._request.request_id,
                },
            )
            raise AccessDenied(module, action)
        if not await self.allowed(organisation_id, module, action):
            await self._record_denial(membership, module, action)
            raise AccessDenied(module, action)
        return membership

    async def decide(self, organisation_id: int, module: Module, action: Action) -> Decision:
        """require(), and the accounts where the viewer may do it (the scope a resolver filters by)."""
        membership = await self.require(organisation_id, module, action)
        return Decision(membership, await self.scope(organisation_id, module, action))

    async def _record_denial(self, membership: Membership, module: Module, action: Action) -> None:
        key = (membership.organisation_id, module, action)
        if key in self._denied_logged:
            return
        self._denied_logged.add(key)
        log.warning(
            "access refused",
            extra={
                "event": "access.refused",
                "actor": f"api_key:{membership.api_key_id}"
                if membership.api_key_id is not None
                else f"contact:{membership.contact_id}",
                "organisation": membership.organisation_id,
                "access_module": module,
                "access_action": action,
                "request_id": self._request.request_id,
            },
        )
        async with self._request.uow() as session:
            await record_event(
                session,
                at=self._request.now(),
                organisation_id=membership.organisation_id,
                actor_contact_id=membership.contact_id if membership.api_key_id is None else None,
                action="access.denied",
                summary=f"{module} {action} refused",
                data={
                    "module": module,
                    "action": action,
                    "request_id": self._request.request_id,
                    **({"apiKeyId": membership.api_key_id} if membership.api_key_id is not None else {}),
                },
            )

    async def visible_accounts(self, organisation_id: int) -> AccountScope:
        """Accounts any of the viewer's roles reach (for billing accounts and lines)."""
        access = await self.access(organisation_id)
        if access is None:
            return NO_SCOPE
        accounts: set[int] = set()
        for _role, account_id in access.effective_roles():
            if account_id is None:
                return ALL_ACCOUNTS
            accounts.add(account_id)
        if access.grants:
            return ALL_ACCOUNTS
        accounts |= {account for _m, _a, account in access.account_grants}
        return AccountScope(False, frozenset(accounts))

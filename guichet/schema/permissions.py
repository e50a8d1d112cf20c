"""Declared authorization: a field names the (module, action) it needs; policies/ decides.

    @strawberry.field(description=..., extensions=[requires(Module.INVOICES, Action.READ)])
    async def invoices(self, info: Info, ...) -> InvoiceConnection: ...

    @strawberry.mutation(extensions=[requires(Module.MEMBERS, Action.WRITE,
                                              organisation=input_object("contactId", "Contact", models.Contact))])

The organisation is found by a locator: `on_source` (the field sits on Organisation: its pk),
`input_organisation("organisationId")`, or `input_object(field, type, Model)` for an input ID of
an object carrying organisation_id. Outcomes: no credentials -> top-level UNAUTHENTICATED; a
member of that organisation lacking the permission -> top-level FORBIDDEN (and access.denied in
the audit trail); an ID that is unknown, malformed or of an organisation the viewer does not
belong to -> the resolver runs and answers as for an unknown object (no existence leak).
The decision is memoised per request by the Authorizer: a page of rows costs one decision, and
is handed to the resolver (`decided(info)`: the membership and the accounts it reaches), which
never asks again. `members_only=True` refuses a located organisation the viewer is not a member
of with FORBIDDEN instead (the mutations that name an organisation directly).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from strawberry.permission import BasePermission, PermissionExtension

from guichet.domain.ids import from_global_id
from guichet.policies.authz import AccessDenied, Decision, NotAuthenticated
from guichet.policies.rules import Action, Module
from guichet.resolvers.context import Info
from guichet.schema.errors import forbidden, unauthenticated

OrganisationLocator = Callable[[Any, Info, dict[str, Any]], Awaitable[int | None]]


async def on_source(source: Any, info: Info, kwargs: dict[str, Any]) -> int | None:
    """The field is on an Organisation object (or anything with `organisation_pk`/`pk`)."""
    value = getattr(source, "organisation_pk", None)
    if value is None:
        value = getattr(source, "pk", None)
    return int(value) if value is not None else None


def _input_value(kwargs: dict[str, Any], name: str) -> Any:
    payload = kwargs.get("input")
    if payload is None:
        return kwargs.get(name)
    if isinstance(payload, dict):
        return payload.get(name)
    return getattr(payload, _snake(name), None)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def input_organisation(field: str = "organisationId") -> OrganisationLocator:
    """The organisation named by an Organisation global ID in `input.<field>` (or argument `field`)."""

    async def locate(source: Any, info: Info, kwargs: dict[str, Any]) -> int | None:
        value = _input_value(kwargs, field)
        decoded = from_global_id(str(value)) if value is not None else None
        if decoded is None or decoded[0] != "Organisation":
            return None
        return decoded[1]

    return locate


def input_object(field: str, type_name: str, model: Any) -> OrganisationLocator:
    """The organisation of the object whose `type_name` global ID is in `input.<field>` (one query)."""

    async def locate(source: Any, info: Info, kwargs: dict[str, Any]) -> int | None:
        value = _input_value(kwargs, field)
        decoded = from_global_id(str(value)) if value is not None else None
        if decoded is None or decoded[0] != type_name:
            return None
        async with info.context.read() as session:
            found = (await session.execute(select(model.organisation_id).where(model.id == decoded[1]))).scalar()
        return int(found) if found is not None else None

    return locate


def _path(info: Info) -> tuple[str | int, ...]:
    return tuple(info.path.as_list())


def decided(info: Info) -> Decision | None:
    """What this field's permission decided; None when it let an unknown or foreign object through."""
    return info.context.decisions.get(_path(info))


def decision_of(info: Info) -> Decision:
    """What this field's permission decided; FORBIDDEN when it decided nothing (not a member)."""
    found = decided(info)
    if found is None:
        raise forbidden(info)
    return found


class Requires(BasePermission):
    """Allow the field when the viewer may do `action` on `module` in the located organisation."""

    def __init__(
        self,
        module: Module,
        action: Action,
        *,
        organisation: OrganisationLocator = on_source,
        members_only: bool = False,
        or_on: tuple[Module, ...] = (),
    ) -> None:
        self.module = module
        self.action = action
        self.locate = organisation
        self.members_only = members_only
        # Other modules whose `action` also opens the field (e.g. paying pending payments: INVOICES PAY
        # or ORDERS PAY, ACCESS.md rule 11); the resolver then narrows by kind with the scopes it reads.
        self.or_on = or_on

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        authz = info.context.authz
        if await info.context.principal() is None:
            raise unauthenticated(info)
        organisation_id = await self.locate(source, info, kwargs)
        if organisation_id is None:
            return True  # unknown object: the resolver answers NOT_FOUND / null, as for any unknown ID
        if not self.members_only and await authz.membership(organisation_id) is None:
            return True  # another organisation's object: same answer as an unknown one
        module = await self._module_held(organisation_id, info)
        try:
            info.context.decisions[_path(info)] = await authz.decide(organisation_id, module, self.action)
        except NotAuthenticated:
            raise unauthenticated(info) from None
        except AccessDenied:
            raise forbidden(info, self.module, self.action) from None
        return True

    async def _module_held(self, organisation_id: int, info: Info) -> Module:
        """The declared module, or the first alternative the viewer holds `action` on when it lacks
        the declared one (probing scopes records no denial; only the final decision does)."""
        authz = info.context.authz
        if not self.or_on or not (await authz.scope(organisation_id, self.module, self.action)).empty:
            return self.module
        for alternative in self.or_on:
            if not (await authz.scope(organisation_id, alternative, self.action)).empty:
                return alternative
        return self.module


def requires(
    module: Module,
    action: Action,
    *,
    organisation: OrganisationLocator = on_source,
    members_only: bool = False,
    or_on: tuple[Module, ...] = (),
) -> PermissionExtension:
    """The field extension declaring (module, action); see the module docstring."""
    return PermissionExtension(
        permissions=[Requires(module, action, organisation=organisation, members_only=members_only, or_on=or_on)],
        use_directives=False,
    )


def described(text: str, module: Module, action: Action) -> str:
    """A field description with the permission it requires appended."""
    return f"{text} Requires {module.value} {action.value}."

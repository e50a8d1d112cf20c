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
The decision is memoised per request by the Authorizer: a page of rows costs one decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from sqlalchemy import select
from strawberry.permission import BasePermission, PermissionExtension

from guichet.resolvers.context import Info
from guichet.resolvers.graphql_errors import forbidden, unauthenticated
from guichet.schema.relay import from_global_id

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


def _name(value: Enum | str) -> str:
    return value.value if isinstance(value, Enum) else str(value)


class Requires(BasePermission):
    """Allow the field when the viewer may do `action` on `module` in the located organisation."""

    def __init__(
        self, module: Enum | str, action: Enum | str, *, organisation: OrganisationLocator = on_source
    ) -> None:
        self.module = _name(module)
        self.action = _name(action)
        self.locate = organisation

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        from guichet.policies.authz import AccessDenied, NotAuthenticated

        if await info.context.viewer() is None:
            raise unauthenticated(info)
        organisation_id = await self.locate(source, info, kwargs)
        if organisation_id is None:
            return True  # unknown object: the resolver answers NOT_FOUND / null, as for any unknown ID
        if await info.context.authz.membership(organisation_id) is None:
            return True  # another organisation's object: same answer as an unknown one
        try:
            await info.context.authz.require(organisation_id, self.module, self.action)
        except NotAuthenticated:
            raise unauthenticated(info) from None
        except AccessDenied:
            raise forbidden(info, self.module, self.action) from None
        return True


def requires(
    module: Enum | str, action: Enum | str, *, organisation: OrganisationLocator = on_source
) -> PermissionExtension:
    """The field extension declaring (module, action); see the module docstring."""
    return PermissionExtension(permissions=[Requires(module, action, organisation=organisation)], use_directives=False)


def described(text: str, module: Enum | str, action: Enum | str) -> str:
    """A field description with the permission it requires appended."""
    return f"{text} Requires {_name(module)} {_name(action)}."

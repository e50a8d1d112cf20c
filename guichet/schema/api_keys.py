"""API keys (module INTEGRATIONS): the key type, the list's connection and the three mutations.

Managing keys needs INTEGRATIONS WRITE (listing them READ); the organisation is the one the input
names, or the key's. The secret is in the payload of createApiKey and rotateApiKey only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain import models
from guichet.domain.api_keys.rules import key_status
from guichet.domain.ids import decode_id, to_global_id
from guichet.resolvers import api_keys as resolvers
from guichet.resolvers import members as member_resolvers
from guichet.resolvers.api_keys import ApiKeyView
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.common import Action, Module, UserError
from guichet.schema.members import Contact, ModulePermission
from guichet.schema.payloads import payload_mutation
from guichet.schema.permissions import described, input_object, input_organisation, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.members_mutations import ModulePermissionInput


@strawberry.enum(description="Where a key stands: ACTIVE until revoked or past its expiry.")
class ApiKeyStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.type(
    description="A credential for an unattended job, sent as `Authorization: Bearer <secret>`; "
    "owned by the organisation."
)
class ApiKey(Node):
    name: str = strawberry.field(description="What the key is for.")
    prefix: str = strawberry.field(
        description="The secret's first characters (gk_…), to recognise it; the secret itself is shown once."
    )
    status: ApiKeyStatus = strawberry.field(description="ACTIVE, EXPIRED or REVOKED.")
    permissions: list[ModulePermission] = strawberry.field(
        description="READ and EXPORT only, never more than its creator held."
    )
    allowed_document_ids: list[str] | None = strawberry.field(
        description="Null: any document the server accepts; else only these trusted-document ids."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    expires_at: datetime = strawberry.field(description="When it stops working (at most 365 days after creation).")
    last_used_at: datetime | None = strawberry.field(description="Its last use (updated at most once a minute).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; null while it is not.")
    billing_account_pk: strawberry.Private[int | None]
    created_by_pk: strawberry.Private[int | None]

    @classmethod
    def of(cls, view: ApiKeyView, now: datetime) -> ApiKey:
        row = view.row
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", row.id)),
            name=row.name,
            prefix=row.prefix,
            status=ApiKeyStatus(key_status(row.revoked_at, row.expires_at, now)),
            permissions=ModulePermission.grouped(view.permissions),
            allowed_document_ids=list(row.allowed_document_ids) if row.allowed_document_ids is not None else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            billing_account_pk=row.billing_account_id,
            created_by_pk=row.created_by_contact_id,
        )

    @strawberry.field(description="Null: the whole organisation (within the creator's scope).")
    async def billing_account(self, info: Info) -> BillingAccount | None:
        if self.billing_account_pk is None:
            return None
        row = await info.context.loaders.billing_account_by_id.load(self.billing_account_pk)
        return BillingAccount.from_row(row) if row is not None else None

    @strawberry.field(description="Who created it; the key keeps working after its creator leaves.")
    async def created_by(self, info: Info) -> Contact | None:
        found = await member_resolvers.contact(info.context, self.created_by_pk)
        return Contact.from_rows(*found) if found is not None else None


ApiKeyConnection = Connection[ApiKey]


@strawberry.input(description="A new key: name, permissions (READ and EXPORT only), optional account, expiry.")
class CreateApiKeyInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation that owns the key.")
    name: str = strawberry.field(description="What the key is for (1 to 100 characters).")
    # Lazy: members_mutations imports auth, which imports organisations, which imports this module.
    permissions: list[Annotated[ModulePermissionInput, strawberry.lazy("guichet.schema.members_mutations")]] = (
        strawberry.field(description="READ and EXPORT only, and only what you hold yourself.")
    )
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Limit the key to this billing account (inside your own scope)."
    )
    expires_at: datetime = strawberry.field(description="At most 365 days ahead.")
    allowed_document_ids: list[str] | None = strawberry.field(
        default=None, description="Only these trusted documents (sha256:<hex>) may run with the key."
    )


@strawberry.input(description="One API key.")
class ApiKeyIdInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key's ID.")


@strawberry.input(description="A new secret for a key; the old one keeps working for a while.")
class RotateApiKeyInput:
    api_key_id: strawberry.ID = strawberry.field(description="The key's ID.")
    previous_secret_valid_hours: int | None = strawberry.field(
        default=24, description="The old secret keeps working this long (0–72; null means 24)."
    )


@strawberry.type(description="A key with its secret, shown once.")
class ApiKeySecretPayload:
    api_key: ApiKey | None = strawberry.field(description="The key; null when refused.")
    secret: str | None = strawberry.field(description="Shown once.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="The outcome of a change to a key.")
class ApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key after the change; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


def _pairs(items: Sequence[ModulePermissionInput]) -> list[tuple[str, str]]:
    return [(item.module.value, action.value) for item in items for action in item.actions]


_WRITE = (Module.INTEGRATIONS, Action.WRITE)
_ON_KEY = input_object("apiKeyId", "ApiKey", models.ApiKey)


@strawberry.type(description="API keys.")
class Mutation:
    @payload_mutation(
        description=described("Create an API key for an unattended job; its secret is shown once.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=input_organisation("organisationId"), members_only=True)],
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeySecretPayload:
        view, secret = await resolvers.create_api_key(
            info.context,
            organisation_id=decode_id(str(input.organisation_id), "Organisation", field=["input", "organisationId"]),
            name=input.name,
            permissions=_pairs(input.permissions),
            billing_account_id=decode_id(
                str(input.billing_account_id), "BillingAccount", field=["input", "billingAccountId"]
            )
            if input.billing_account_id
            else None,
            expires_at=input.expires_at,
            allowed_document_ids=input.allowed_document_ids,
        )
        return ApiKeySecretPayload(api_key=ApiKey.of(view, info.context.now()), secret=secret, errors=[])

    @payload_mutation(
        description=described("Give a key a new secret, shown once; the old one works for a grace period.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_KEY)],
    )
    async def rotate_api_key(self, info: Info, input: RotateApiKeyInput) -> ApiKeySecretPayload:
        view, secret = await resolvers.rotate_api_key(
            info.context,
            api_key_id=decode_id(str(input.api_key_id), "ApiKey", field=["input", "apiKeyId"]),
            grace_hours=24 if input.previous_secret_valid_hours is None else input.previous_secret_valid_hours,
        )
        return ApiKeySecretPayload(api_key=ApiKey.of(view, info.context.now()), secret=secret, errors=[])

    @payload_mutation(
        description=described("Revoke a key: refused on its next request, in every server process.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_KEY)],
    )
    async def revoke_api_key(self, info: Info, input: ApiKeyIdInput) -> ApiKeyPayload:
        view = await resolvers.revoke_api_key(
            info.context, api_key_id=decode_id(str(input.api_key_id), "ApiKey", field=["input", "apiKeyId"])
        )
        return ApiKeyPayload(api_key=ApiKey.of(view, info.context.now()), errors=[])

"""Contacts, their roles and permissions, invitations, the audit trail, and the members mutations.

Every mutation declares the (module, action) it needs with `requires(...)`; the organisation is
the one of the object its input names. acceptInvitation is public: the token is the credential.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.common import Action, ContactStatus, Module, Role
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.organisations import Organisation


@strawberry.type(description="A role over the whole organisation (billingAccount null) or over one billing account.")
class RoleAssignment:
    role: Role = strawberry.field(description="The role held.")
    billing_account: BillingAccount | None = strawberry.field(
        description="The one billing account the role is limited to; null for the whole organisation."
    )


@strawberry.type(description="Actions allowed (or withdrawn) on one module.")
class ModulePermission:
    module: Module = strawberry.field(description="The module.")
    actions: list[Action] = strawberry.field(description="The actions on it.")


@strawberry.type(description="A person's membership of one organisation, with its access.")
class Contact(Node):
    email: str = strawberry.field(description="The contact's e-mail address (its login).")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    status: ContactStatus = strawberry.field(description="INVITED, ACTIVE or DISABLED.")
    is_primary_admin: bool = strawberry.field(
        description="The organisation's first administrator: only it manages other admins."
    )
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    @strawberry.field(description="The roles this contact holds, each over the organisation or one account.")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        from guichet.resolvers import members

        return await members.contact_roles(info, self)

    @strawberry.field(description="Module permissions granted to this contact on top of its roles.")
    async def grants(self, info: Info) -> list[ModulePermission]:
        from guichet.resolvers import members

        return await members.contact_permission_rows(info, self, effect="allow")

    @strawberry.field(description="Module permissions withdrawn from this contact although a role gives them.")
    async def denials(self, info: Info) -> list[ModulePermission]:
        from guichet.resolvers import members

        return await members.contact_permission_rows(info, self, effect="deny")

    @strawberry.field(description="What the contact may do, after roles, grants and denials.")
    async def permissions(self, info: Info) -> list[ModulePermission]:
        from guichet.resolvers import members

        return await members.contact_effective_permissions(info, self)

    @strawberry.field(description="The organisation this membership is of.")
    async def organisation(
        self, info: Info
    ) -> Annotated[Organisation, strawberry.lazy("guichet.schema.organisations")]:
        from guichet.resolvers import organisations

        return await organisations.organisation_by_pk(info, self.organisation_id)


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="An invitation to join an organisation with given roles; its link works for 7 days.")
class Invitation(Node):
    email: str = strawberry.field(description="Who is invited.")
    status: InvitationStatus = strawberry.field(description="Where the invitation stands (EXPIRED after 7 days).")
    created_at: datetime = strawberry.field(description="When it was sent.")
    expires_at: datetime = strawberry.field(description="When its link stops working.")
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    role_keys: strawberry.Private[list[tuple[str, int | None]]]
    invited_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The roles the invitee will hold once it accepts.")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        from guichet.resolvers import members

        return await members.role_assignments(info, self.role_keys)

    @strawberry.field(description="The admin who sent it; null when the back office did.")
    async def invited_by(self, info: Info) -> Contact | None:
        from guichet.resolvers import members

        return await members.contact_in_organisation(info, self.invited_by_id)


@strawberry.input(description="Which members to list.")
class MemberFilter:
    status: list[ContactStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    role: list[Role] | None = strawberry.field(default=None, description="Only contacts holding one of these roles.")
    search: str | None = strawberry.field(default=None, description="Text searched in e-mail and names.")


@strawberry.type(description="An entry of the audit trail: who did what to whom, and when.")
class AuditEvent(Node):
    at: datetime = strawberry.field(description="When it happened.")
    action: str = strawberry.field(
        description="e.g. member.invited, member.access_changed, member.disabled, access.denied, payment.created"
    )
    summary: str = strawberry.field(description="A short human-readable account of the event.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The contact, invitation, invoice or payment acted upon, when there is one."
    )
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    actor_id: strawberry.Private[int | None]

    @strawberry.field(description="Null for the back office and for refused anonymous calls.")
    async def actor(self, info: Info) -> Contact | None:
        from guichet.resolvers import members

        return await members.contact_in_organisation(info, self.actor_id)


ContactConnection = Connection[Contact]
InvitationConnection = Connection[Invitation]
AuditEventConnection = Connection[AuditEvent]


# ---------------------------------------------------------------- mutations
# The Mutation type lives in members_mutations.py: acceptInvitation uses the auth area's types,
# and guichet.schema.auth imports this module (through organisations) at import time.


def __getattr__(name: str) -> object:
    if name == "Mutation":
        from guichet.schema.members_mutations import Mutation

        return Mutation
    raise AttributeError(name)

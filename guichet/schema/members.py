"""Contacts, their roles and permissions, invitations, the audit trail, and the members mutations.

Every mutation declares the (module, action) it needs with `requires(...)`; the organisation is
the one of the object its input names. acceptInvitation is public: the token is the credential.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.members.rules import invitation_status
from guichet.domain.members.services import invitation_roles
from guichet.resolvers import members as resolvers
from guichet.resolvers import organisations as organisation_resolvers
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

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, models.BillingAccount | None]]) -> list[RoleAssignment]:
        return [
            cls(role=Role(role), billing_account=BillingAccount.from_row(account) if account is not None else None)
            for role, account in pairs
        ]


# The actions a contact's permissions list, in this order.
LISTED_ACTIONS = (Action.READ, Action.WRITE, Action.PAY, Action.EXPORT)


@strawberry.type(description="Actions allowed (or withdrawn) on one module.")
class ModulePermission:
    module: Module = strawberry.field(description="The module.")
    actions: list[Action] = strawberry.field(description="The actions on it.")

    @classmethod
    def grouped(cls, pairs: Iterable[tuple[str, str]]) -> list[ModulePermission]:
        """(module, action) pairs as one entry per module, modules and actions in enum order."""
        by_module: dict[str, set[str]] = defaultdict(set)
        for module, action in pairs:
            by_module[module].add(action)
        return [
            cls(module=module, actions=[a for a in LISTED_ACTIONS if a in by_module[module]])
            for module in Module
            if module in by_module
        ]


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

    @classmethod
    def from_rows(cls, contact: models.Contact, person: models.Person) -> Contact:
        return cls(
            id=strawberry.ID(to_global_id("Contact", contact.id)),
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            status=ContactStatus(contact.status),
            is_primary_admin=contact.is_primary_admin,
            pk=contact.id,
            organisation_id=contact.organisation_id,
        )

    @strawberry.field(description="The roles this contact holds, each over the organisation or one account.")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        return RoleAssignment.from_pairs(await resolvers.contact_roles(info.context, self.pk))

    @strawberry.field(description="Module permissions granted to this contact on top of its roles.")
    async def grants(self, info: Info) -> list[ModulePermission]:
        return ModulePermission.grouped(await resolvers.contact_permission_rows(info.context, self.pk, effect="allow"))

    @strawberry.field(description="Module permissions withdrawn from this contact although a role gives them.")
    async def denials(self, info: Info) -> list[ModulePermission]:
        return ModulePermission.grouped(await resolvers.contact_permission_rows(info.context, self.pk, effect="deny"))

    @strawberry.field(description="What the contact may do, after roles, grants and denials.")
    async def permissions(self, info: Info) -> list[ModulePermission]:
        return ModulePermission.grouped(await resolvers.contact_effective_permissions(info.context, self.pk))

    @strawberry.field(description="The organisation this membership is of.")
    async def organisation(
        self, info: Info
    ) -> Annotated[Organisation, strawberry.lazy("guichet.schema.organisations")]:
        from guichet.schema.organisations import Organisation

        row = await organisation_resolvers.organisation_by_pk(info.context, self.organisation_id)
        return Organisation.from_row(row) if row is not None else None  # type: ignore[return-value]


async def _contact(info: Info, contact_pk: int | None) -> Contact | None:
    found = await resolvers.contact(info.context, contact_pk)
    return Contact.from_rows(*found) if found is not None else None


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

    @classmethod
    def from_row(cls, row: models.Invitation, now: datetime) -> Invitation:
        """The invitation as it stands at `now` (PENDING past its expiry reads EXPIRED)."""
        return cls(
            id=strawberry.ID(to_global_id("Invitation", row.id)),
            email=row.email,
            status=InvitationStatus(invitation_status(row.status, row.expires_at, now)),
            created_at=row.created_at,
            expires_at=row.expires_at,
            pk=row.id,
            organisation_id=row.organisation_id,
            role_keys=invitation_roles(row),
            invited_by_id=row.invited_by_contact_id,
        )

    @strawberry.field(description="The roles the invitee will hold once it accepts.")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        return RoleAssignment.from_pairs(await resolvers.role_assignments(info.context, self.role_keys))

    @strawberry.field(description="The admin who sent it; null when the back office did.")
    async def invited_by(self, info: Info) -> Contact | None:
        return await _contact(info, self.invited_by_id)


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

    @classmethod
    def from_row(cls, row: models.AuditEvent) -> AuditEvent:
        return cls(
            id=strawberry.ID(to_global_id("AuditEvent", row.id)),
            at=row.at,
            action=row.action,
            summary=row.summary,
            subject_id=strawberry.ID(row.subject_id) if row.subject_id else None,
            pk=row.id,
            organisation_id=row.organisation_id or 0,
            actor_id=row.actor_contact_id,
        )

    @strawberry.field(description="Null for the back office and for refused anonymous calls.")
    async def actor(self, info: Info) -> Contact | None:
        return await _contact(info, self.actor_id)


ContactConnection = Connection[Contact]
InvitationConnection = Connection[Invitation]
AuditEventConnection = Connection[AuditEvent]

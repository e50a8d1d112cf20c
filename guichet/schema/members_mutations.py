"""The members mutations: invitations, access changes, disablement (see schema/members.py for the types).

Every mutation declares the (module, action) it needs with `requires(...)`; the organisation is
the one of the object its input names. acceptInvitation is public: the token is the credential.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from guichet.domain import models
from guichet.domain.ids import decode_id
from guichet.resolvers import members as resolvers
from guichet.resolvers.context import Info
from guichet.schema.auth import Session, SessionPayload, TokenPasswordInput
from guichet.schema.common import Action, Module, Role, UserError
from guichet.schema.members import Contact, Invitation
from guichet.schema.payloads import payload_mutation
from guichet.schema.permissions import described, input_object, input_organisation, requires


@strawberry.input(description="A role to hold, over the whole organisation or one billing account.")
class RoleAssignmentInput:
    role: Role = strawberry.field(description="The role.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Limit the role to this billing account; omit for the whole organisation."
    )


@strawberry.input(description="Actions on one module.")
class ModulePermissionInput:
    module: Module = strawberry.field(description="The module.")
    actions: list[Action] = strawberry.field(description="The actions.")


@strawberry.input(description="Who to invite, and with which roles.")
class InviteMemberInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation to join.")
    email: str = strawberry.field(description="The invitee's e-mail address; the invitation link goes there.")
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    roles: list[RoleAssignmentInput] = strawberry.field(description="The roles the invitee will hold.")


@strawberry.type(description="The outcome of an invitation mutation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(description="The invitation; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.input(description="A contact's new access; each part given replaces the current one.")
class UpdateMemberAccessInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact to change.")
    roles: list[RoleAssignmentInput] | None = strawberry.field(
        default=None, description="Replaces the roles when given."
    )
    grants: list[ModulePermissionInput] | None = strawberry.field(
        default=None, description="Replace the per-contact grants when given."
    )
    denials: list[ModulePermissionInput] | None = strawberry.field(
        default=None, description="Replace the per-contact denials when given."
    )


@strawberry.type(description="The outcome of a mutation on a contact.")
class ContactPayload:
    contact: Contact | None = strawberry.field(description="The contact after the change; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.input(description="One contact.")
class ContactIdInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact's ID.")


@strawberry.input(description="One invitation.")
class InvitationIdInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation's ID.")


def _role_keys(roles: Sequence[RoleAssignmentInput]) -> list[tuple[str, int | None]]:
    """(role, billing account pk or None) of the input; raise DomainError(NOT_FOUND) for a bad account ID."""
    keys = []
    for index, item in enumerate(roles):
        account = (
            decode_id(
                str(item.billing_account_id), "BillingAccount", field=["input", "roles", str(index), "billingAccountId"]
            )
            if item.billing_account_id
            else None
        )
        keys.append((item.role.value, account))
    return keys


def _pairs(items: Sequence[ModulePermissionInput] | None) -> list[tuple[str, str]] | None:
    if items is None:
        return None
    return [(item.module.value, action.value) for item in items for action in item.actions]


def _invitation_payload(row: models.Invitation, info: Info) -> InvitationPayload:
    return InvitationPayload(invitation=Invitation.from_row(row, info.context.now()), errors=[])


_ON_CONTACT = input_object("contactId", "Contact", models.Contact)
_ON_INVITATION = input_object("invitationId", "Invitation", models.Invitation)
_WRITE = (Module.MEMBERS, Action.WRITE)


@strawberry.type(description="Members administration.")
class Mutation:
    @payload_mutation(
        description=described("Invite someone to join the organisation with roles (e-mails a 7-day link).", *_WRITE),
        extensions=[requires(*_WRITE, organisation=input_organisation("organisationId"))],
    )
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InvitationPayload:
        row = await resolvers.invite_member(
            info.context,
            organisation_id=decode_id(str(input.organisation_id), "Organisation", field=["input", "organisationId"]),
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
            roles=_role_keys(input.roles),
        )
        return _invitation_payload(row, info)

    @payload_mutation(
        description=described("Send a new invitation link; the previous one stops working.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_INVITATION)],
    )
    async def resend_invitation(self, info: Info, input: InvitationIdInput) -> InvitationPayload:
        invitation_id = decode_id(str(input.invitation_id), "Invitation", field=["input", "invitationId"])
        return _invitation_payload(await resolvers.resend_invitation(info.context, invitation_id=invitation_id), info)

    @payload_mutation(
        description=described("Revoke a pending invitation; its link stops working.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_INVITATION)],
    )
    async def revoke_invitation(self, info: Info, input: InvitationIdInput) -> InvitationPayload:
        invitation_id = decode_id(str(input.invitation_id), "Invitation", field=["input", "invitationId"])
        return _invitation_payload(await resolvers.revoke_invitation(info.context, invitation_id=invitation_id), info)

    @payload_mutation(
        description="Join with an invitation link's token: a new person sets its password, a person who "
        "already has one gives it. Public: the token is the credential."
    )
    async def accept_invitation(self, info: Info, input: TokenPasswordInput) -> SessionPayload:
        opened = await resolvers.accept_invitation(
            info.context,
            token=input.token,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return SessionPayload(session=Session.of(opened), errors=[])

    @payload_mutation(
        description=described("Replace a contact's roles, grants or denials (nobody changes their own).", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_CONTACT)],
    )
    async def update_member_access(self, info: Info, input: UpdateMemberAccessInput) -> ContactPayload:
        rows = await resolvers.update_member_access(
            info.context,
            contact_id=decode_id(str(input.contact_id), "Contact", field=["input", "contactId"]),
            roles=_role_keys(input.roles) if input.roles is not None else None,
            grants=_pairs(input.grants),
            denials=_pairs(input.denials),
        )
        return ContactPayload(contact=Contact.from_rows(*rows), errors=[])

    @payload_mutation(
        description=described("Disable a contact: its sessions stop working here on the next request.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_CONTACT)],
    )
    async def disable_member(self, info: Info, input: ContactIdInput) -> ContactPayload:
        contact_id = decode_id(str(input.contact_id), "Contact", field=["input", "contactId"])
        rows = await resolvers.set_member_status(info.context, contact_id=contact_id, enabled=False)
        return ContactPayload(contact=Contact.from_rows(*rows), errors=[])

    @payload_mutation(
        description=described("Enable a disabled contact again.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_CONTACT)],
    )
    async def enable_member(self, info: Info, input: ContactIdInput) -> ContactPayload:
        contact_id = decode_id(str(input.contact_id), "Contact", field=["input", "contactId"])
        rows = await resolvers.set_member_status(info.context, contact_id=contact_id, enabled=True)
        return ContactPayload(contact=Contact.from_rows(*rows), errors=[])

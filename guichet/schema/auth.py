"""Sign-in, sessions, passwords, first connection and registration: types and the Mutation fields.

Every field here is public (no permission): it either signs in, or needs the caller's own session
(logout, changePassword) and answers UNAUTHENTICATED without one.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from guichet.domain.auth import OpenedSession
from guichet.resolvers import auth as resolvers
from guichet.resolvers.context import Info, SignedIn
from guichet.schema.common import OkPayload, UserError
from guichet.schema.organisations import Viewer
from guichet.schema.payloads import payload_mutation


@strawberry.type(description="A signed-in session: send its token as `Authorization: Bearer <token>`.")
class Session:
    token: str = strawberry.field(description="The opaque bearer token; shown once, keep it secret.")
    expires_at: datetime = strawberry.field(description="When the session ends; sign in again after it.")
    viewer: Viewer = strawberry.field(description="The person this session signs in.")

    @classmethod
    def of(cls, opened: OpenedSession) -> Session:
        person = SignedIn(opened.person_id, opened.session_id, opened.email, opened.first_name, opened.last_name)
        return cls(token=opened.token, expires_at=opened.expires_at, viewer=Viewer.of(person))


@strawberry.input(description="E-mail address and password.")
class LoginInput:
    email: str = strawberry.field(description="The person's e-mail address (case does not matter).")
    password: str = strawberry.field(description="The person's password.")


@strawberry.type(description="The outcome of login: a session, or why not.")
class LoginPayload:
    session: Session | None = strawberry.field(description="The new session; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="INVALID_CREDENTIALS (same for unknown e-mail and wrong password), TOO_MANY_ATTEMPTS, VALIDATION."
    )


@strawberry.input(description="An e-mail address.")
class EmailInput:
    email: str = strawberry.field(description="The e-mail address (case does not matter).")


@strawberry.input(description="A one-time token from an e-mailed link and the password to set.")
class TokenPasswordInput:
    token: str = strawberry.field(description="The `token` parameter of the e-mailed link.")
    password: str = strawberry.field(
        description="The new password: 8+ characters with a lower-case letter, an upper-case letter, a digit "
        "and a special character."
    )
    first_name: str | None = strawberry.field(default=None, description="First name, when activating an account.")
    last_name: str | None = strawberry.field(default=None, description="Last name, when activating an account.")


@strawberry.input(description="The current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password in use now.")
    new_password: str = strawberry.field(
        description="The new password: 8+ characters with a lower-case letter, an upper-case letter, a digit "
        "and a special character."
    )


@strawberry.type(description="The outcome of an activation: a session, or why not.")
class SessionPayload:
    session: Session | None = strawberry.field(description="The new session; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.input(description="Self-registration of an organisation's first administrator, with proof of possession.")
class RegisterOrganisationAccessInput:
    taxpayer_number: str = strawberry.field(
        description="The organisation's taxpayer number (numéro de compte contribuable)."
    )
    billing_account_number: str = strawberry.field(description="The number of one of its billing accounts.")
    invoice_number: str = strawberry.field(
        description="Proof of possession: the number of one invoice of that billing account."
    )
    email: str = strawberry.field(description="The new primary admin's e-mail address: the activation link goes there.")
    first_name: str = strawberry.field(description="The new primary admin's first name.")
    last_name: str = strawberry.field(description="The new primary admin's last name.")


@strawberry.type(description="Mutations of sign-in and passwords.")
class Mutation:
    @payload_mutation(description="Sign in with an e-mail address and a password; answers a session.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        opened = await resolvers.login(info.context, email=input.email, password=input.password)
        return LoginPayload(session=Session.of(opened), errors=[])

    @payload_mutation(description="End the current session (needs one: UNAUTHENTICATED otherwise).")
    async def logout(self, info: Info) -> OkPayload:
        await resolvers.logout(info.context)
        return OkPayload(ok=True, errors=[])

    @payload_mutation(description="Always answers ok, whether or not the e-mail is known.")
    async def request_password_reset(self, info: Info, input: EmailInput) -> OkPayload:
        await resolvers.request_password_reset(info.context, email=input.email)
        return OkPayload(ok=True, errors=[])

    @payload_mutation(
        description="Set a new password with the token of a reset link (valid 1 hour, once); ends every session."
    )
    async def reset_password(self, info: Info, input: TokenPasswordInput) -> OkPayload:
        await resolvers.reset_password(info.context, token=input.token, password=input.password)
        return OkPayload(ok=True, errors=[])

    @payload_mutation(description="Change the signed-in person's password (needs a session); ends its other sessions.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> OkPayload:
        await resolvers.change_password(
            info.context, current_password=input.current_password, new_password=input.new_password
        )
        return OkPayload(ok=True, errors=[])

    @payload_mutation(
        description="First connection of a contact named on an order or purchase order: e-mails an activation "
        "link. Always ok."
    )
    async def request_first_connection(self, info: Info, input: EmailInput) -> OkPayload:
        await resolvers.request_first_connection(info.context, email=input.email)
        return OkPayload(ok=True, errors=[])

    @payload_mutation(
        description="Set the password with the token of an activation link (valid 7 days, once) and sign in."
    )
    async def activate_account(self, info: Info, input: TokenPasswordInput) -> SessionPayload:
        opened = await resolvers.activate_account(
            info.context,
            token=input.token,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return SessionPayload(session=Session.of(opened), errors=[])

    @payload_mutation(
        description="Self-registration of an enterprise by its taxpayer number; e-mails an activation link to the "
        "new primary admin."
    )
    async def register_organisation_access(self, info: Info, input: RegisterOrganisationAccessInput) -> OkPayload:
        await resolvers.register_organisation_access(
            info.context,
            taxpayer_number=input.taxpayer_number,
            billing_account_number=input.billing_account_number,
            invoice_number=input.invoice_number,
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return OkPayload(ok=True, errors=[])

"""Sign-in, sessions, passwords, first connection and registration: types and the Mutation fields.

Every field here is public (no permission): it either signs in, or needs the caller's own session
(logout, changePassword) and answers UNAUTHENTICATED without one.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from guichet.resolvers.context import Info
from guichet.schema.common import OkPayload, UserError
from guichet.schema.organisations import Viewer


@strawberry.type(description="A signed-in session: send its token as `Authorization: Bearer <token>`.")
class Session:
    token: str = strawberry.field(description="The opaque bearer token; shown once, keep it secret.")
    expires_at: datetime = strawberry.field(description="When the session ends; sign in again after it.")
    viewer: Viewer = strawberry.field(description="The person this session signs in.")


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
    @strawberry.mutation(description="Sign in with an e-mail address and a password; answers a session.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        from guichet.resolvers import auth

        return await auth.login(info, input)

    @strawberry.mutation(description="End the current session (needs one: UNAUTHENTICATED otherwise).")
    async def logout(self, info: Info) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.logout(info)

    @strawberry.mutation(description="Always answers ok, whether or not the e-mail is known.")
    async def request_password_reset(self, info: Info, input: EmailInput) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.request_password_reset(info, input)

    @strawberry.mutation(
        description="Set a new password with the token of a reset link (valid 1 hour, once); ends every session."
    )
    async def reset_password(self, info: Info, input: TokenPasswordInput) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.reset_password(info, input)

    @strawberry.mutation(
        description="Change the signed-in person's password (needs a session); ends its other sessions."
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.change_password(info, input)

    @strawberry.mutation(
        description="First connection of a contact named on an order or purchase order: e-mails an activation "
        "link. Always ok."
    )
    async def request_first_connection(self, info: Info, input: EmailInput) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.request_first_connection(info, input)

    @strawberry.mutation(
        description="Set the password with the token of an activation link (valid 7 days, once) and sign in."
    )
    async def activate_account(self, info: Info, input: TokenPasswordInput) -> SessionPayload:
        from guichet.resolvers import auth

        return await auth.activate_account(info, input)

    @strawberry.mutation(
        description="Self-registration of an enterprise by its taxpayer number; e-mails an activation link to the "
        "new primary admin."
    )
    async def register_organisation_access(self, info: Info, input: RegisterOrganisationAccessInput) -> OkPayload:
        from guichet.resolvers import auth

        return await auth.register_organisation_access(info, input)

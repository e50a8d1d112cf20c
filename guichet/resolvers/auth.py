"""Resolvers of sign-in and passwords: build the AuthEnv, call one domain service, map the outcome."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from guichet.domain import auth
from guichet.resolvers.context import Context, Info
from guichet.resolvers.context import Viewer as ContextViewer
from guichet.resolvers.errors import run_mutation
from guichet.resolvers.graphql_errors import unauthenticated
from guichet.schema.auth import (
    ChangePasswordInput,
    EmailInput,
    LoginInput,
    LoginPayload,
    RegisterOrganisationAccessInput,
    Session,
    SessionPayload,
    TokenPasswordInput,
)
from guichet.schema.common import OkPayload, UserError
from guichet.schema.organisations import Viewer
from guichet.schema.relay import to_global_id


def auth_env(ctx: Context) -> auth.AuthEnv:
    """The auth services' view of this request (time read now, so each aliased mutation gets its own)."""
    return auth.AuthEnv(
        uow=ctx.uow,
        passwords=ctx.app.passwords,
        now=ctx.now(),
        locale=ctx.locale,
        public_url=ctx.settings.public_url,
        session_ttl=timedelta(seconds=ctx.settings.session_ttl_seconds),
        client_ip=ctx.client_ip,
        request_id=ctx.request_id,
    )


def wake_mailer(ctx: Context) -> None:
    """Ask the mail delivery task (when running) to look at the outbox now rather than at its next poll."""
    wakeup = ctx.app.services.get("mail_wakeup")
    if wakeup is not None:
        wakeup.set()


def signed_in(ctx: Context, opened: auth.OpenedSession) -> Session:
    """The new session as GraphQL renders it; the rest of the operation runs as its person."""
    ctx.sign_in_as(
        ContextViewer(opened.person_id, opened.session_id, opened.email, opened.first_name, opened.last_name)
    )
    return Session(
        token=opened.token,
        expires_at=opened.expires_at,
        viewer=Viewer(
            id=strawberry.ID(to_global_id("Viewer", opened.person_id)),
            email=opened.email,
            first_name=opened.first_name,
            last_name=opened.last_name,
            pk=opened.person_id,
        ),
    )


def _ok() -> OkPayload:
    return OkPayload(ok=True, errors=[])


def _not_ok(errors: list[UserError]) -> OkPayload:
    return OkPayload(ok=False, errors=errors)


async def login(info: Info, input: LoginInput) -> LoginPayload:
    ctx = info.context

    async def action() -> LoginPayload:
        opened = await auth.login(auth_env(ctx), email=input.email, password=input.password)
        return LoginPayload(session=signed_in(ctx, opened), errors=[])

    return await run_mutation(ctx.locale, action, lambda errors: LoginPayload(session=None, errors=errors))


async def logout(info: Info) -> OkPayload:
    ctx = info.context
    viewer = await ctx.viewer()
    if viewer is None:
        raise unauthenticated(info)

    async def action() -> OkPayload:
        await auth.logout(auth_env(ctx), person_id=viewer.person_id, session_id=viewer.session_id)
        ctx.invalidate_viewer()
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)


async def request_password_reset(info: Info, input: EmailInput) -> OkPayload:
    ctx = info.context

    async def action() -> OkPayload:
        await auth.request_password_reset(auth_env(ctx), email=input.email)
        wake_mailer(ctx)
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)


async def reset_password(info: Info, input: TokenPasswordInput) -> OkPayload:
    ctx = info.context

    async def action() -> OkPayload:
        await auth.reset_password(auth_env(ctx), token=input.token, password=input.password)
        ctx.invalidate_viewer()
        wake_mailer(ctx)
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)


async def change_password(info: Info, input: ChangePasswordInput) -> OkPayload:
    ctx = info.context
    viewer = await ctx.viewer()
    if viewer is None:
        raise unauthenticated(info)

    async def action() -> OkPayload:
        await auth.change_password(
            auth_env(ctx),
            person_id=viewer.person_id,
            session_id=viewer.session_id,
            current_password=input.current_password,
            new_password=input.new_password,
        )
        wake_mailer(ctx)
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)


async def request_first_connection(info: Info, input: EmailInput) -> OkPayload:
    ctx = info.context

    async def action() -> OkPayload:
        await auth.request_first_connection(auth_env(ctx), email=input.email)
        wake_mailer(ctx)
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)


async def activate_account(info: Info, input: TokenPasswordInput) -> SessionPayload:
    ctx = info.context

    async def action() -> SessionPayload:
        opened = await auth.activate_account(
            auth_env(ctx),
            token=input.token,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return SessionPayload(session=signed_in(ctx, opened), errors=[])

    return await run_mutation(ctx.locale, action, lambda errors: SessionPayload(session=None, errors=errors))


async def register_organisation_access(info: Info, input: RegisterOrganisationAccessInput) -> OkPayload:
    ctx = info.context

    async def action() -> OkPayload:
        await auth.register_organisation_access(
            auth_env(ctx),
            taxpayer_number=input.taxpayer_number,
            billing_account_number=input.billing_account_number,
            invoice_number=input.invoice_number,
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        wake_mailer(ctx)
        return _ok()

    return await run_mutation(ctx.locale, action, _not_ok)

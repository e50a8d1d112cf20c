"""Resolvers of sign-in and passwords: build the AuthEnv, call one domain service.

Each raises the service's DomainErrors; logout and changePassword raise NotAuthenticated
without a session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from guichet.domain import auth
from guichet.policies.authz import NotAuthenticated
from guichet.resolvers.context import SignedIn

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


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


def signed_in(ctx: Context, opened: auth.OpenedSession) -> auth.OpenedSession:
    """The rest of the operation runs as the new session's person (viewer.organisations.me ...)."""
    ctx.sign_in_as(SignedIn(opened.person_id, opened.session_id, opened.email, opened.first_name, opened.last_name))
    return opened


async def _viewer(ctx: Context) -> SignedIn:
    viewer = await ctx.viewer()
    if viewer is None:
        raise NotAuthenticated()
    return viewer


async def login(ctx: Context, *, email: str, password: str) -> auth.OpenedSession:
    return signed_in(ctx, await auth.login(auth_env(ctx), email=email, password=password))


async def logout(ctx: Context) -> None:
    viewer = await _viewer(ctx)
    await auth.logout(auth_env(ctx), person_id=viewer.person_id, session_id=viewer.session_id)
    ctx.invalidate_viewer()


async def request_password_reset(ctx: Context, *, email: str) -> None:
    await auth.request_password_reset(auth_env(ctx), email=email)
    ctx.app.wake_mailer()


async def reset_password(ctx: Context, *, token: str, password: str) -> None:
    await auth.reset_password(auth_env(ctx), token=token, password=password)
    ctx.invalidate_viewer()
    ctx.app.wake_mailer()


async def change_password(ctx: Context, *, current_password: str, new_password: str) -> None:
    viewer = await _viewer(ctx)
    await auth.change_password(
        auth_env(ctx),
        person_id=viewer.person_id,
        session_id=viewer.session_id,
        current_password=current_password,
        new_password=new_password,
    )
    ctx.app.wake_mailer()


async def request_first_connection(ctx: Context, *, email: str) -> None:
    await auth.request_first_connection(auth_env(ctx), email=email)
    ctx.app.wake_mailer()


async def activate_account(
    ctx: Context, *, token: str, password: str, first_name: str | None, last_name: str | None
) -> auth.OpenedSession:
    opened = await auth.activate_account(
        auth_env(ctx), token=token, password=password, first_name=first_name, last_name=last_name
    )
    return signed_in(ctx, opened)


async def register_organisation_access(
    ctx: Context,
    *,
    taxpayer_number: str,
    billing_account_number: str,
    invoice_number: str,
    email: str,
    first_name: str,
    last_name: str,
) -> None:
    await auth.register_organisation_access(
        auth_env(ctx),
        taxpayer_number=taxpayer_number,
        billing_account_number=billing_account_number,
        invoice_number=invoice_number,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    ctx.app.wake_mailer()

"""The auth e-mails, written to the outbox in the request's language (plain text, with the link)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.auth.env import AuthEnv
from guichet.domain.mail import enqueue_email, link
from guichet.i18n import render


async def send(
    session: AsyncSession,
    env: AuthEnv,
    *,
    to: str,
    template: str,
    purpose: str | None = None,
    token: str | None = None,
    **params: object,
) -> None:
    """Enqueue mail `template` (keys mail_<template>_subject / _body); the link is built from the public URL."""
    values = dict(params)
    if purpose is not None and token is not None:
        values["link"] = link(env.public_url, purpose, token)
    await enqueue_email(
        session,
        to=to,
        subject=render(f"mail_{template}_subject", env.locale, values),
        body=render(f"mail_{template}_body", env.locale, values),
        now=env.now,
    )

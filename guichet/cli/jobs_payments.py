"""`guichet jobs expire-payments`: settle or fail the PENDING payments nobody settled in time.

Orange Money and bank transfers past their expiry are failed, freeing their invoices. Card
payments have no expiry (the money may have been taken): those left PENDING for more than a few
minutes (their process died between the charge and its record) are reconciled with the card
provider by reference. Safe to run twice or on several servers at once (guarded UPDATEs); exit 0
with a one-line summary.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from guichet.domain.gateways.card import CardGateway


async def _expire(database_url: str, card_gateway: CardGateway) -> tuple[int, int, list[str]]:
    """Return (payments expired, card payments reconciled, references still awaiting the provider)."""
    from guichet.db import create_engine, session_factory
    from guichet.domain.clock import SystemClock
    from guichet.domain.payments import expire_payments, reconcile_card_payments
    from guichet.events import publish_once
    from guichet.settings import Settings

    engine = create_engine(database_url)
    try:
        sessions = session_factory(engine)
        now = SystemClock().now()
        changes = await expire_payments(sessions, now=now)
        reconciled = await reconcile_card_payments(sessions, gateway=card_gateway, now=now)
    finally:
        await engine.dispose()
    await publish_once(
        Settings(database_url=database_url, redis_url=os.environ.get("GUICHET_REDIS_URL")),
        changes + reconciled.changes,
    )
    return sum(1 for c in changes if c.kind == "payment"), reconciled.settled, reconciled.awaiting


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("expire-payments")
    def expire_payments_command() -> None:
        """Fail PENDING payments past their expiry and reconcile stuck card payments with the provider."""
        from guichet.domain.gateways.card import SandboxCardGateway
        from guichet.settings import database_url

        expired, reconciled, awaiting = asyncio.run(_expire(database_url(), SandboxCardGateway()))
        summary = f"{expired} payment(s) expired, {reconciled} card payment(s) reconciled"
        if awaiting:
            summary += f", {len(awaiting)} awaiting the card provider ({', '.join(awaiting)})"
        click.echo(summary)

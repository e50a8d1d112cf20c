"""`guichet jobs expire-payments`: fail the PENDING payments nobody settled in time, freeing invoices.

Safe to run twice or on several servers at once (guarded UPDATEs); exit 0 with a one-line count.
"""

from __future__ import annotations

import asyncio

import click


async def _expire(database_url: str) -> int:
    from guichet.db import create_engine, session_factory
    from guichet.domain.clock import SystemClock
    from guichet.domain.payments import expire_payments
    from guichet.events import publish_once
    from guichet.settings import Settings

    engine = create_engine(database_url)
    try:
        changes = await expire_payments(session_factory(engine), now=SystemClock().now())
    finally:
        await engine.dispose()
    import os

    await publish_once(Settings(database_url=database_url, redis_url=os.environ.get("GUICHET_REDIS_URL")), changes)
    return sum(1 for c in changes if c.kind == "payment")


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("expire-payments")
    def expire_payments_command() -> None:
        """Fail PENDING payments past their expiry (no webhook came) and free their invoices."""
        from guichet.cli.main import database_url

        count = asyncio.run(_expire(database_url()))
        click.echo(f"{count} payment(s) expired")

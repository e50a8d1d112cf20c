"""`guichet jobs deliver-webhooks`: one pass of the outgoing-webhook loop, for a cron or a worker.

Every server process runs this loop in its background already; the command is for deployments
that also want it outside the servers. It fans new events out, makes every attempt due now, and
purges events older than 30 days. Needs GUICHET_DATABASE_URL and GUICHET_SECRET_KEY (endpoint
secrets derive from it); safe to run twice or beside the servers (every move is a guarded UPDATE).
"""

from __future__ import annotations

import asyncio

import click


async def _run() -> int:
    from guichet.db import create_engine, session_factory
    from guichet.domain.clock import SystemClock
    from guichet.policies.engine import PolicyEngine
    from guichet.policies.store import load_templates
    from guichet.settings import load_settings
    from guichet.webhook_worker import WebhookWorker

    settings = load_settings()
    engine = create_engine(settings.database_url)
    try:
        policy = PolicyEngine(await load_templates(engine))
        worker = WebhookWorker(
            session_factory(engine),
            SystemClock(),
            policy=lambda: policy,
            server_key=settings.secret_key,
            allow_private=settings.webhook_allow_private,
        )
        try:
            return await worker.run_pending()
        finally:
            await worker.close()
    finally:
        await engine.dispose()


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("deliver-webhooks")
    def deliver_webhooks() -> None:
        """Fan out new events and make every webhook delivery attempt that is due now."""
        made = asyncio.run(_run())
        click.echo(f"deliver-webhooks: {made} attempts made")

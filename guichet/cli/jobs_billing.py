"""`guichet jobs autopay [--as-of DATE]` (OPERATIONS.md).

Charges each unpaid invoice with no payment pending, due on or before DATE (default: today, UTC),
of a billing account with auto-pay on, to its default saved card, once per invoice; a failure
opens a FAILED_CHARGE pending payment and e-mails the BILL_TO contacts. Needs the database
(GUICHET_DATABASE_URL); safe to run twice or on two servers at once.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import click


async def _run(as_of: date, now: datetime) -> tuple[int, int]:
    from guichet.cli.main import database_url
    from guichet.db import create_engine, session_factory
    from guichet.domain.billing_profiles.autopay import run_autopay
    from guichet.domain.gateways.card import SandboxCardGateway

    engine = create_engine(database_url())
    try:
        report = await run_autopay(session_factory(engine), gateway=SandboxCardGateway(), as_of=as_of, now=now)
        return report.charged, report.failed
    finally:
        await engine.dispose()


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("autopay")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Charge invoices due on or before this day (YYYY-MM-DD; default: today).",
    )
    def autopay(as_of: datetime | None) -> None:
        """Charge due invoices of auto-pay accounts to their default saved card, once each."""
        from guichet.domain.clock import SystemClock

        now = SystemClock().now()
        day = as_of.date() if as_of is not None else now.date()
        charged, failed = asyncio.run(_run(day, now))
        click.echo(f"autopay as of {day.isoformat()}: {charged} charged, {failed} failed (pending payments opened)")

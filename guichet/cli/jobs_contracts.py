"""`guichet jobs renewals [--as-of DATE]` and `guichet jobs expire-rewards [--as-of DATE]` (OPERATIONS.md).

renewals: opens one RENEWAL pending payment per ACTIVE auto-renewing contract whose end date is
at most 30 days after DATE (default: today, UTC), and expires those still unpaid after it.
expire-rewards: writes EXPIRED entries for what remains of reward lots past their expiry.
Both need the database (GUICHET_DATABASE_URL) and are safe to run twice or on two servers at once.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import click


async def _renewals(as_of: date, now: datetime) -> tuple[int, int, int]:
    from guichet.cli.main import database_url
    from guichet.db import create_engine, session_factory
    from guichet.domain.contracts.renewals import run_renewals

    engine = create_engine(database_url())
    try:
        report = await run_renewals(session_factory(engine), as_of=as_of, now=now)
        return report.opened, report.already_open, report.expired
    finally:
        await engine.dispose()


async def _expire_rewards(as_of: date, now: datetime) -> int:
    from guichet.cli.main import database_url
    from guichet.db import create_engine, session_factory
    from guichet.domain.rewards.services import expire_rewards

    engine = create_engine(database_url())
    try:
        return await expire_rewards(session_factory(engine), as_of=as_of, now=now)
    finally:
        await engine.dispose()


_AS_OF = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the job runs for (YYYY-MM-DD; default: today).",
)


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("renewals")
    @_AS_OF
    def renewals(as_of: datetime | None) -> None:
        """Open the RENEWAL pending payments of contracts ending within 30 days, once per term."""
        from guichet.domain.clock import SystemClock

        now = SystemClock().now()
        day = as_of.date() if as_of is not None else now.date()
        opened, already, expired = asyncio.run(_renewals(day, now))
        click.echo(
            f"renewals as of {day.isoformat()}: {opened} opened, {already} already open, {expired} expired unpaid"
        )

    @jobs.command("expire-rewards")
    @_AS_OF
    def expire_rewards(as_of: datetime | None) -> None:
        """Write EXPIRED entries for what remains of reward lots past their expiry."""
        from guichet.domain.clock import SystemClock

        now = SystemClock().now()
        day = as_of.date() if as_of is not None else now.date()
        written = asyncio.run(_expire_rewards(day, now))
        click.echo(f"expire-rewards as of {day.isoformat()}: {written} lots expired")

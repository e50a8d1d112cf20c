"""`guichet jobs expire-carts [--as-of DATE]` (OPERATIONS.md).

Carts untouched for 7 days become EXPIRED; ORDER pending payments still DUE past `expiresAt`
EXPIRE and their orders are CANCELLED; orders PENDING_APPROVAL for 7 days without a decision are
CANCELLED. Without --as-of the moment is now; with it, the end of that day (UTC). Needs the
database (GUICHET_DATABASE_URL); safe to run twice or on two servers at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import click
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.cli.jobs_service_requests import moment_of


async def _run(as_of: datetime, now: datetime) -> tuple[int, list[str], list[str]]:
    from guichet.db import create_engine, session_factory
    from guichet.domain.shop.carts import expire_stale
    from guichet.domain.shop.orders import expire_orders
    from guichet.settings import database_url

    engine = create_engine(database_url())
    sessions = session_factory(engine)

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    try:
        carts = await expire_stale(uow, as_of=as_of)
        unpaid, undecided, _changes = await expire_orders(uow, as_of=as_of, now=now)
        return carts, unpaid, undecided
    finally:
        await engine.dispose()


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("expire-carts")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Judge the 7-day delays and payment expiries at the end of this day (YYYY-MM-DD; default: now).",
    )
    def expire_carts(as_of: datetime | None) -> None:
        """Expire stale carts; cancel orders whose payment expired or whose approval never came."""
        from guichet.domain.clock import SystemClock

        now = SystemClock().now()
        moment = moment_of(as_of, now)
        carts, unpaid, undecided = asyncio.run(_run(moment, now))
        click.echo(
            f"expire-carts as of {moment.date().isoformat()}: {carts} carts expired, "
            f"{len(unpaid)} unpaid orders cancelled" + (f" ({', '.join(unpaid)})" if unpaid else "") + ", "
            f"{len(undecided)} undecided orders cancelled" + (f" ({', '.join(undecided)})" if undecided else "")
        )

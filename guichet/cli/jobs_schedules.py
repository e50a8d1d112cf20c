"""`guichet jobs collect-debits` and `guichet schedules cancel` (OPERATIONS.md).

Both only need the database (GUICHET_DATABASE_URL); exit 0 on success, 1 with one line on stderr
when the request is refused, 2 for a malformed argument.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.errors import DomainError
from guichet.i18n import render

T = TypeVar("T")


async def _with_database(work: Callable[[Callable[[], Any]], Awaitable[T]]) -> T:
    """Run `work(uow)` against the configured database, disposing of the engine afterwards."""
    from guichet.db import create_engine, session_factory
    from guichet.settings import database_url

    engine = create_engine(database_url())
    sessions = session_factory(engine)

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    try:
        return await work(uow)
    finally:
        await engine.dispose()


def _fail(error: DomainError) -> None:
    click.echo(f"guichet: {render(error.message_key, 'en', error.params)}", err=True)
    sys.exit(1)


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("collect-debits")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Collect instalments due on or before this day (YYYY-MM-DD; default: today, UTC).",
    )
    def collect_debits(as_of: Any) -> None:
        """Present every instalment due to the card provider, once; safe to run twice or on two servers."""
        from guichet.domain.clock import SystemClock
        from guichet.domain.gateways.card import SandboxCardGateway
        from guichet.domain.schedules.collect import collect_debits as collect
        from guichet.domain.schedules.collect import collections_phone
        from guichet.settings import Settings

        clock = SystemClock()
        day: date = as_of.date() if as_of is not None else clock.today()
        public_url = os.environ.get("GUICHET_PUBLIC_URL") or Settings().public_url
        phone = collections_phone(Settings(support_channels_file=os.environ.get("GUICHET_SUPPORT_CHANNELS")))

        report = asyncio.run(
            _with_database(
                lambda uow: collect(
                    uow,
                    gateway=SandboxCardGateway(),
                    as_of=day,
                    now=clock.now(),
                    public_url=public_url,
                    support_phone=phone,
                )
            )
        )
        click.echo(
            f"collect-debits as of {day.isoformat()}: {report.presented} presented, "
            f"{report.paid} paid, {report.unpaid} unpaid"
            + (f" ({', '.join(report.unpaid_orders)})" if report.unpaid_orders else "")
        )

    @cli.group()
    def schedules() -> None:
        """Instalment plans (échéanciers)."""

    @schedules.command("cancel")
    @click.option("--order", "order", required=True, help="The order number of the plan.")
    @click.option("--amount", "amount", default=None, help="Partial cancellation amount (e.g. 10.00); total if absent.")
    def cancel(order: str, amount: str | None) -> None:
        """A merchant's total or partial cancellation: the remaining instalments are re-computed."""
        from guichet.domain.clock import SystemClock
        from guichet.domain.schedules.services import cancel as cancel_schedule

        try:
            result = asyncio.run(
                _with_database(
                    lambda uow: cancel_schedule(uow, order_number=order, amount=amount, now=SystemClock().now())
                )
            )
        except DomainError as error:
            _fail(error)
            return
        remaining = ", ".join(f"{m.amount} {m.currency}" for m in result.remaining) or "none"
        click.echo(
            f"{result.order_number}: cancelled {result.cancelled.amount} {result.cancelled.currency}; "
            f"status {result.status}; instalments still to debit: {remaining}"
        )

"""`guichet jobs close-service-requests [--as-of DATE]` (OPERATIONS.md).

Closes requests RESOLVED for 7 days (resolution kept) and AWAITING_CUSTOMER for 14 days
(resolution code `no_response`), then deletes uploads never attached within 24 hours. Without
--as-of the moment is now; with it, the end of that day (UTC). Needs the database
(GUICHET_DATABASE_URL) and GUICHET_FILES_DIR; safe to run twice or on two servers at once.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession


async def _run(as_of: datetime, now: datetime, files_dir: str) -> tuple[Any, int]:
    from guichet.db import create_engine, session_factory
    from guichet.domain.service_requests.attachments import purge_unattached
    from guichet.domain.service_requests.files import FileStore
    from guichet.domain.service_requests.services import close_stale
    from guichet.settings import database_url

    engine = create_engine(database_url())
    sessions = session_factory(engine)

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with sessions() as session, session.begin():
            yield session

    try:
        report = await close_stale(uow, as_of=as_of, now=now)
        purged = await purge_unattached(uow, store=FileStore(Path(files_dir)), now=now)
        return report, purged
    finally:
        await engine.dispose()


def moment_of(as_of: datetime | None, now: datetime) -> datetime:
    """The job's moment: now, or the end of the given day (UTC) so the day's deadlines count."""
    if as_of is None:
        return now
    return datetime.combine(as_of.date() + timedelta(days=1), time(0), tzinfo=UTC) - timedelta(microseconds=1)


def register(cli: click.Group, jobs: click.Group) -> None:
    @jobs.command("close-service-requests")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Judge the 7- and 14-day delays at the end of this day (YYYY-MM-DD; default: now).",
    )
    def close_service_requests(as_of: datetime | None) -> None:
        """Close resolved and unanswered requests whose delay has passed; purge unattached uploads."""
        from guichet.domain.clock import SystemClock

        now = SystemClock().now()
        moment = moment_of(as_of, now)
        files_dir = os.environ.get("GUICHET_FILES_DIR") or "./guichet-files"
        report, purged = asyncio.run(_run(moment, now, files_dir))
        resolved = ", ".join(report.closed_resolved)
        unanswered = ", ".join(report.closed_no_response)
        click.echo(
            f"close-service-requests as of {moment.date().isoformat()}: "
            f"{len(report.closed_resolved)} resolved closed" + (f" ({resolved})" if resolved else "") + ", "
            f"{len(report.closed_no_response)} unanswered closed" + (f" ({unanswered})" if unanswered else "") + ", "
            f"{purged} unattached uploads deleted"
        )

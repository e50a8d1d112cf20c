"""`guichet import FILE.json`: load a back-office feed in one transaction (OPERATIONS.md)."""

from __future__ import annotations

import asyncio
import sys

import click


def register(cli: click.Group, jobs: click.Group) -> None:
    """Add `guichet import` to the root group."""
    cli.add_command(import_command)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
def import_command(file: str) -> None:
    """Load a back-office feed: all or nothing, idempotent, the faulty record named on error."""
    from guichet.cli.errors import one_line
    from guichet.settings import database_url

    try:
        summary = asyncio.run(_run(database_url(), file))
    except Exception as error:  # every failure is one line on stderr, never a traceback
        click.echo(f"guichet: {one_line(error, database_url())}", err=True)
        sys.exit(1)
    click.echo(f"imported {file}: {summary}")


async def _run(url: str, file: str) -> str:
    from guichet.db import create_engine, session_factory
    from guichet.domain.clock import SystemClock
    from guichet.domain.feed.importer import import_feed_file

    engine = create_engine(url)
    try:
        report = await import_feed_file(session_factory(engine), file, now=SystemClock().now())
    finally:
        await engine.dispose()
    return report.summary()

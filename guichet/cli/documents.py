"""`guichet documents import FILE.json`: load trusted documents from an Apollo manifest (OPERATIONS.md)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click


def register(cli: click.Group) -> None:
    """Add the `guichet documents` group."""
    cli.add_command(documents)


@click.group()
def documents() -> None:
    """Trusted documents (GUICHET_TRUSTED_DOCUMENTS)."""


@documents.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_documents(file: Path) -> None:
    """Load an Apollo persisted-query manifest; ids that do not match their body are refused."""
    from guichet.domain.trusted_documents import ManifestError, parse_manifest
    from guichet.settings import database_url

    try:
        operations = parse_manifest(file.read_text(encoding="utf-8"))
        changed = asyncio.run(_run(database_url(), operations))
    except (ManifestError, OSError) as error:
        click.echo(f"guichet: {file}: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # one line on stderr, never a traceback
        from guichet.cli.feed import _one_line

        click.echo(f"guichet: {_one_line(error)}", err=True)
        sys.exit(1)
    click.echo(f"imported {file}: {len(operations)} documents, {changed} new")


async def _run(url: str, operations: list) -> int:  # type: ignore[type-arg]
    from guichet.db import create_engine, session_factory
    from guichet.domain.clock import SystemClock
    from guichet.domain.trusted_documents import import_manifest

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await import_manifest(session, operations, now=SystemClock().now())
    finally:
        await engine.dispose()

"""`guichet`: serve, db upgrade, import, jobs, schedules, schema export (OPERATIONS.md).

Exit status 0 on success; non-zero with a one-line reason on stderr otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from guichet.cli import feed, jobs_billing, jobs_payments, jobs_schedules, jobs_service_requests
from guichet.domain import support
from guichet.settings import SettingsError, database_url, load_settings


class GuichetGroup(click.Group):
    """Turn expected failures into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as error:
            click.echo(f"guichet: {error}", err=True)
            sys.exit(2)


@click.group(cls=GuichetGroup)
def cli() -> None:
    """Guichet, the customer self-care billing API."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Migrate and load the demo data set into an empty database first.")
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Run the API under uvicorn."""
    import os

    import uvicorn

    # Links in e-mails and downloadUrl must reach this server when no public URL is configured.
    link_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    os.environ.setdefault("GUICHET_PUBLIC_URL", f"http://{link_host}:{port}")
    settings = load_settings(demo=demo)
    support.load_channels(settings)  # a malformed channels file stops start-up with one line
    if demo:
        from guichet.demo import prepare_demo

        os.environ["GUICHET_DEMO"] = "1"  # workers re-read the settings
        prepare_demo(settings)
    uvicorn.run(
        "guichet.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )


@cli.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (idempotent)."""
    from guichet.migrate import upgrade

    upgrade(database_url())
    click.echo("database is up to date")


@cli.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def schema_export(file: Path | None) -> None:
    """Print the schema's SDL (or write it to FILE)."""
    from guichet.schema.schema import schema as built

    sdl = built.as_str() + "\n"
    if file is None:
        click.echo(sdl, nl=False)
    else:
        file.write_text(sdl)


@cli.group()
def jobs() -> None:
    """Background jobs, safe to run twice or on several servers at once."""


feed.register(cli, jobs)  # guichet import
jobs_payments.register(cli, jobs)  # guichet jobs expire-payments
jobs_schedules.register(cli, jobs)  # guichet jobs collect-debits, guichet schedules cancel
jobs_service_requests.register(cli, jobs)  # guichet jobs close-service-requests
jobs_billing.register(cli, jobs)  # guichet jobs autopay


def main() -> None:
    cli()

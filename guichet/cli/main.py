"""`guichet`: serve, db upgrade, import, jobs, schedules, schema export (OPERATIONS.md).

Exit status 0 on success; non-zero with a one-line reason on stderr otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from guichet.cli import (
    documents,
    feed,
    jobs_billing,
    jobs_contracts,
    jobs_payments,
    jobs_schedules,
    jobs_service_requests,
    jobs_shop,
    jobs_webhooks,
)
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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and explicit exits keep click's own one-line output and status
        except Exception as error:  # a database down, missing or not migrated: one line, no traceback
            from guichet.cli.errors import one_line

            click.echo(f"guichet: {one_line(error, database_url())}", err=True)
            sys.exit(1)


# Commands that open the configured database (`db create` makes it; `schema export` needs none).
DATABASE_COMMANDS = frozenset({"serve", "import", "jobs", "schedules"})


@click.group(cls=GuichetGroup)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Guichet, the customer self-care billing API."""
    if ctx.invoked_subcommand in DATABASE_COMMANDS:
        from guichet.migrate import require_sqlite_folder

        require_sqlite_folder(database_url())


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
    from guichet.logs import configure_logging

    configure_logging(log_format=settings.log_format, level=settings.log_level)
    if demo:
        from guichet.demo import prepare_demo

        os.environ["GUICHET_DEMO"] = "1"  # workers re-read the settings
        prepare_demo(settings)
    from guichet.migrate import check_database

    check_database(settings.database_url)  # a missing or unmigrated database: one line, not a worker's traceback
    uvicorn.run(
        "guichet.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        # Guichet's own handler formats uvicorn's lines too (guichet.logs; each worker sets it up in
        # guichet.asgi), redacting link signatures from the access log.
        log_config=None,
        # A trusted proxy's X-Forwarded-For is applied by the app itself (GUICHET_FORWARDED_ALLOW_IPS).
        proxy_headers=False,
        server_header=False,
    )


@cli.group()
@click.pass_context
def db(ctx: click.Context) -> None:
    """Database administration."""
    if ctx.invoked_subcommand == "upgrade":
        from guichet.migrate import require_sqlite_folder

        require_sqlite_folder(database_url())


@db.command("create")
def db_create() -> None:
    """Create the configured database if it does not exist (idempotent); then run `db upgrade`."""
    from guichet.cli.errors import where
    from guichet.migrate import create_database

    url = database_url()
    created = create_database(url)
    click.echo(f"{where(url)} {'created' if created else 'already exists'}")


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
jobs_shop.register(cli, jobs)  # guichet jobs expire-carts
jobs_billing.register(cli, jobs)  # guichet jobs autopay
jobs_contracts.register(cli, jobs)  # guichet jobs renewals, expire-rewards
documents.register(cli)  # guichet documents import
jobs_webhooks.register(cli, jobs)  # guichet jobs deliver-webhooks


def main() -> None:
    cli()

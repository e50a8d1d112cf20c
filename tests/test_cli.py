"""The `guichet` command as operators run it: exit status, one-line errors, idempotence."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from guichet.db import create_engine
from guichet.domain import models
from tests.conftest import POSTGRES_URL
from tests.e2e.support import REPO, free_port, guichet_env, run_guichet

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
COUNTED = (
    models.Organisation,
    models.BillingAccount,
    models.Line,
    models.Person,
    models.Contact,
    models.RoleAssignment,
    models.Invoice,
    models.InvoiceLine,
    models.AuditEvent,
)


def row_counts(database_url: str) -> dict[str, int]:
    async def count() -> dict[str, int]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return {
                    model.__tablename__: (
                        await connection.execute(select(func.count()).select_from(model))
                    ).scalar_one()
                    for model in COUNTED
                }
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_import_loads_a_feed_and_a_second_import_changes_nothing(database_url: str) -> None:
    env = guichet_env(database_url)
    feed = str(FEEDS / "basic.json")

    first = run_guichet("import", feed, env=env)
    after_first = row_counts(database_url)
    second = run_guichet("import", feed, env=env)

    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    assert first.stdout == (
        f"imported {feed}: 2 organisations (2 created), 3 billing accounts (3 created), 4 lines (4 created), "
        "3 contacts (3 created), 4 invoices (4 created)\n"
    )
    assert after_first == {
        "organisations": 2,
        "billing_accounts": 3,
        "lines": 4,
        "people": 3,
        "contacts": 3,
        "role_assignments": 2,
        "invoices": 4,
        "invoice_lines": 5,
        "audit_events": 3,
    }
    assert (second.returncode, second.stderr) == (0, ""), second.stderr
    assert "4 invoices (4 unchanged)" in second.stdout
    assert row_counts(database_url) == after_first


def test_the_readme_example_feed_imports_cleanly_and_counts_its_schedules(database_url: str) -> None:
    env = guichet_env(database_url)
    feed = str(REPO / "examples" / "feed.json")

    first = run_guichet("import", feed, env=env)
    second = run_guichet("import", feed, env=env)

    assert (first.returncode, first.stderr) == (0, ""), first.stderr
    assert first.stdout == (
        f"imported {feed}: 2 organisations (2 created), 1 billing accounts (1 created), 2 lines (2 created), "
        "3 contacts (3 created), 2 invoices (2 created), 1 schedules (1 created)\n"
    )
    assert (second.returncode, second.stderr) == (0, ""), second.stderr
    assert second.stdout.endswith("2 invoices (2 unchanged), 1 schedules (1 unchanged)\n")


def test_a_bad_feed_exits_non_zero_with_one_line_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    document = json.loads((FEEDS / "basic.json").read_text())
    document["organisations"][0]["invoices"][2]["billingAccount"] = "BA-9999"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    env = guichet_env(database_url)
    before = row_counts(database_url)

    result = run_guichet("import", str(bad), env=env)

    assert result.returncode != 0
    assert result.stderr == "guichet: organisations[0].invoices[2] (F-2026-000003): unknown billing account BA-9999\n"
    assert result.stdout == ""
    assert row_counts(database_url) == before


def test_a_missing_or_malformed_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"organisations": [')

    missing = run_guichet("import", str(tmp_path / "absent.json"), env=env)
    broken = run_guichet("import", str(malformed), env=env)

    assert (missing.returncode, missing.stderr) == (1, f"guichet: {tmp_path / 'absent.json'}: no such file\n")
    assert broken.returncode == 1
    assert broken.stderr == f"guichet: {malformed}: malformed JSON: Expecting value at line 1 column 20\n"


def test_import_into_a_database_that_was_never_migrated_says_so(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")

    result = run_guichet("import", str(FEEDS / "basic.json"), env=env)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("guichet: database error: no such table")
    assert result.stderr.endswith("(is the database migrated? run `guichet db upgrade`)\n")


def test_db_upgrade_twice_is_fine(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")

    first = run_guichet("db", "upgrade", env=env)
    second = run_guichet("db", "upgrade", env=env)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert second.stdout.strip().endswith("database is up to date")


def test_schema_export_equals_the_committed_schema(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")

    printed = run_guichet("schema", "export", env=env)
    written = run_guichet("schema", "export", str(tmp_path / "schema.graphql"), env=env)

    assert (printed.returncode, written.returncode) == (0, 0), printed.stderr + written.stderr
    committed = (REPO / "schema.graphql").read_text()
    assert printed.stdout == committed
    assert (tmp_path / "schema.graphql").read_text() == committed


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL databases are created on a server (GUICHET_TEST_POSTGRES_URL)")
def test_db_create_makes_the_missing_postgres_database_that_upgrade_then_migrates() -> None:
    assert POSTGRES_URL
    name = f"guichet_cli_{uuid.uuid4().hex[:10]}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    env = guichet_env(url)
    host = make_url(POSTGRES_URL).host
    port = make_url(POSTGRES_URL).port or 5432
    try:
        missing = run_guichet("db", "upgrade", env=env)
        created = run_guichet("db", "create", env=env)
        again = run_guichet("db", "create", env=env)
        upgraded = run_guichet("db", "upgrade", env=env)
        imported = run_guichet("import", str(REPO / "examples" / "feed.json"), env=env)
    finally:
        _drop_postgres_database(name)

    assert (missing.returncode, missing.stdout) == (1, "")
    assert (
        missing.stderr
        == f"guichet: database {name} on {host}:{port} does not exist: create it with `guichet db create`\n"
    )
    assert (created.returncode, created.stdout) == (0, f"database {name} on {host}:{port} created\n"), created.stderr
    assert (again.returncode, again.stdout) == (0, f"database {name} on {host}:{port} already exists\n")
    assert (upgraded.returncode, upgraded.stdout.strip().splitlines()[-1]) == (0, "database is up to date")
    assert (imported.returncode, imported.stderr) == (0, "")


def _drop_postgres_database(name: str) -> None:
    from tests.conftest import _pg_execute

    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_db_create_makes_a_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "guichet.db"
    env = guichet_env(f"sqlite+aiosqlite:///{path}")

    missing = run_guichet("db", "upgrade", env=env)
    importing = run_guichet("import", str(REPO / "examples" / "feed.json"), env=env)
    created = run_guichet("db", "create", env=env)
    upgraded = run_guichet("db", "upgrade", env=env)

    assert (missing.returncode, missing.stderr) == (
        1,
        f"guichet: cannot open SQLite database {path}: its folder does not exist: create it with `guichet db create`\n",
    )
    assert (importing.returncode, importing.stderr) == (missing.returncode, missing.stderr)
    assert (created.returncode, created.stdout) == (0, f"SQLite database {path} created\n")
    assert upgraded.returncode == 0, upgraded.stderr
    assert path.exists()


def test_an_unreachable_database_is_one_line_for_every_command(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = guichet_env(f"postgresql+asyncpg://guichet:s3cret@127.0.0.1:{port}/guichet")
    commands = [
        ("db", "upgrade"),
        ("import", str(REPO / "examples" / "feed.json")),
        ("jobs", "expire-payments"),
        ("jobs", "collect-debits"),
        ("schedules", "cancel", "--order", "CMD-1"),
    ]

    results = [run_guichet(*command, env=env) for command in commands]

    for command, result in zip(commands, results, strict=True):
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.startswith(f"guichet: cannot reach database guichet on 127.0.0.1:{port}: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert "s3cret" not in result.stderr


def test_serve_on_a_database_never_migrated_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")

    result = run_guichet("serve", "--port", str(free_port()), env=env, timeout=60)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "guichet: the database was never migrated: run `guichet db upgrade`\n"


def test_serve_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = guichet_env(f"postgresql+asyncpg://guichet@127.0.0.1:{free_port()}/guichet")

    result = run_guichet("serve", "--port", str(free_port()), env=env, timeout=60)

    assert result.returncode == 1
    assert result.stderr.startswith("guichet: cannot reach database guichet on 127.0.0.1:")
    assert result.stderr.count("\n") == 1


def _seed_renewal_and_expiring_lot(database_url: str) -> None:
    from guichet.db import session_factory
    from tests.factories import make_account, make_organisation
    from tests.factories_contracts import make_contract
    from tests.factories_rewards import add_lot

    async def seed() -> None:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                org = await make_organisation(session)
                await make_contract(
                    session,
                    await make_account(session, org),
                    lines=[{"product": "Premier Support", "quantity": 1, "unit_price_minor": 60000}],
                )
                await add_lot(session, org, 25000, expires_at=date(2026, 11, 30))
        finally:
            await engine.dispose()

    asyncio.run(seed())


def test_renewals_and_expire_rewards_run_once_per_term_and_lot(database_url: str) -> None:
    _seed_renewal_and_expiring_lot(database_url)
    env = guichet_env(database_url)

    runs = [
        run_guichet("jobs", job, "--as-of", "2026-12-01", env=env)
        for job in ("renewals", "renewals", "expire-rewards", "expire-rewards")
    ]

    assert [r.returncode for r in runs] == [0, 0, 0, 0], [r.stderr for r in runs]
    assert [r.stdout.strip() for r in runs] == [
        "renewals as of 2026-12-01: 1 opened, 0 already open, 0 expired unpaid",
        "renewals as of 2026-12-01: 0 opened, 1 already open, 0 expired unpaid",
        "expire-rewards as of 2026-12-01: 1 lots expired",
        "expire-rewards as of 2026-12-01: 0 lots expired",
    ]

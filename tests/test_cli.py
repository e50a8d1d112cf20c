"""The `guichet` command as operators run it: exit status, one-line errors, idempotence."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import func, select

from guichet.db import create_engine
from guichet.domain import models
from tests.e2e.support import REPO, guichet_env, run_guichet

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

"""Generate the dashboard benchmark's data set on PostgreSQL: 1,000 organisations, 200,000 invoices
(the largest organisation 20,000, the median about 130), two lines each, payments on about half.

    .venv/bin/python -m bench.generate_dataset [--force]

Rows go in with COPY (asyncpg), so it takes well under a minute. It writes bench/.dataset.json
with the largest organisation's ID and a finance contact's session token for it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.common import DATABASE, DATASET_FILE, PG_ADMIN_URL, database_url, load_dataset

ORGANISATIONS = 1_000
INVOICES = 200_000
LARGEST = 20_000
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def invoice_counts(rng: random.Random) -> list[int]:
    """Invoices per organisation: the first has LARGEST, the rest a skewed spread summing to the total."""
    weights = [rng.lognormvariate(0, 1.0) for _ in range(ORGANISATIONS - 1)]
    rest = INVOICES - LARGEST
    scale = rest / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    counts[0] += rest - sum(counts)  # exact total
    return [LARGEST, *counts]


async def create_database() -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def fill(rng: random.Random) -> dict[str, int]:
    connection = await asyncpg.connect(database_url("postgresql"))
    try:
        counts = invoice_counts(rng)
        orgs, accounts, lines, invoices, invoice_lines, payments, payment_links = [], [], [], [], [], [], []
        account_id = line_id = invoice_id = invoice_line_id = payment_id = 0
        for org_index, count in enumerate(counts, start=1):
            orgs.append(
                (
                    org_index,
                    f"org-{org_index}",
                    f"Organisation {org_index:04d}",
                    "BUSINESS",
                    f"CI-{org_index:07d}-B",
                    "XOF",
                    NOW,
                )
            )
            org_accounts = []
            for a in range(min(20, 1 + count // 500)):
                account_id += 1
                accounts.append((account_id, org_index, f"BA-{org_index:04d}-{a:02d}", f"Site {a + 1}"))
                numbers = []
                for _ in range(5):
                    line_id += 1
                    number = f"+22507{line_id:08d}"
                    lines.append((line_id, org_index, account_id, number, "MOBILE"))
                    numbers.append(number)
                org_accounts.append((account_id, numbers))
            for i in range(count):
                invoice_id += 1
                account, numbers = org_accounts[i % len(org_accounts)]
                issue = TODAY - timedelta(days=rng.randint(0, 365))
                due = issue + timedelta(days=30)
                plan = 15000 + 1000 * rng.randint(0, 30)
                extra = 100 * rng.randint(0, 50)
                total = plan + extra
                roll = rng.random()
                paid = total if roll < 0.5 else (total // 2 if roll < 0.55 else 0)
                fleet = numbers[i % len(numbers)]
                invoices.append(
                    (invoice_id, org_index, account, f"B{org_index:04d}-{i:06d}", "MOBILE", issue, due,
                     issue - timedelta(days=30), issue - timedelta(days=1), "XOF", total, paid, None, NOW, NOW)
                )  # fmt: skip
                invoice_line_id += 1
                invoice_lines.append((invoice_line_id, invoice_id, 1, "Forfait Business 20 Go", fleet, plan))
                invoice_line_id += 1
                invoice_lines.append((invoice_line_id, invoice_id, 2, "Hors forfait", fleet, extra))
                if paid:  # a succeeded payment, sometimes after a failed attempt
                    if rng.random() < 0.2:
                        payment_id += 1
                        payments.append(
                            (
                                payment_id,
                                org_index,
                                f"PAY-{payment_id:010d}",
                                "CARD",
                                "FAILED",
                                "XOF",
                                paid,
                                0,
                                NOW,
                                NOW,
                                NOW,
                            )
                        )
                        payment_links.append((payment_id, invoice_id, org_index, paid, 0))
                    payment_id += 1
                    payments.append((payment_id, org_index, f"PAY-{payment_id:010d}", "ORANGE_MONEY", "SUCCEEDED", "XOF", paid, paid, NOW, NOW, NOW))  # fmt: skip
                    payment_links.append((payment_id, invoice_id, org_index, paid, paid))
        tables = [
            ("organisations", ["id", "ref", "name", "kind", "taxpayer_number", "currency", "created_at"], orgs),
            ("billing_accounts", ["id", "organisation_id", "number", "name"], accounts),
            ("lines", ["id", "organisation_id", "billing_account_id", "number", "service_type"], lines),
            (
                "invoices",
                [
                    "id",
                    "organisation_id",
                    "billing_account_id",
                    "number",
                    "service_type",
                    "issue_date",
                    "due_date",
                    "period_start",
                    "period_end",
                    "currency",
                    "total_minor",
                    "amount_paid_minor",
                    "pending_payment_id",
                    "created_at",
                    "updated_at",
                ],
                invoices,
            ),  # fmt: skip
            (
                "invoice_lines",
                ["id", "invoice_id", "position", "description", "line_number", "amount_minor"],
                invoice_lines,
            ),
            (
                "payments",
                [
                    "id",
                    "organisation_id",
                    "reference",
                    "method",
                    "status",
                    "currency",
                    "amount_minor",
                    "received_minor",
                    "created_at",
                    "updated_at",
                    "completed_at",
                ],
                payments,
            ),  # fmt: skip
            (
                "payment_invoices",
                ["payment_id", "invoice_id", "organisation_id", "requested_minor", "amount_minor"],
                payment_links,
            ),
        ]
        sizes = {}
        async with connection.transaction():
            for table, columns, records in tables:
                await connection.copy_records_to_table(table, records=records, columns=columns)
                sizes[table] = len(records)
            for table, _, _ in tables:
                if table != "payment_invoices":
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
        await connection.execute("VACUUM ANALYZE")  # visibility map: index-only counts
        return sizes
    finally:
        await connection.close()


async def finance_contact() -> dict[str, object]:
    """A FINANCE contact of the largest organisation with a live session (same factory as the tests)."""
    from sqlalchemy import select

    from guichet.db import create_engine, session_factory
    from guichet.domain import models
    from guichet.domain.ids import to_global_id
    from tests.factories import make_member

    engine = create_engine(database_url())
    try:
        async with session_factory(engine)() as session, session.begin():
            org = (await session.execute(select(models.Organisation).where(models.Organisation.id == 1))).scalar_one()
            member = await make_member(session, org, roles=[("FINANCE", None)], email="finance@bench.example")
    finally:
        await engine.dispose()
    return {
        "database": DATABASE,
        "organisation_pk": 1,
        "organisation_id": to_global_id("Organisation", 1),
        "token": member.token,
        "generated_at": NOW.isoformat(),
        "today": TODAY.isoformat(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="regenerate even if the data set exists")
    args = parser.parse_args()
    if load_dataset() is not None and not args.force:
        print(f"data set already there ({DATASET_FILE}); --force to regenerate")
        return 0
    from guichet.migrate import upgrade

    started = time.perf_counter()
    asyncio.run(create_database())
    upgrade(database_url())
    sizes = asyncio.run(fill(random.Random(2026)))
    dataset = asyncio.run(finance_contact())
    DATASET_FILE.write_text(json.dumps(dataset, indent=2) + "\n")
    print(
        f"generated {DATABASE} in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{n:,} {t}" for t, n in sizes.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

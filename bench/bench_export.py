"""Export 200,000 invoices of one organisation on PostgreSQL: time, file size and peak RSS.

    .venv/bin/python -m bench.bench_export [--invoices 200000]

It builds its own database (GUICHET_BENCH_EXPORT_DATABASE, default guichet_bench_export): one
organisation, 10 billing accounts, N invoices with one line each, loaded with COPY like
bench/generate_dataset.py. Then it runs the export worker in this process (as the server does)
on a 10% export first, then on the whole organisation in CSV and in JSONL, and prints the peak
resident memory after each: the same peak for 10% and 100% is what "constant memory" means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.common import PG_ADMIN_URL
from guichet.db import create_engine, session_factory
from guichet.domain.clock import SystemClock
from guichet.domain.invoices.pdf import FpdfInvoiceRenderer
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting import jobs
from guichet.domain.reporting.files import ExportStore
from guichet.export_worker import ExportWorker
from guichet.migrate import upgrade

DATABASE = os.environ.get("GUICHET_BENCH_EXPORT_DATABASE", "guichet_bench_export")
NOW = datetime.now(UTC).replace(microsecond=0)


def _url(driver: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", f"{driver}://", 1)
    return f"{base}/{DATABASE}"


async def _recreate() -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


async def _fill(count: int) -> None:
    connection = await asyncpg.connect(_url("postgresql"))
    today = NOW.date()
    try:
        accounts = [(a, 1, f"BA-X-{a:02d}", f"Site {a}") for a in range(1, 11)]
        invoices, lines = [], []
        for i in range(1, count + 1):
            issue = today - timedelta(days=i % 365)
            total = 15000 + 100 * (i % 300)
            paid = total if i % 2 else 0
            invoices.append(
                (i, 1, 1 + i % 10, f"X-{i:07d}", "MOBILE", issue, issue + timedelta(days=30), "XOF", total, paid, NOW, NOW)
            )  # fmt: skip
            lines.append((i, i, 1, "Forfait Business 20 Go", f"+22507{i % 50000:08d}", total))
        async with connection.transaction():
            await connection.copy_records_to_table(
                "organisations",
                records=[(1, "bench", "Bench export", "BUSINESS", "CI-9999999-X", "XOF", NOW)],
                columns=["id", "ref", "name", "kind", "taxpayer_number", "currency", "created_at"],
            )
            await connection.copy_records_to_table(
                "billing_accounts", records=accounts, columns=["id", "organisation_id", "number", "name"]
            )
            await connection.copy_records_to_table(
                "invoices",
                records=invoices,
                columns=["id", "organisation_id", "billing_account_id", "number", "service_type", "issue_date",
                         "due_date", "currency", "total_minor", "amount_paid_minor", "created_at", "updated_at"],
            )  # fmt: skip
            await connection.copy_records_to_table(
                "invoice_lines",
                records=lines,
                columns=["id", "invoice_id", "position", "description", "line_number", "amount_minor"],
            )
            for table in ("organisations", "billing_accounts", "invoices", "invoice_lines"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _export(files: Path, label: str, file_format: str, invoice_filter: dict[str, object]) -> None:
    engine = create_engine(_url("postgresql+asyncpg"))
    sessionmaker = session_factory(engine)
    try:
        async with sessionmaker() as session, session.begin():
            job = await jobs.start_export(
                session,
                jobs.StartRequest(
                    organisation_id=1,
                    principal=jobs.Principal(contact_id=None, api_key_id=0),
                    kind="INVOICES",
                    format=file_format,
                    filter={"invoice": invoice_filter, "payment": {}, "from": None, "to": None},
                    account_ids=None,
                    idempotency_key=f"bench-{label}-{time.time_ns()}",
                    now=datetime.now(UTC),
                    summary=label,
                ),
            )
            job_id = job.id
        worker = ExportWorker(sessionmaker, SystemClock(), store=ExportStore(files), renderer=FpdfInvoiceRenderer())
        started = time.perf_counter()
        await worker.run_pending()
        elapsed = time.perf_counter() - started
        async with sessionmaker() as session:
            done = await session.get(ExportJob, job_id)
        assert done is not None and done.status == "COMPLETED", done and done.status
        print(
            f"{label:<28} {done.row_count:>8,} rows  {(done.file_size or 0) / 2**20:7.1f} MiB  "
            f"{elapsed:6.2f} s  {done.row_count / elapsed:9,.0f} rows/s  peak RSS {_peak_rss_mib():6.1f} MiB"
        )
    finally:
        await engine.dispose()


async def _run(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder)
        print(f"peak RSS before any export: {_peak_rss_mib():.1f} MiB")
        await _export(files, "CSV, one account (10%)", "CSV", {"billing_account_id": 1})
        await _export(files, "CSV, whole organisation", "CSV", {})
        await _export(files, "JSONL, whole organisation", "JSONL", {})
        await _export(files, "CSV, OVERDUE only", "CSV", {"statuses": ["OVERDUE"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill_only:
        asyncio.run(_recreate())
        upgrade(_url("postgresql+asyncpg"))
        asyncio.run(_fill(args.invoices))
        return 0
    # The data set is built by a child process, so this one's peak RSS is the exports' alone.
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench.bench_export", "--fill-only", "--invoices", str(args.invoices)], check=True
    )
    print(f"database {DATABASE}: {args.invoices:,} invoices loaded in {time.perf_counter() - started:.1f} s")
    asyncio.run(_run(args.invoices))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

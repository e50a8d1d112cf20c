"""Payment throughput: payInvoices (Orange Money) followed by its signed webhook, on PostgreSQL.

    .venv/bin/python -m bench.bench_payments [--duration 10] [--concurrency 16] [--workers 2]

Creates a throw-away PostgreSQL database (GUICHET_BENCH_PG, default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, seeds one organisation with
enough invoices and a finance contact, starts `guichet serve --workers N` on loopback, then
drives it for --duration seconds from --concurrency closed-loop clients: each pays one invoice
and delivers the provider's signed SUCCEEDED webhook. Prints payments settled per second and
the p50/p99 latency of payInvoices and of the webhook. Everything is stopped and dropped at
the end. The load generator shares the machine with the server: figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
GUICHET = Path(sys.executable).parent / "guichet"
PG_ADMIN_URL = os.environ.get("GUICHET_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
WEBHOOK_SECRET = "bench-webhook-secret"
PAY = """mutation($input: PayInvoicesInput!) {
  payInvoices(input: $input) { payment { reference status } errors { code } }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _seed(dsn: str, invoices: int) -> tuple[str, str, list[str]]:
    """One organisation, one account, `invoices` overdue invoices and a finance contact with a session."""
    import asyncpg

    from guichet.domain.ids import to_global_id

    now = datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            org = await connection.fetchval(
                "INSERT INTO organisations (name, kind, taxpayer_number, currency, created_at) "
                "VALUES ('ACME bench', 'BUSINESS', 'CI-BENCH-1', 'XOF', $1) RETURNING id",
                now,
            )
            account = await connection.fetchval(
                "INSERT INTO billing_accounts (organisation_id, number, name) VALUES ($1, 'BA-BENCH', 'Siège') RETURNING id",
                org,
            )
            person = await connection.fetchval(
                "INSERT INTO people (email, password_hash, first_name, last_name, created_at) "
                "VALUES ('finance@bench.example', 'x', 'Fin', 'Ance', $1) RETURNING id",
                now,
            )
            contact = await connection.fetchval(
                "INSERT INTO contacts (organisation_id, person_id, status, is_primary_admin, created_at) "
                "VALUES ($1, $2, 'ACTIVE', false, $3) RETURNING id",
                org,
                person,
                now,
            )
            await connection.execute(
                "INSERT INTO role_assignments (organisation_id, contact_id, role) VALUES ($1, $2, 'FINANCE')",
                org,
                contact,
            )
            await connection.execute(
                "INSERT INTO sessions (person_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                person,
                hashlib.sha256(token.encode()).hexdigest(),
                now,
                now + timedelta(days=1),
            )
            rows = [
                (
                    org,
                    account,
                    f"F-BENCH-{n:07d}",
                    "MOBILE",
                    date(2026, 9, 1),
                    date(2026, 10, 1),
                    "XOF",
                    25000,
                    0,
                    now,
                    now,
                )
                for n in range(invoices)
            ]
            await connection.copy_records_to_table(
                "invoices",
                records=rows,
                columns=[
                    "organisation_id",
                    "billing_account_id",
                    "number",
                    "service_type",
                    "issue_date",
                    "due_date",
                    "currency",
                    "total_minor",
                    "amount_paid_minor",
                    "created_at",
                    "updated_at",
                ],
            )
            ids = [r["id"] for r in await connection.fetch("SELECT id FROM invoices ORDER BY id")]
    finally:
        await connection.close()
    return token, to_global_id("Organisation", org), [to_global_id("Invoice", i) for i in ids]


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("guichet serve exited")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("server not ready")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _drive(
    base_url: str, token: str, org_id: str, invoice_ids: list[str], *, duration: float, concurrency: int
) -> dict[str, object]:
    from guichet.domain.payments.webhooks import signature_header

    pay_latencies: list[float] = []
    hook_latencies: list[float] = []
    errors: list[str] = []
    settled = 0
    queue = iter(invoice_ids)
    deadline = time.monotonic() + duration
    headers = {"Authorization": f"Bearer {token}"}

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal settled
        while time.monotonic() < deadline:
            invoice = next(queue, None)
            if invoice is None:
                return
            variables = {
                "input": {
                    "organisationId": org_id,
                    "invoiceIds": [invoice],
                    "method": "ORANGE_MONEY",
                    "msisdn": "0701020304",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            }
            started = time.perf_counter()
            response = await client.post("/graphql", json={"query": PAY, "variables": variables}, headers=headers)
            pay_latencies.append(time.perf_counter() - started)
            payload = response.json().get("data", {}).get("payInvoices") if response.status_code == 200 else None
            if not payload or payload["errors"]:
                errors.append(f"pay {response.status_code} {response.text[:120]}")
                continue
            body = json.dumps({"reference": payload["payment"]["reference"], "status": "SUCCEEDED"}).encode()
            signature = signature_header(body, WEBHOOK_SECRET, int(time.time()))
            started = time.perf_counter()
            hook = await client.post(
                "/webhooks/payments/orange-money",
                content=body,
                headers={"Guichet-Signature": signature, "Content-Type": "application/json"},
            )
            hook_latencies.append(time.perf_counter() - started)
            if hook.status_code == 200 and hook.json().get("applied"):
                settled += 1
            else:
                errors.append(f"webhook {hook.status_code} {hook.text[:120]}")

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        started = time.monotonic()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {
        "elapsed": elapsed,
        "settled": settled,
        "pay": pay_latencies,
        "hook": hook_latencies,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop clients (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="guichet serve --workers (default 2)")
    parser.add_argument("--invoices", type=int, default=20000, help="invoices seeded (bounds the run)")
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    name = f"guichet_bench_pay_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    dsn = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    database_url = make_url(dsn).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(
        {
            "GUICHET_DATABASE_URL": database_url,
            "GUICHET_SECRET_KEY": SECRET_KEY,
            "GUICHET_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "GUICHET_GRAPHIQL": "0",
        }
    )
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([str(GUICHET), "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True)
        token, org_id, invoice_ids = asyncio.run(_seed(dsn, args.invoices))
        port = _free_port()
        process = subprocess.Popen(
            [str(GUICHET), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(base_url, process)
        warm = max(1, int(len(invoice_ids) * 0.1))
        asyncio.run(
            _drive(base_url, token, org_id, invoice_ids[:warm], duration=args.warmup, concurrency=args.concurrency)
        )
        result = asyncio.run(
            _drive(base_url, token, org_id, invoice_ids[warm:], duration=args.duration, concurrency=args.concurrency)
        )
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    pay = result["pay"]
    hook = result["hook"]
    errors = result["errors"]
    assert isinstance(pay, list) and isinstance(hook, list) and isinstance(errors, list)
    elapsed = float(result["elapsed"])  # type: ignore[arg-type]
    settled = int(result["settled"])  # type: ignore[call-overload]
    print(
        f"payments: guichet serve --workers {args.workers} on PostgreSQL, {args.concurrency} clients, {elapsed:.1f} s"
    )
    print(f"  settled (payInvoices + signed webhook): {settled}  ->  {settled / elapsed:.1f} payments/s")
    print(
        f"  payInvoices latency: p50 {statistics.median(pay) * 1000:.1f} ms, p99 {_percentile(pay, 0.99) * 1000:.1f} ms"
        f"  ({len(pay)} calls)"
    )
    print(
        f"  webhook latency:     p50 {statistics.median(hook) * 1000:.1f} ms, p99 {_percentile(hook, 0.99) * 1000:.1f} ms"
    )
    print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))


if __name__ == "__main__":
    main()

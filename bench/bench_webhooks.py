"""Outgoing webhooks: the cost of record_event inside a transaction, and the delivery loop's rate.

    .venv/bin/python -m bench.bench_webhooks [--events 2000] [--endpoints 3] [--database-url URL]

A fresh SQLite database by default (or the PostgreSQL URL given, which must be empty and is
migrated). It records N events (one transaction each, as an area would), then runs the webhook
worker over them with an in-memory receiver answering 200: fan-out and delivery, deliveries per
second. The HTTP exchange costs nothing here: what is measured is Guichet's own work per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from guichet.db import create_engine, session_factory
from guichet.domain import models
from guichet.domain.clock import SystemClock
from guichet.domain.models.api_keys import ApiKey, ApiKeyPermission
from guichet.domain.models.webhooks import WebhookEndpoint
from guichet.domain.webhooks.events import record_event
from guichet.migrate import upgrade
from guichet.policies.engine import PolicyEngine
from guichet.policies.rules import default_templates
from guichet.webhook_worker import WebhookWorker


async def run(database_url: str, events: int, endpoints: int) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        org = models.Organisation(name="Bench", kind="BUSINESS", currency="XOF", ref="bench", created_at=now)
        session.add(org)
        await session.flush()
        account = models.BillingAccount(organisation_id=org.id, number="BA-1", name="Siège")
        session.add(account)
        await session.flush()
        key = ApiKey(
            organisation_id=org.id,
            name="bench",
            prefix="gk_bench",
            secret_hash="0" * 64,
            created_at=now,
            expires_at=now.replace(year=now.year + 1),
        )
        session.add(key)
        await session.flush()
        session.add(ApiKeyPermission(api_key_id=key.id, organisation_id=org.id, module="INVOICES", action="READ"))
        for i in range(endpoints):
            session.add(
                WebhookEndpoint(
                    organisation_id=org.id,
                    api_key_id=key.id,
                    url=f"https://hooks{i}.example.com/x",
                    event_types=["INVOICE_PAID"],
                    status="ENABLED",
                    secret_salt=f"salt{i}",
                    created_at=now,
                )
            )
    started = time.perf_counter()
    for pk in range(events):
        async with sessions() as session, session.begin():
            await record_event(
                session,
                type="INVOICE_PAID",
                organisation_id=org.id,
                subject_pk=pk + 1,
                billing_account_ids=[account.id],
                now=now,
            )
    recorded = time.perf_counter() - started

    async def resolver(host: str) -> list[str]:
        return ["93.184.215.14"]

    worker = WebhookWorker(
        sessions,
        SystemClock(),
        policy=lambda: PolicyEngine(),
        server_key="bench-key",
        allow_private=False,
        resolver=resolver,
        transport=httpx.MockTransport(lambda request: httpx.Response(200)),
    )
    policy = PolicyEngine(default_templates())
    worker.policy = lambda: policy
    started = time.perf_counter()
    await worker.fan_out()
    fanned = time.perf_counter() - started
    started = time.perf_counter()
    made = 0
    while True:
        step = await worker.run_pending()
        made += step
        if step == 0:
            break
    delivered = time.perf_counter() - started
    await engine.dispose()
    print(f"database: {database_url.split('://')[0]}")
    print(f"record_event: {events} events in {recorded:.2f} s ({recorded / events * 1000:.2f} ms per transaction)")
    print(f"fan-out: {events} events x {endpoints} endpoints in {fanned:.2f} s")
    print(f"deliveries: {made} in {delivered:.2f} s ({made / delivered:.0f} per second, one process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(url, args.events, args.endpoints))


if __name__ == "__main__":
    main()

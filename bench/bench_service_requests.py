"""The service-request benchmark: content checks, 10 MiB uploads and back-office webhooks.

    .venv/bin/python -m bench.bench_service_requests [--events 200] [--rounds 3]

In-process on a temporary SQLite database, single thread. Prints, best of --rounds:
  - the time to check 10 MiB of CSV, PDF and XLSX against their declared type (on the bytes);
  - the time to store one 10 MiB upload end to end (checks, temporary file, fsync, rename, commit);
  - back-office webhook deliveries applied per second through the ASGI app (signature, replay
    check, guarded status move, history, e-mail and audit rows), one request each.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import time
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from guichet.domain.clock import FixedClock
from guichet.domain.payments.webhooks import signature_header
from guichet.domain.service_requests import attachments, content
from guichet.domain.service_requests.files import FileStore
from guichet.migrate import upgrade
from guichet.server import create_app
from guichet.settings import Settings

MIB = 1024 * 1024
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SECRET = "bench-webhook-secret"


def _samples() -> dict[str, bytes]:
    csv = b"ligne,montant\n" + b"+2250701020304,15000\n" * (10 * MIB // 21)
    pdf = b"%PDF-1.7\n" + b"0" * (10 * MIB - 9)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * (MIB // 3))
    return {content.CSV: csv[: 10 * MIB], content.PDF: pdf, content.XLSX: buffer.getvalue()}


def best(rounds: int, work: Any) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


async def _world(sessionmaker: Any) -> tuple[int, int, Any]:
    from guichet.domain import models

    async with sessionmaker() as session, session.begin():
        org = models.Organisation(name="Bench", kind="BUSINESS", currency="XOF", created_at=NOW)
        session.add(org)
        await session.flush()
        person = models.Person(email="bench@example.test", created_at=NOW)
        session.add(person)
        await session.flush()
        contact = models.Contact(organisation_id=org.id, person_id=person.id, status="ACTIVE", created_at=NOW)
        session.add(contact)
        await session.flush()
        org_id, contact_id = org.id, contact.id

    @asynccontextmanager
    async def uow() -> AsyncIterator[Any]:
        async with sessionmaker() as session, session.begin():
            yield session

    return org_id, contact_id, uow


async def run(events: int, rounds: int) -> None:
    samples = _samples()
    for kind, data in samples.items():
        seconds = best(rounds, lambda d=data, k=kind: content.matches(k, d))
        print(f"content check, {len(data) / MIB:.1f} MiB {kind}: {seconds * 1000:.1f} ms")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            database_url=url, secret_key="k" * 40, webhook_secret=SECRET, files_dir=str(Path(folder) / "files")
        )
        app = create_app(settings, clock=FixedClock(NOW))
        async with app.router.lifespan_context(app):
            sessionmaker = app.state.guichet.sessionmaker
            org_id, contact_id, uow = await _world(sessionmaker)
            store = FileStore(Path(settings.files_dir))
            data = samples[content.CSV]
            upload_times = []
            for _ in range(rounds):
                upload = await attachments.create_upload(
                    uow,
                    organisation_id=org_id,
                    contact_id=contact_id,
                    filename="big.csv",
                    content_type=content.CSV,
                    size=len(data),
                    now=NOW,
                )
                started = time.perf_counter()
                await attachments.store_upload(
                    uow, store=store, grant=upload.grant, declared_type=content.CSV, data=data, now=NOW
                )
                upload_times.append(time.perf_counter() - started)
            print(f"store one 10 MiB upload (check, write, fsync, rename, commit): {min(upload_times) * 1000:.1f} ms")

            from guichet.domain.service_requests.categories import Category
            from guichet.domain.service_requests.services import Actor, NewRequest, create_service_request

            actor = Actor(org_id, contact_id, None)
            numbers = []
            for i in range(events):
                outcome = await create_service_request(
                    uow,
                    actor=actor,
                    new=NewRequest(Category.OTHER, "Bench", "Bench request", f"bench-{i}"),
                    categories_file=None,
                    now=NOW,
                )
                numbers.append(outcome.request.number)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                started = time.perf_counter()
                for i, number in enumerate(numbers):
                    body = json.dumps({"eventId": f"bench-{i}", "number": number, "status": "ACKNOWLEDGED"}).encode()
                    header = signature_header(body, SECRET, int(NOW.timestamp()))
                    response = await client.post(
                        "/webhooks/back-office/service-requests", content=body, headers={"Guichet-Signature": header}
                    )
                    assert response.status_code == 200, response.text
                elapsed = time.perf_counter() - started
            print(f"back-office webhook, SQLite, sequential: {events / elapsed:.0f} deliveries/s ({events} applied)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.events, arguments.rounds))


if __name__ == "__main__":
    main()

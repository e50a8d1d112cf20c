"""Subscriptions with a standard client: graphql-ws from npm (what Apollo Client uses) against `guichet serve`.

Python's websockets accepts text and binary frames alike; graphql-ws accepts only text frames, as the
graphql-transport-ws protocol says. Skipped only when `node` is not installed (CI installs it).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.payments.webhooks import signature_header
from tests.e2e.support import WEBHOOK_SECRET, Server, guichet_env, migrated_database, running_server
from tests.factories_payments import PayWorld, make_pay_world

pytestmark = pytest.mark.e2e

NODE_CLIENTS = Path(__file__).resolve().parent / "node"
PAY = """
mutation($input: PayInvoicesInput!) { payInvoices(input: $input) { payment { id reference status } errors { code } } }
"""
PAYMENT_UPDATED = "subscription($id: ID!) { paymentUpdated(paymentId: $id) { reference status } }"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NODE_CLIENTS / "node_modules" / "graphql-ws").is_dir():
        # .ci/run installs them; a developer's first run does it here, once, under a lock.
        with (NODE_CLIENTS / ".npm-ci.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (NODE_CLIENTS / "node_modules" / "graphql-ws").is_dir():
                subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENTS, check=True)
    return node


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with migrated_database("ws", tmp_path_factory.mktemp("e2e-ws")) as database_url:
        with running_server(guichet_env(database_url)) as running:
            yield running, database_url


async def _world(database_url: str) -> PayWorld:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await make_pay_world(session)
    finally:
        await engine.dispose()


async def _line(process: asyncio.subprocess.Process, server: Server) -> dict[str, Any]:
    assert process.stdout is not None
    raw = await asyncio.wait_for(process.stdout.readline(), 30)
    assert raw, f"the Node client exited ({await process.wait()})\n--- server log ---\n{server.log()}"
    line: dict[str, Any] = json.loads(raw)
    assert "error" not in line, f"{line}\n--- server log ---\n{server.log()}"
    return line


async def test_a_graphql_ws_client_from_npm_receives_payment_events(server: tuple[Server, str]) -> None:
    node = _node()
    running, database_url = server
    world = await _world(database_url)
    token = world.finance.token
    async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
        paid = await client.post(
            "/graphql",
            json={
                "query": PAY,
                "variables": {
                    "input": {
                        "organisationId": world.org_id,
                        "invoiceIds": world.invoice_ids(),
                        "method": "ORANGE_MONEY",
                        "msisdn": "07 01 02 03 04",
                        "idempotencyKey": "e2e-node-ws",
                    }
                },
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        payment = paid.json()["data"]["payInvoices"]["payment"]
        url = running.base_url.replace("http://", "ws://") + "/graphql"
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE_CLIENTS / "subscribe.mjs"),
            url,
            token,
            "2",
            PAYMENT_UPDATED,
            json.dumps({"id": payment["id"]}),
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert await _line(process, running) == {"ready": True}
            assert await _line(process, running) == {
                "next": {"data": {"paymentUpdated": {"reference": payment["reference"], "status": "PENDING"}}}
            }

            body = json.dumps({"reference": payment["reference"], "status": "SUCCEEDED"}).encode()
            webhook = await client.post(
                "/webhooks/payments/orange-money",
                content=body,
                headers={
                    "Guichet-Signature": signature_header(body, WEBHOOK_SECRET, int(time.time())),
                    "Content-Type": "application/json",
                },
            )
            assert webhook.status_code == 200, webhook.text

            assert await _line(process, running) == {
                "next": {"data": {"paymentUpdated": {"reference": payment["reference"], "status": "SUCCEEDED"}}}
            }
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

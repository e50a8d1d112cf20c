"""An event left undelivered by the process that recorded it is delivered by a new process
(`guichet jobs deliver-webhooks`), signed, to a real HTTP receiver, once."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.ids import to_global_id
from guichet.domain.webhooks.events import record_event
from guichet.domain.webhooks.signing import endpoint_secret
from tests.conftest import TEST_NOW
from tests.e2e.support import SECRET_KEY, guichet_env, run_guichet
from tests.factories import make_account, make_organisation
from tests.factories_api_keys import make_api_key
from tests.factories_webhooks import independent_signature, make_endpoint

pytestmark = pytest.mark.e2e


class Received(BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Received.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def _seed(database_url: str, url: str) -> tuple[int, str, str]:
    async def seed() -> tuple[int, str, str]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                org = await make_organisation(session)
                account = await make_account(session, org)
                key = await make_api_key(session, org, permissions=[("INVOICES", "READ", None)])
                endpoint = await make_endpoint(session, org, key.api_key_id, url=url)
                event_id = await record_event(
                    session,
                    type="INVOICE_PAID",
                    organisation_id=org.id,
                    subject_pk=17,
                    billing_account_ids=[account.id],
                    now=TEST_NOW,
                )
                return org.id, to_global_id("Event", event_id), endpoint_secret(SECRET_KEY, endpoint.secret_salt)
        finally:
            await engine.dispose()

    return asyncio.run(seed())


def test_a_new_process_delivers_what_was_left_in_the_outbox(database_url: str) -> None:
    Received.calls = []
    server = HTTPServer(("127.0.0.1", 0), Received)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        org_id, event_id, secret = _seed(database_url, f"http://127.0.0.1:{server.server_port}/hook")
        env = guichet_env(database_url, {"GUICHET_WEBHOOK_ALLOW_PRIVATE": "true"})

        first = run_guichet("jobs", "deliver-webhooks", env=env)
        second = run_guichet("jobs", "deliver-webhooks", env=env)
    finally:
        server.shutdown()
        thread.join()

    assert (first.returncode, first.stdout.strip()) == (0, "deliver-webhooks: 1 attempts made"), first.stderr
    assert (second.returncode, second.stdout.strip()) == (0, "deliver-webhooks: 0 attempts made")
    [(headers, body)] = Received.calls
    assert json.loads(body) == {
        "id": event_id,
        "type": "INVOICE_PAID",
        "createdAt": "2026-11-25T10:00:00Z",
        "organisationId": to_global_id("Organisation", org_id),
        "data": {"id": to_global_id("Invoice", 17)},
    }
    assert headers["webhook-id"] == event_id
    assert headers["webhook-signature"] == independent_signature(
        secret, headers["webhook-id"], headers["webhook-timestamp"], body
    )

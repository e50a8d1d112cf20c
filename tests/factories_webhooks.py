"""Outgoing webhooks in tests: endpoints and events straight in the database, a receiver behind an
httpx MockTransport, a resolver stub, and the app's webhook worker driven by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from guichet.domain import models
from guichet.domain.clock import FixedClock
from guichet.domain.models.webhooks import WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks import signing
from guichet.domain.webhooks.events import record_event
from guichet.webhook_worker import WebhookWorker
from tests.conftest import TEST_NOW

SERVER_KEY = "test-secret-key-0123456789abcdef0123456789"  # the `settings` fixture's secret key
PUBLIC_IP = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/guichet"

CREATE = """
mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    endpoint { id url description eventTypes status disabledReason createdAt apiKey { name } }
    secret
    errors { code field }
  }
}
"""


class StubResolver:
    """host -> addresses, as the test sets them (and changes them: DNS rebinding)."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = dict(table if table is not None else {"hooks.example.com": [PUBLIC_IP]})
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return list(self.table.get(host, []))


@dataclass
class Receiver:
    """Answers every request with the next status of `statuses` (the last one repeats) and keeps it."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[httpx.Request] = field(default_factory=list)
    raise_timeout: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.raise_timeout:
            raise httpx.ReadTimeout("timed out", request=request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status, text="ok")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


async def manual_worker(app: Any, resolver: StubResolver, receiver: Receiver) -> WebhookWorker:
    """Stop the app's background loop and answer its worker, set to use `resolver` and `receiver`."""
    state = app.state.guichet
    if state.webhook_loop is not None:
        await state.webhook_loop.stop()
        state.webhook_loop = None
    worker: WebhookWorker = state.webhook_worker
    worker.resolver = resolver
    worker.transport = receiver.transport()
    await worker.close()  # its next client uses the receiver
    return worker


def worker_for(
    sessionmaker: Any, policy: Callable[[], Any], clock: FixedClock, resolver: StubResolver, receiver: Receiver
) -> WebhookWorker:
    """A worker of its own (another process's, say) over the same database."""
    return WebhookWorker(
        sessionmaker,
        clock,
        policy=policy,
        server_key=SERVER_KEY,
        allow_private=False,
        resolver=resolver,
        transport=receiver.transport(),
    )


async def make_endpoint(
    session: Any,
    org: models.Organisation,
    api_key_id: int,
    *,
    event_types: list[str] | None = None,
    url: str = HOOK_URL,
    status: str = "ENABLED",
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        organisation_id=org.id,
        api_key_id=api_key_id,
        url=url,
        description=None,
        event_types=event_types or ["INVOICE_ISSUED", "INVOICE_PAID", "PAYMENT_SUCCEEDED"],
        status=status,
        secret_salt="0123456789abcdef",
        created_at=TEST_NOW,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint


def secret_of(endpoint: WebhookEndpoint) -> str:
    return signing.endpoint_secret(SERVER_KEY, endpoint.secret_salt)


async def make_delivery(session: Any, endpoint: WebhookEndpoint, subject_pk: int, account_id: int) -> WebhookDelivery:
    """An event about an invoice and its (pending) delivery to `endpoint`."""
    event_id = await record_event(
        session,
        type="INVOICE_ISSUED",
        organisation_id=endpoint.organisation_id,
        subject_pk=subject_pk,
        billing_account_ids=[account_id],
        now=TEST_NOW,
    )
    delivery = WebhookDelivery(
        organisation_id=endpoint.organisation_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        status="SUCCEEDED",
        attempts=1,
        last_response_status=200,
        created_at=TEST_NOW,
        last_attempt_at=TEST_NOW,
    )
    session.add(delivery)
    await session.flush()
    return delivery


def independent_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks' v1 signature, written from the specification (not the library Guichet uses)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

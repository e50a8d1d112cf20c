"""Outgoing webhooks are delivered in the background of every server process, from the outbox.

A pass fans new events out (domain.webhooks.delivery.fan_out), then makes every due attempt:
it claims the delivery, checks the endpoint's key may still read the subject (the same Casbin
decision as a request), resolves the URL's host and checks every address again (SSRF), then
POSTs the signed body to the very address checked (Host header and TLS name are the URL's host,
so the certificate is still verified against it). A 2xx within 10 s is a success; anything else
is retried with backoff for 3 days. A request never waits for any of this: it only writes the
event, and a restart loses nothing (a claim lapses after a minute). Events older than 30 days
are purged by the same loop, which also records INVOICE_OVERDUE once an hour (invoices/overdue.py).

`guichet jobs deliver-webhooks` runs one pass, for deployments that prefer a cron to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain.clock import Clock
from guichet.domain.errors import DomainError
from guichet.domain.invoices import overdue
from guichet.domain.webhooks import addresses, delivery, events, rules, signing
from guichet.policies.engine import PolicyEngine

log = logging.getLogger("guichet.webhooks")

POLL_SECONDS = 5.0
USER_AGENT = "Guichet-Webhooks/1"
OVERDUE_EVERY = timedelta(hours=1)
CONCURRENT_ATTEMPTS = 8
STOP_GRACE_SECONDS = 15.0


class WebhookWorker:
    """Fan out and deliver; `run_pending()` is one pass."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        policy: Callable[[], PolicyEngine],
        server_key: str,
        allow_private: bool,
        resolver: addresses.Resolver = addresses.system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.policy = policy
        self.server_key = server_key
        self.allow_private = allow_private
        self.resolver = resolver
        self.transport = transport
        self.overdue_checked_at: datetime | None = None
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """One client for the worker's lifetime (its TLS context is costly to build), that keeps no
        connection alive: a connection is to an address, and another host name may resolve to it."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=rules.RESPONSE_TIMEOUT_SECONDS,
                follow_redirects=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fan_out(self) -> int:
        total = 0
        while True:
            async with self.sessionmaker() as session, session.begin():
                done = await delivery.fan_out(session, self.policy(), now=self.clock.now())
            total += done
            if done < delivery.BATCH:
                return total

    async def record_overdue(self) -> int:
        """INVOICE_OVERDUE for invoices newly overdue, at most once an hour per process."""
        now = self.clock.now()
        if self.overdue_checked_at is not None and now - self.overdue_checked_at < OVERDUE_EVERY:
            return 0
        async with self.sessionmaker() as session, session.begin():
            recorded = await overdue.record_overdue(session, today=self.clock.today(), now=now)
        self.overdue_checked_at = now
        return recorded

    async def purge(self) -> int:
        async with self.sessionmaker() as session, session.begin():
            return await events.purge_old_events(session, now=self.clock.now())

    async def run_pending(self) -> int:
        """Record overdue invoices, fan out, make every due attempt, purge old events; answer how many
        attempts were made."""
        await self.record_overdue()
        await self.fan_out()
        async with self.sessionmaker() as session:
            waiting = await delivery.due(session, now=self.clock.now())
        # Attempts run side by side, so one slow receiver (up to 10 s) does not hold up the others.
        gate = asyncio.Semaphore(CONCURRENT_ATTEMPTS)

        async def one(delivery_id: int, attempts: int) -> bool:
            async with gate:
                return await self.attempt(delivery_id, attempts)

        made = sum(await asyncio.gather(*(one(i, a) for i, a in waiting)))
        await self.purge()
        return made

    async def attempt(self, delivery_id: int, seen_attempts: int) -> bool:
        """Claim and make one attempt; False when another process claimed it first."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            if not await delivery.claim(session, delivery_id, seen_attempts, now=now):
                return False
        async with self.sessionmaker() as session:
            attempt = await delivery.load_attempt(session, delivery_id, now=now)
        if attempt is None:
            return False
        refusal = self._refusal(attempt)
        if refusal is not None:
            async with self.sessionmaker() as session, session.begin():
                await delivery.record_refusal(session, attempt, reason=refusal, now=self.clock.now())
            log.info("webhook not sent delivery=%s reason=%s", delivery_id, refusal)
            return True
        status_code, error = await self._post(attempt)
        done_at = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            if error is None and status_code is not None and 200 <= status_code < 300:
                await delivery.record_success(session, attempt, status_code=status_code, now=done_at)
                log.info("webhook delivered delivery=%s status=%s", delivery_id, status_code)
            else:
                reason = error or f"HTTP {status_code}"
                disabled = await delivery.record_failure(
                    session, attempt, status_code=status_code, reason=reason, now=done_at
                )
                log.warning(
                    "webhook failed delivery=%s attempt=%s reason=%s%s",
                    delivery_id,
                    attempt.delivery.attempts,
                    reason,
                    " (endpoint disabled)" if disabled else "",
                )
        return True

    def _refusal(self, attempt: delivery.Attempt) -> str | None:
        """Why the attempt must not be sent at all, if it must not."""
        if attempt.event.is_test:
            return None
        if not delivery.key_may_read(self.policy(), attempt.key_access, attempt.event, attempt.accounts):
            return "the endpoint's API key may not read this event's subject"
        return None

    async def _post(self, attempt: delivery.Attempt) -> tuple[int | None, str | None]:
        """(status code, None) once an answer came; (None, reason) when none could be had."""
        endpoint = attempt.endpoint
        try:
            target = await addresses.check_url(endpoint.url, resolver=self.resolver, allow_private=self.allow_private)
        except DomainError as refused:
            return None, f"address not allowed ({refused.message_key})"
        body = orjson.dumps(delivery.body_of(attempt.event))
        secret = signing.endpoint_secret(self.server_key, endpoint.secret_salt)
        headers = signing.sign_headers(
            secret,
            message_id=str(delivery.body_of(attempt.event)["id"]),
            timestamp=int(self.clock.now().timestamp()),
            body=body,
        )
        default_port = 443 if target.scheme == "https" else 80
        headers |= {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": target.host if target.port == default_port else f"{target.host}:{target.port}",
        }
        try:
            # The 10 s are for the whole exchange (httpx's timeout bounds each phase on its own).
            async with (
                asyncio.timeout(rules.RESPONSE_TIMEOUT_SECONDS),
                self.client().stream(
                    "POST",
                    target.connect_url(),
                    content=body,
                    headers=headers,
                    extensions={"sni_hostname": target.host},
                ) as response,
            ):
                return response.status_code, None
        except (httpx.TimeoutException, TimeoutError):
            return None, "timeout (10 s)"
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:300]


async def run_worker(worker: WebhookWorker, wakeup: asyncio.Event, stopping: asyncio.Event) -> None:
    """Deliver until `stopping` is set: a pass every POLL_SECONDS, or at once when woken."""
    while not stopping.is_set():
        try:
            await worker.run_pending()
        except Exception:  # a database hiccup must not stop deliveries for the process's lifetime
            log.exception("webhook delivery pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), POLL_SECONDS)
        wakeup.clear()


@dataclass
class RunningWorker:
    worker: WebhookWorker
    wakeup: asyncio.Event
    stopping: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Let the pass under way finish (its sessions return their connections), cancel it only when
        it outlasts STOP_GRACE_SECONDS; what it leaves undone stays in the outbox."""
        self.stopping.set()
        self.wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), STOP_GRACE_SECONDS)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.worker.close()


def start(worker: WebhookWorker) -> RunningWorker:
    """Run the worker for the application's lifetime (a first pass at once sends what a restart left)."""
    wakeup, stopping = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_worker(worker, wakeup, stopping), name="guichet-webhooks")
    return RunningWorker(worker, wakeup, stopping, task)

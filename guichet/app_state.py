"""What the application holds for its lifetime, one typed field per long-lived collaborator.

server.build_state() builds every field it can without I/O (engine, sessions, gateways, broker,
support channels, metrics, PDF renderer); the lifespan in server.py then starts the policy
runtime (enforcer, watcher), the broker and mail delivery, and sets their fields.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from guichet.domain.clock import Clock
from guichet.domain.invoices.pdf import InvoicePdfRenderer
from guichet.domain.passwords import PasswordHashing
from guichet.domain.payments import Gateways
from guichet.domain.support import Channel
from guichet.settings import Settings

if TYPE_CHECKING:
    from guichet.events import Broker
    from guichet.mailer import OutboxDelivery
    from guichet.policies.engine import PolicyEngine
    from guichet.policies.runtime import PolicyRuntime
    from guichet.rate_limits import Buckets
    from guichet.web.metrics import Metrics
    from guichet.webhook_worker import RunningWorker as RunningWebhooks
    from guichet.webhook_worker import WebhookWorker


# What a start function of the lifespan returns: the async function that stops what it started.
Closer = Callable[[], Awaitable[None]]


class NotStarted(RuntimeError):
    """A collaborator the lifespan starts was used before the application started."""


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # The request's reads; on PostgreSQL in autocommit (see resolvers/context.py).
    read_sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    passwords: PasswordHashing
    gateways: Gateways
    broker: Broker
    support_channels: tuple[Channel, ...]
    metrics: Metrics
    pdf_renderer: InvoicePdfRenderer
    # Set by the lifespan (policies.runtime.start, mailer.start).
    enforcer: PolicyEngine | None = None
    policy_runtime: PolicyRuntime | None = None
    mail_wakeup: asyncio.Event | None = None
    mail_delivery: OutboxDelivery | None = None
    # The principals' leaky buckets (guichet/rate_limits.py); closed by the lifespan.
    buckets: Buckets | None = None
    # Set by the lifespan (export_worker.start): wakes this process's export worker.
    export_wakeup: asyncio.Event | None = None
    # Set by the lifespan (hooks.start_webhooks): the outgoing-webhook worker and its loop.
    webhook_worker: WebhookWorker | None = None
    webhook_loop: RunningWebhooks | None = None

    @property
    def policy_engine(self) -> PolicyEngine:
        """The enforcer; raise NotStarted before the policy runtime started (never a default policy)."""
        if self.enforcer is None:
            raise NotStarted("the policy runtime is not started")
        return self.enforcer

    def wake_mailer(self) -> None:
        """Ask mail delivery (when running) to look at the outbox now rather than at its next poll."""
        if self.mail_wakeup is not None:
            self.mail_wakeup.set()

    def wake_webhooks(self) -> None:
        """Ask the webhook loop (when running) to fan out and deliver now rather than at its next poll."""
        if self.webhook_loop is not None:
            self.webhook_loop.wakeup.set()

    def wake_exports(self) -> None:
        """Ask the export worker (when running) to look for new jobs now."""
        if self.export_wakeup is not None:
            self.export_wakeup.set()

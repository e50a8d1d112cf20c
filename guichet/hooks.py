"""Start-up: what the lifespan starts for the app's lifetime, and stops in reverse order.

The policy runtime (enforcer and watcher), mail delivery (when SMTP is configured), the
payment-event broker, the export worker and the outgoing-webhook loop; each sets its AppState fields and leaves a closer.
"""

from __future__ import annotations

from pathlib import Path

from guichet import events, export_worker, mailer, webhook_worker
from guichet.app_state import AppState, Closer
from guichet.domain.reporting.files import ExportStore
from guichet.domain.reporting.jobs import ExportChange
from guichet.policies import runtime


async def start_policy_runtime(state: AppState) -> Closer:
    """Load the role templates and start the watcher: state.enforcer and state.policy_runtime."""
    policy, stop = await runtime.start(state.settings.database_url, state.engine, state.sessionmaker)
    state.enforcer = policy.engine
    state.policy_runtime = policy
    return stop


def start_mail_delivery(state: AppState) -> Closer | None:
    """Deliver the outbox over SMTP when configured: state.mail_wakeup and state.mail_delivery."""
    running = mailer.start(state.settings, state.sessionmaker, state.clock)
    if running is None:
        return None
    state.mail_wakeup, state.mail_delivery = running.wakeup, running.delivery

    async def stop() -> None:
        await running.stop()
        state.mail_wakeup = None

    return stop


def start_exports(state: AppState) -> Closer:
    """Run export jobs in this process's background: state.export_wakeup."""

    async def publish(changes: list[ExportChange]) -> None:
        await events.publish(state.broker, changes)

    worker = export_worker.ExportWorker(
        state.sessionmaker,
        state.clock,
        store=ExportStore(Path(state.settings.files_dir)),
        renderer=state.pdf_renderer,
        publish=publish,
    )
    running = export_worker.start(worker)
    state.export_wakeup = running.wakeup

    async def stop() -> None:
        state.export_wakeup = None
        await running.stop()

    return stop


def start_webhooks(state: AppState) -> Closer:
    """Deliver outgoing webhooks in this process's background: state.webhook_worker, state.webhook_loop."""
    worker = webhook_worker.WebhookWorker(
        state.sessionmaker,
        state.clock,
        policy=lambda: state.policy_engine,
        server_key=state.settings.secret_key,
        allow_private=state.settings.webhook_allow_private,
    )
    state.webhook_worker = worker
    state.webhook_loop = webhook_worker.start(worker)

    async def stop() -> None:
        running, state.webhook_loop = state.webhook_loop, None
        if running is not None:
            await running.stop()
        await worker.close()

    return stop


async def start_all(state: AppState) -> list[Closer]:
    closers = [await start_policy_runtime(state)]
    mail = start_mail_delivery(state)
    if mail is not None:
        closers.append(mail)
    await state.broker.start()
    closers.append(state.broker.close)
    if state.buckets is not None:
        closers.append(state.buckets.close)
    closers.append(start_exports(state))
    closers.append(start_webhooks(state))
    return closers


async def stop_all(closers: list[Closer]) -> None:
    for closer in reversed(closers):
        await closer()

"""Start-up: what the lifespan starts for the app's lifetime, and stops in reverse order.

The policy runtime (enforcer and watcher), mail delivery (when SMTP is configured) and the
payment-event broker; each sets its AppState fields and leaves a closer.
"""

from __future__ import annotations

from guichet import mailer
from guichet.app_state import AppState, Closer
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


async def start_all(state: AppState) -> list[Closer]:
    closers = [await start_policy_runtime(state)]
    mail = start_mail_delivery(state)
    if mail is not None:
        closers.append(mail)
    await state.broker.start()
    closers.append(state.broker.close)
    if state.buckets is not None:
        closers.append(state.buckets.close)
    return closers


async def stop_all(closers: list[Closer]) -> None:
    for closer in reversed(closers):
        await closer()

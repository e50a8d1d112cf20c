"""The back office's signed webhooks (service requests, orders): one way to read, verify and answer.

Signed like the payment webhooks: 400 and nothing changed for a missing, wrong or stale signature or
a malformed body; 413 over 16 KiB; 404 an unknown number; 409 `{"code": "INVALID_STATUS_TRANSITION"}`
(or another DomainError's code) and nothing changed for an impossible move; 200
`{"ok": true, "replayed", "status"}` when applied or replayed (same eventId).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from guichet import events
from guichet.app_state import AppState
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.payments.webhooks import SIGNATURE_HEADER, WebhookRejected, verify_signature
from guichet.web.webhooks import read_capped

log = logging.getLogger("guichet.webhooks")

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def unit_of_work(state: AppState) -> UnitOfWork:
    """One unit of work per call: a fresh session in a transaction committed once."""

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with state.sessionmaker() as session, session.begin():
            yield session

    return uow


def _refused(what: str, status: int, reason: str) -> None:
    log.warning(
        "back-office %s webhook refused status=%s reason=%s",
        what,
        status,
        reason,
        extra={"event": "webhook.refused", "provider": "back-office", "status": status, "reason": reason},
    )


async def signed_event(
    request: Request,
    *,
    what: str,
    parse: Callable[[bytes], Any],
    apply: Callable[[UnitOfWork, Any, datetime], Awaitable[Any]],
    status_of: Callable[[Any], str],
) -> JSONResponse:
    """Verify, parse and apply one back-office event; publish its changes to subscribers.

    `apply(uow, event, now)` returns an outcome with `changes` and `replayed`; `status_of(outcome)`
    is the subject's status after it.
    """
    state: AppState = request.app.state.guichet
    try:
        body = await read_capped(request)
        verify_signature(request.headers.get(SIGNATURE_HEADER), body, state.settings.webhook_secret, state.clock.now())
        event = parse(body)
        outcome = await apply(unit_of_work(state), event, state.clock.now())
    except WebhookRejected as rejected:
        _refused(what, rejected.status, rejected.reason)
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
    except DomainError as error:
        status = 404 if error.code is ErrorCode.NOT_FOUND else 409
        _refused(what, status, error.code.value)
        return JSONResponse({"code": error.code.value}, status_code=status)
    await events.publish(state.broker, outcome.changes)
    log.info(
        "back-office %s webhook number=%s event=%s status=%s replayed=%s",
        what,
        event.number,
        event.event_id,
        event.status,
        outcome.replayed,
    )
    return JSONResponse({"ok": True, "replayed": outcome.replayed, "status": status_of(outcome)})

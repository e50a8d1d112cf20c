"""HTTP route of orders: the back office's signed order webhook.

`POST /webhooks/back-office/orders`: signed like the payment webhooks (400 and nothing changed
for a missing, wrong or stale signature or a malformed body; 413 over 16 KiB); 404 unknown
number; 409 `{"code": "INVALID_STATUS_TRANSITION"}` and nothing changed for a status the order
cannot move to; 200 when applied or replayed (same eventId).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guichet import events
from guichet.app_state import AppState
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.payments.webhooks import SIGNATURE_HEADER, WebhookRejected, verify_signature
from guichet.domain.shop.orders import apply_back_office_event
from guichet.domain.shop.webhook import parse_order_event
from guichet.web.service_requests import unit_of_work
from guichet.web.webhooks import read_capped

log = logging.getLogger("guichet.webhooks")


async def back_office_orders_webhook(request: Request) -> JSONResponse:
    state: AppState = request.app.state.guichet
    try:
        body = await read_capped(request)
        verify_signature(request.headers.get(SIGNATURE_HEADER), body, state.settings.webhook_secret, state.clock.now())
        event = parse_order_event(body)
        outcome = await apply_back_office_event(unit_of_work(state), event=event, now=state.clock.now())
    except WebhookRejected as rejected:
        log.warning(
            "back-office order webhook refused status=%s reason=%s",
            rejected.status,
            rejected.reason,
            extra={
                "event": "webhook.refused",
                "provider": "back-office",
                "status": rejected.status,
                "reason": rejected.reason,
            },
        )
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
    except DomainError as error:
        status = 404 if error.code is ErrorCode.NOT_FOUND else 409
        log.warning(
            "back-office order webhook refused status=%s code=%s",
            status,
            error.code.value,
            extra={"event": "webhook.refused", "provider": "back-office", "status": status, "reason": error.code.value},
        )
        return JSONResponse({"code": error.code.value}, status_code=status)
    await events.publish(state.broker, outcome.changes)
    log.info(
        "back-office order webhook number=%s event=%s status=%s replayed=%s",
        event.number,
        event.event_id,
        event.status,
        outcome.replayed,
    )
    return JSONResponse({"ok": True, "replayed": outcome.replayed, "status": outcome.order.status})


def routes() -> list[Route]:
    return [Route("/webhooks/back-office/orders", back_office_orders_webhook, methods=["POST"])]

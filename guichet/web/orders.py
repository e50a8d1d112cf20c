"""HTTP route of orders: the back office's signed order webhook.

`POST /webhooks/back-office/orders`: signed like the payment webhooks (400 and nothing changed
for a missing, wrong or stale signature or a malformed body; 413 over 16 KiB); 404 unknown
number; 409 `{"code": "INVALID_STATUS_TRANSITION"}` and nothing changed for a status the order
cannot move to; 200 when applied or replayed (same eventId).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guichet.domain.shop.orders import apply_back_office_event
from guichet.domain.shop.webhook import parse_order_event
from guichet.web.back_office import signed_event


async def back_office_orders_webhook(request: Request) -> JSONResponse:
    return await signed_event(
        request,
        what="order",
        parse=parse_order_event,
        apply=lambda uow, event, now: apply_back_office_event(uow, event=event, now=now),
        status_of=lambda outcome: outcome.order.status,
    )


def routes() -> list[Route]:
    return [Route("/webhooks/back-office/orders", back_office_orders_webhook, methods=["POST"])]

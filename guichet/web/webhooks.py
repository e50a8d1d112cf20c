"""POST /webhooks/payments/{provider}: provider callbacks, verified, applied once (OPERATIONS.md).

400 and nothing changed: missing, wrong or stale signature; malformed body; provider not the
payment's method; unacceptable amount. 404: unknown reference. 200: applied, or a replay (or an
event for a payment already settled), changing nothing. 413: body over the cap.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from guichet import events
from guichet.app_state import AppState
from guichet.domain.payments import apply_webhook
from guichet.domain.payments.rules import METHOD_OF_PROVIDER
from guichet.domain.payments.webhooks import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    WebhookRejected,
    parse_event,
    verify_signature,
)

log = logging.getLogger("guichet.webhooks")


async def read_capped(request: Request) -> bytes:
    """The raw body, read once; raise WebhookRejected(413) past MAX_BODY_BYTES."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise WebhookRejected(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise WebhookRejected(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def payment_webhook(request: Request) -> JSONResponse:
    provider = request.path_params["provider"]
    if provider not in METHOD_OF_PROVIDER:
        return JSONResponse({"error": "unknown provider"}, status_code=404)
    state: AppState = request.app.state.guichet
    try:
        body = await read_capped(request)
        verify_signature(request.headers.get(SIGNATURE_HEADER), body, state.settings.webhook_secret, state.clock.now())
        event = parse_event(provider, body)
        result = await apply_webhook(
            state.sessionmaker,
            provider=provider,
            event=event,
            now=state.clock.now(),
            operations_email=state.settings.operations_email,
        )
    except WebhookRejected as rejected:
        # The reason names no secret and no body content; enough for the provider's logs.
        log.warning(
            "webhook refused provider=%s status=%s reason=%s",
            provider,
            rejected.status,
            rejected.reason,
            extra={
                "event": "webhook.refused",
                "provider": provider,
                "status": rejected.status,
                "reason": rejected.reason,
            },
        )
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)
    await events.publish(state.broker, result.changes)
    log.info(
        "webhook provider=%s reference=%s status=%s replayed=%s applied=%s",
        provider,
        event.reference,
        event.status,
        result.replayed,
        result.applied,
    )
    return JSONResponse({"ok": True, "replayed": result.replayed, "applied": result.applied})


def routes() -> list[Route]:
    return [Route("/webhooks/payments/{provider}", payment_webhook, methods=["POST"])]

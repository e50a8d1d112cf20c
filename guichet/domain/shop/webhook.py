"""The back-office order webhook's body (OPERATIONS.md), checked before anything changes.

Signed exactly like the payment webhooks (guichet.domain.payments.webhooks.verify_signature);
this module only reads the verified body: {"eventId", "number": "ORD-…" (or a back-office number),
"status"?: IN_PROGRESS | HELD | COMPLETED | FAILED | CANCELLED | REJECTED, "note"?, "shipment"?:
{"carrier", "trackingNumber"?, "trackingUrl"?, "status"}, "expectedCompletionDate"?}; a shipment
alone (no status) is allowed.
"""

from __future__ import annotations

import json
from datetime import date

from guichet.domain.payments.webhooks import WebhookRejected
from guichet.domain.shop.orders import SHIPMENT_STATUSES, BackOfficeEvent, ShipmentUpdate
from guichet.domain.shop.transitions import BACK_OFFICE_EVENTS, Status

MAX_NOTE = 2000


def _text(data: dict[str, object], key: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise WebhookRejected(400, f"{key} missing")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise WebhookRejected(400, f"{key} must be a string of at most {limit} characters")
    cleaned = value.strip() or None
    if required and cleaned is None:
        raise WebhookRejected(400, f"{key} missing")
    return cleaned


def parse_order_event(body: bytes) -> BackOfficeEvent:
    """The event in a verified body; raise WebhookRejected(400) naming what is malformed."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    event_id = _text(data, "eventId", 200, required=True)
    number = _text(data, "number", 50, required=True)
    assert event_id is not None and number is not None
    raw_status = data.get("status")
    status: Status | None = None
    if raw_status is not None:
        if raw_status not in {s.value for s in BACK_OFFICE_EVENTS}:
            raise WebhookRejected(400, "status is not one the back office may send")
        status = Status(raw_status)
    shipment = None
    raw_shipment = data.get("shipment")
    if raw_shipment is not None:
        if not isinstance(raw_shipment, dict):
            raise WebhookRejected(400, "shipment must be an object")
        carrier = _text(raw_shipment, "carrier", 100, required=True)
        shipment_status = raw_shipment.get("status", "SHIPPED")
        if shipment_status not in SHIPMENT_STATUSES:
            raise WebhookRejected(400, "shipment status is not PREPARING, SHIPPED, DELIVERED or RETURNED")
        url = _text(raw_shipment, "trackingUrl", 500)
        if url is not None and not url.startswith(("https://", "http://")):
            raise WebhookRejected(400, "trackingUrl must be an http(s) link")
        assert carrier is not None
        shipment = ShipmentUpdate(
            carrier=carrier,
            status=str(shipment_status),
            tracking_number=_text(raw_shipment, "trackingNumber", 100),
            tracking_url=url,
        )
    expected = None
    raw_date = _text(data, "expectedCompletionDate", 10)
    if raw_date is not None:
        try:
            expected = date.fromisoformat(raw_date)
        except ValueError:
            raise WebhookRejected(400, "expectedCompletionDate must be an ISO date") from None
    if status is None and shipment is None and expected is None:
        raise WebhookRejected(400, "a status or a shipment is required")
    return BackOfficeEvent(
        event_id=event_id,
        number=number,
        status=status,
        note=_text(data, "note", MAX_NOTE),
        shipment=shipment,
        expected_completion_date=expected,
    )

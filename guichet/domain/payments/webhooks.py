"""Provider webhooks: the Stripe-style signature and the body OPERATIONS.md fixes.

`Guichet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed by the
webhook secret; several v1 values are accepted (secret rotation), other schemes ignored.
Body: {"reference", "status": "SUCCEEDED"|"FAILED", "reason"?, "amount"?} (+ optional "eventId").
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 16 * 1024
SIGNATURE_HEADER = "Guichet-Signature"


class WebhookRejected(Exception):
    """The delivery is refused with HTTP `status` and nothing is changed."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status} {reason}")


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """The header a provider sends (used by tests, the bench and the README's curl example)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(header: str | None, body: bytes, secret: str, now: datetime) -> None:
    """Check the signature over the raw body before anything reads it.

    Raise WebhookRejected(400) when the header is missing or malformed, when no v1 signature
    matches (constant-time compare), or when its timestamp is more than 5 minutes from `now`.
    """
    if not header:
        raise WebhookRejected(400, "missing signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        raise WebhookRejected(400, "malformed signature")
    if abs(now.timestamp() - timestamp) > TOLERANCE_SECONDS:
        raise WebhookRejected(400, "timestamp outside the tolerance")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates):
        raise WebhookRejected(400, "wrong signature")


@dataclass(frozen=True)
class WebhookEvent:
    reference: str
    status: str  # SUCCEEDED | FAILED
    reason: str | None
    amount: str | None  # decimal string in the payment's currency
    dedup_key: str


def parse_event(provider: str, body: bytes) -> WebhookEvent:
    """The event in a verified body; raise WebhookRejected(400) when it is malformed.

    The dedup key is the provider's "eventId" when given, else a hash of the raw body: a
    redelivery of the same event (even re-signed with a new timestamp) is then recognised.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    reference = data.get("reference")
    status = data.get("status")
    reason = data.get("reason")
    amount = data.get("amount")
    event_id = data.get("eventId")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 40:
        raise WebhookRejected(400, "reference missing")
    if status not in ("SUCCEEDED", "FAILED"):
        raise WebhookRejected(400, "status must be SUCCEEDED or FAILED")
    if reason is not None and not isinstance(reason, str):
        raise WebhookRejected(400, "reason must be a string")
    if amount is not None and (not isinstance(amount, str) or len(amount) > 30):
        raise WebhookRejected(400, "amount must be a decimal string")
    if event_id is not None and (not isinstance(event_id, str) or not 1 <= len(event_id) <= 200):
        raise WebhookRejected(400, "eventId must be a string")
    source = f"id:{event_id}".encode() if event_id is not None else b"body:" + body
    dedup_key = hashlib.sha256(provider.encode() + b"\x1f" + source).hexdigest()
    return WebhookEvent(reference, status, reason, amount, dedup_key)

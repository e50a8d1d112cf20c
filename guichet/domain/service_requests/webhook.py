"""The back-office service-request webhook's body (OPERATIONS.md), checked before anything changes.

Signed exactly like the payment webhooks (guichet.domain.payments.webhooks.verify_signature);
this module only reads the verified body:
{"eventId", "number": "SR-…", "status"?, "comment"?, "authorName"?, "resolution"?: {"code",
"summary"}, "reason"?}: `resolution` is required for RESOLVED and `reason` for REJECTED; a
comment alone (no status) is allowed.
"""

from __future__ import annotations

import json
import re

from guichet.domain.payments.webhooks import WebhookRejected
from guichet.domain.service_requests.services import SUPPORT_NAME, SupportEvent
from guichet.domain.service_requests.transitions import SUPPORT_EVENTS, Status

NUMBER = re.compile(r"^SR-\d{8}$")
MAX_COMMENT = 5000


def _optional_text(data: dict[str, object], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise WebhookRejected(400, f"{key} must be a string of at most {limit} characters")
    return value.strip() or None


def parse_support_event(body: bytes) -> SupportEvent:
    """The event in a verified body; raise WebhookRejected(400) naming what is malformed."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    event_id = data.get("eventId")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 200:
        raise WebhookRejected(400, "eventId missing")
    number = data.get("number")
    if not isinstance(number, str) or not NUMBER.match(number):
        raise WebhookRejected(400, "number must be SR- and 8 digits")
    raw_status = data.get("status")
    status: Status | None = None
    if raw_status is not None:
        if raw_status not in {s.value for s in SUPPORT_EVENTS}:
            raise WebhookRejected(400, "status is not one the back office may send")
        status = Status(raw_status)
    comment = _optional_text(data, "comment", MAX_COMMENT)
    author = _optional_text(data, "authorName", 200) or SUPPORT_NAME
    reason = _optional_text(data, "reason", MAX_COMMENT)
    code = summary = None
    resolution = data.get("resolution")
    if resolution is not None:
        if not isinstance(resolution, dict):
            raise WebhookRejected(400, "resolution must be an object")
        code = _optional_text(resolution, "code", 50)
        summary = _optional_text(resolution, "summary", MAX_COMMENT)
    if status is Status.RESOLVED and not (code and summary):
        raise WebhookRejected(400, "resolution (code and summary) is required for RESOLVED")
    if status is Status.REJECTED and not reason:
        raise WebhookRejected(400, "reason is required for REJECTED")
    if status is None and not comment:
        raise WebhookRejected(400, "a status or a comment is required")
    return SupportEvent(event_id, number, status, comment, author, code, summary, reason)

"""Standard Webhooks signatures, and endpoint secrets derived rather than stored.

An endpoint's secret is `whsec_` + base64 of HMAC-SHA256(GUICHET_SECRET_KEY, "guichet-webhook:" +
salt), the salt being random per endpoint and the only thing stored: the secret is shown once,
and the delivery loop derives it again to sign. A database copy alone cannot forge deliveries;
changing GUICHET_SECRET_KEY changes every endpoint's secret (endpoints must then be re-created).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_salt() -> str:
    return secrets.token_hex(16)


def endpoint_secret(server_key: str, salt: str) -> str:
    """The endpoint's `whsec_…` secret: its signing key is the base64-decoded part after the prefix."""
    key = hmac.new(server_key.encode(), f"guichet-webhook:{salt}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode()


def sign_headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt (`v1,<base64 HMAC of id.timestamp.body>`)."""
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body.decode())
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}

"""Signed, expiring tokens for attachment uploads (60 minutes) and downloads (5 minutes).

A token is `<organisation id>.<attachment id>.<expires>.<signature>`, the HMAC-SHA256 keyed by
GUICHET_SECRET_KEY over a purpose-separated message, so an upload token is never a download
token and neither is an invoice link. The organisation is part of what is signed: a link opens
only the attachment of that organisation, whatever id it names. verify() answers None for
anything tampered, expired or malformed, never why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

UPLOAD_LIFETIME = timedelta(minutes=60)
DOWNLOAD_LIFETIME = timedelta(minutes=5)
UPLOAD = "guichet.attachment-upload"
DOWNLOAD = "guichet.attachment-download"
_TOKEN = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Grant:
    organisation_id: int
    attachment_id: int


def _signature(secret_key: str, purpose: str, organisation_id: int, attachment_id: int, expires: int) -> str:
    message = f"{purpose}\x1f{organisation_id}\x1f{attachment_id}\x1f{expires}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret_key: str, purpose: str, grant: Grant, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    signature = _signature(secret_key, purpose, grant.organisation_id, grant.attachment_id, expires)
    return f"{grant.organisation_id}.{grant.attachment_id}.{expires}.{signature}"


def verify(secret_key: str, purpose: str, token: str, now: datetime) -> Grant | None:
    """The grant a valid, unexpired token of `purpose` carries; None otherwise."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    organisation_id, attachment_id, expires, signature = int(match[1]), int(match[2]), int(match[3]), match[4]
    expected = _signature(secret_key, purpose, organisation_id, attachment_id, expires)
    if not hmac.compare_digest(expected, signature) or now.timestamp() >= expires:
        return None
    return Grant(organisation_id, attachment_id)


def upload_url(public_url: str, secret_key: str, grant: Grant, expires_at: datetime) -> str:
    """`{GUICHET_PUBLIC_URL}/uploads/<token>` (OPERATIONS.md)."""
    return f"{public_url.rstrip('/')}/uploads/{sign(secret_key, UPLOAD, grant, expires_at)}"


def download_url(public_url: str, secret_key: str, grant: Grant, now: datetime) -> str:
    """A link valid five minutes; mint it only for a viewer who may read the attachment's request."""
    token = sign(secret_key, DOWNLOAD, grant, now + DOWNLOAD_LIFETIME)
    return f"{public_url.rstrip('/')}/attachments/{token}"

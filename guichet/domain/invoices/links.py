"""Signed, short-lived download links for invoice PDFs (« télécharger »).

A link is `{public_url}/invoices/<id>.<expires>.<signature>.pdf`: the invoice id, an expiry in
unix seconds and an HMAC-SHA256 over both keyed by GUICHET_SECRET_KEY. It is the only credential
the download needs, so it is minted only for a viewer allowed to export that invoice and lives
five minutes. verify() answers None for anything tampered, expired or malformed, never why.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

LINK_LIFETIME = timedelta(minutes=5)
_TOKEN = re.compile(r"^(\d{1,18})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


INVOICE_PDF = "guichet.invoice-pdf"
_SUBJECT_TOKEN = re.compile(r"^([A-Za-z0-9_-]{1,1500})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


def _mac(secret_key: str, purpose: str, subject: str, expires: int) -> str:
    # Domain-separated message (the purpose first) so a MAC of one kind of link never opens another.
    message = f"{purpose}\x1f{subject}\x1f{expires}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _signature(secret_key: str, invoice_id: int, expires: int) -> str:
    return _mac(secret_key, INVOICE_PDF, str(invoice_id), expires)


def sign_subject(secret_key: str, purpose: str, subject: str, now: datetime) -> str:
    """A token for any URL-safe `subject` (e.g. base64 of what a file holds) of `purpose`, valid 5 minutes.

    Other areas' files (contracts, billing schedules) use this one signing scheme.
    """
    expires = int((now + LINK_LIFETIME).timestamp())
    return f"{subject}.{expires}.{_mac(secret_key, purpose, subject, expires)}"


def verify_subject(secret_key: str, purpose: str, token: str, now: datetime) -> str | None:
    """The subject of a valid, unexpired token of `purpose`; None otherwise (whatever the reason)."""
    match = _SUBJECT_TOKEN.match(token)
    if match is None:
        return None
    subject, expires, signature = match[1], int(match[2]), match[3]
    if not hmac.compare_digest(_mac(secret_key, purpose, subject, expires), signature):
        return None
    if now.timestamp() >= expires:
        return None
    return subject


def sign(secret_key: str, invoice_id: int, now: datetime) -> str:
    """A token for `invoice_id` valid until now + 5 minutes."""
    expires = int((now + LINK_LIFETIME).timestamp())
    return f"{invoice_id}.{expires}.{_signature(secret_key, invoice_id, expires)}"


def download_url(public_url: str, secret_key: str, invoice_id: int, now: datetime) -> str:
    return f"{public_url.rstrip('/')}/invoices/{sign(secret_key, invoice_id, now)}.pdf"


def verify(secret_key: str, token: str, now: datetime) -> int | None:
    """The invoice id a valid, unexpired token names; None otherwise (whatever the reason)."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    invoice_id, expires, signature = int(match[1]), int(match[2]), match[3]
    expected = _signature(secret_key, invoice_id, expires)
    if not hmac.compare_digest(expected, signature):
        return None
    if now.timestamp() >= expires:
        return None
    return invoice_id

"""Signed download links of export files, valid until the export's urlExpiresAt (7 days).

The token is the attachments' signed token (domain/service_requests/links.py) with its own
purpose, so an export link is never an attachment link, and the organisation is signed with the
export id: a link opens only that organisation's export.
"""

from __future__ import annotations

from datetime import datetime

from guichet.domain.service_requests import links

PURPOSE = "guichet.export-download"


def download_url(
    public_url: str, secret_key: str, *, organisation_id: int, export_id: int, expires_at: datetime
) -> str:
    token = links.sign(secret_key, PURPOSE, links.Grant(organisation_id, export_id), expires_at)
    return f"{public_url.rstrip('/')}/exports/{token}"


def verify(secret_key: str, token: str, now: datetime) -> links.Grant | None:
    """(organisation id, export id) of a valid, unexpired export link; None otherwise."""
    return links.verify(secret_key, PURPOSE, token, now)

"""E-mail: every message is written to the outbox first, inside the caller's transaction.

Delivery (SMTP when GUICHET_SMTP_URL is set) happens after commit, from the outbox, so a
delivery failure never loses a message. Nothing here sends anything.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models

log = logging.getLogger("guichet.mail")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def link(public_url: str, purpose: str, token: str) -> str:
    """`{GUICHET_PUBLIC_URL}/<purpose>?token=<token>`, as OPERATIONS.md fixes it."""
    return f"{public_url.rstrip('/')}/{purpose}?token={token}"


async def enqueue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    attachments: list[Attachment] | None = None,
) -> models.OutboxEmail:
    """Write one message to the outbox; it is delivered once the transaction commits."""
    email = models.OutboxEmail(
        to_address=to,
        subject=subject,
        body_text=body,
        attachments=[
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content_b64": base64.b64encode(a.content).decode(),
            }
            for a in attachments or []
        ],
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    session.add(email)
    await session.flush()
    # One line per message; recipient and subject only: the body carries links with tokens.
    log.info(
        "mail queued id=%s to=%s subject=%r",
        email.id,
        to,
        subject,
        extra={"event": "mail.queued", "mail_id": email.id, "to": to, "subject": subject},
    )
    return email

"""E-mails to a request's creator: every status change and every support comment.

Written to the outbox inside the change's transaction, in French then English (the creator's
language is not known), with the request's number in the subject. Bodies carry no link token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.mail import enqueue_email
from guichet.domain.models.service_requests import ServiceRequest

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "SUBMITTED": ("Soumise", "Submitted"),
    "ACKNOWLEDGED": ("Prise en compte", "Acknowledged"),
    "IN_PROGRESS": ("En cours de traitement", "In progress"),
    "AWAITING_CUSTOMER": ("En attente de votre réponse", "Awaiting your answer"),
    "RESOLVED": ("Résolue", "Resolved"),
    "CLOSED": ("Clôturée", "Closed"),
    "REJECTED": ("Rejetée", "Rejected"),
    "CANCELLED": ("Annulée", "Cancelled"),
}


async def _creator_email(session: AsyncSession, request: ServiceRequest) -> str | None:
    if request.created_by_contact_id is None:
        return None
    return (
        await session.execute(
            select(models.Person.email)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .where(models.Contact.id == request.created_by_contact_id, models.Contact.status == "ACTIVE")
        )
    ).scalar_one_or_none()


async def status_changed(session: AsyncSession, request: ServiceRequest, *, note: str | None, now: datetime) -> None:
    """Tell the creator the request moved to its current status (with the note, if any)."""
    to = await _creator_email(session, request)
    if to is None:
        return
    fr, en = STATUS_LABELS[request.status]
    extra_fr = f"\n\n{note}" if note else ""
    extra_en = f"\n\n{note}" if note else ""
    body = (
        f"Bonjour,\n\nVotre demande {request.number} « {request.subject} » est désormais : {fr}.{extra_fr}\n\n"
        f'---\n\nHello,\n\nYour service request {request.number} "{request.subject}" is now: {en}.{extra_en}\n'
    )
    await enqueue_email(
        session,
        to=to,
        subject=f"Demande {request.number} : {fr} / Service request {request.number}: {en}",
        body=body,
        now=now,
    )


async def support_commented(
    session: AsyncSession, request: ServiceRequest, *, author_name: str, body_text: str, now: datetime
) -> None:
    """Forward a support comment to the creator (plain text, as written)."""
    to = await _creator_email(session, request)
    if to is None:
        return
    body = (
        f"Bonjour,\n\n{author_name} a répondu à votre demande {request.number} :\n\n{body_text}\n\n"
        f"---\n\nHello,\n\n{author_name} replied to your service request {request.number}:\n\n{body_text}\n"
    )
    await enqueue_email(
        session,
        to=to,
        subject=f"Demande {request.number} : nouvelle réponse / Service request {request.number}: new reply",
        body=body,
        now=now,
    )

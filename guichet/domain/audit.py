"""The audit trail: who did what to whom, and which accesses were refused (ACCESS.md rule 9)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models


async def record_event(
    session: AsyncSession,
    *,
    at: datetime,
    organisation_id: int | None,
    actor_contact_id: int | None,
    action: str,
    summary: str,
    subject_id: str | None = None,
    data: dict[str, object] | None = None,
) -> models.AuditEvent:
    """Add one audit event inside the caller's transaction.

    `action` is a dotted name (member.invited, member.access_changed, member.disabled,
    access.denied, payment.created, ...); `subject_id` the global ID of what was acted upon.
    Never put secrets (passwords, tokens, card numbers) in `summary` or `data`.
    """
    event = models.AuditEvent(
        organisation_id=organisation_id,
        at=at,
        actor_contact_id=actor_contact_id,
        action=action,
        subject_id=subject_id,
        summary=summary[:500],
        data=data or {},
    )
    session.add(event)
    await session.flush()
    return event

"""Audit events of a person's own access (activation, password reset), one per organisation it belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.auth.env import AuthEnv


async def record_for_person(session: AsyncSession, env: AuthEnv, *, person_id: int, action: str, summary: str) -> None:
    """Write `action` to the audit trail of every organisation where the person is a contact (it is the actor)."""
    contacts = (
        (await session.execute(select(models.Contact).where(models.Contact.person_id == person_id))).scalars().all()
    )
    for contact in contacts:
        await record_event(
            session,
            at=env.now,
            organisation_id=contact.organisation_id,
            actor_contact_id=contact.id,
            action=action,
            summary=summary,
        )

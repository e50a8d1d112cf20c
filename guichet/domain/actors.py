"""The signed-in person acting in one organisation, as the access its active contact holds.

Services that change who may do what (members, API keys) check their actor here, so "not an active
member" and "lacks the permission" are decided, and answered, the same way everywhere.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.errors import DomainError, ErrorCode
from guichet.policies.engine import PolicyEngine
from guichet.policies.rules import Action, ContactAccess, Module
from guichet.policies.store import load_access


async def actor_access(
    session: AsyncSession,
    policy: PolicyEngine,
    *,
    person_id: int,
    organisation_id: int,
    module: Module,
    action: Action,
) -> ContactAccess:
    """The access of the person's active contact in the organisation.

    Raise DomainError(NOT_FOUND) when the person is not an active member (the organisation looks
    unknown), DomainError(FORBIDDEN) when it holds `action` on `module` nowhere.
    """
    contact_id = (
        await session.execute(
            select(models.Contact.id).where(
                models.Contact.organisation_id == organisation_id,
                models.Contact.person_id == person_id,
                models.Contact.status == "ACTIVE",
            )
        )
    ).scalar_one_or_none()
    access = (await load_access(session, [contact_id])).get(contact_id) if contact_id is not None else None
    if access is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    if policy.scope(access, module, action).empty:
        raise DomainError(ErrorCode.FORBIDDEN)
    return access

"""Write a contact's role assignments: the one place the back-office feed sets roles.

The access-control area may route this through its Casbin policy store; callers only rely on
the signature and on "the contact's roles become exactly `roles`".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models

RoleKey = tuple[str, int | None]  # (role, billing account id or None for the whole organisation)


async def replace_contact_roles(
    session: AsyncSession,
    *,
    organisation_id: int,
    contact_id: int,
    roles: Sequence[RoleKey],
) -> bool:
    """Make the contact's roles exactly `roles`; return whether anything changed.

    Runs inside the caller's transaction (flushes, never commits). Rows already matching are
    kept, so re-applying the same roles writes nothing.
    """
    rows = (
        await session.scalars(select(models.RoleAssignment).where(models.RoleAssignment.contact_id == contact_id))
    ).all()
    wanted = set(roles)
    current = {(row.role, row.billing_account_id): row for row in rows}
    stale = [row.id for key, row in current.items() if key not in wanted]
    missing = [key for key in dict.fromkeys(roles) if key not in current]
    if stale:
        await session.execute(delete(models.RoleAssignment).where(models.RoleAssignment.id.in_(stale)))
    for role, account_id in missing:
        session.add(
            models.RoleAssignment(
                organisation_id=organisation_id, contact_id=contact_id, role=role, billing_account_id=account_id
            )
        )
    if stale or missing:
        await session.flush()
        return True
    return False

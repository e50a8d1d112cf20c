"""Write a contact's role assignments: the one place the back-office feed sets roles.

The access-control area may route this through its Casbin policy store; callers only rely on
the signature and on "the contact's roles become exactly `roles`".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

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
    # Through the access-control policy store: the same rows, validated, and announced to every
    # server process when the import commits.
    from guichet.policies.store import replace_access

    return await replace_access(session, organisation_id=organisation_id, contact_id=contact_id, roles=list(roles))

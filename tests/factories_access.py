"""Test data for the access area: invitations and grants/denials written straight to the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from guichet.domain import models
from guichet.domain.tokens import new_token, token_hash
from tests.conftest import TEST_NOW


async def make_invitation(
    session: Any,
    org: models.Organisation,
    *,
    email: str,
    roles: list[tuple[str, int | None]] | None = None,
    invited_by: int | None = None,
    status: str = "PENDING",
    created_at: Any = TEST_NOW,
) -> tuple[models.Invitation, str]:
    """A pending invitation and its clear token."""
    token = new_token()
    invitation = models.Invitation(
        organisation_id=org.id,
        email=email,
        roles=[{"role": r, "billingAccountId": a} for r, a in roles or []],
        status=status,
        token_hash=token_hash(token),
        invited_by_contact_id=invited_by,
        created_at=created_at,
        expires_at=created_at + timedelta(days=7),
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def set_permissions(
    session: Any, org: models.Organisation, contact_id: int, *, grants: list[tuple[str, str]] = (), denials=()
) -> None:  # type: ignore[assignment]
    for effect, pairs in (("allow", grants), ("deny", denials)):
        for module, action in pairs:
            session.add(
                models.ContactPermission(
                    organisation_id=org.id, contact_id=contact_id, module=module, action=action, effect=effect
                )
            )
    await session.flush()

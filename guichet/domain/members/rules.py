"""Pure rules of members administration (ACCESS.md rules 3, 4 and 5).

Each check raises DomainError with the contract's code: ROLE_NOT_GRANTABLE (a sub-admin grants
a role, scope or module permission it does not hold itself, or any admin power), CANNOT_MANAGE_ADMIN (anything done
to an admin, or granting ADMIN, by someone other than the primary admin; anything done to the
primary admin), FORBIDDEN (changing one's own access).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_

from guichet.domain import models
from guichet.domain.errors import DomainError, ErrorCode
from guichet.policies.rules import Action, ContactAccess, Module, Role

INVITATION_TTL = timedelta(days=7)
PURPOSE_INVITATION = "accept-invitation"

RoleKey = tuple[str, int | None]
Pair = tuple[str, str]
# (module, action) -> may the actor do it over the whole organisation (a Casbin decision)
HoldsEverywhere = Callable[[ContactAccess, str, str], bool]

# The powers that make member managers and integrators (ACCESS.md rule 4: only the primary admin
# creates or manages sub-admins). Only the primary admin hands them out, as a grant, a lifted denial
# or a role carrying them, so a sub-admin (or a member given one of them long ago) cannot pass them on.
ADMIN_POWERS: frozenset[Pair] = frozenset({(Module.MEMBERS, Action.WRITE), (Module.INTEGRATIONS, Action.WRITE)})


def invitation_status(status: str, expires_at: datetime, now: datetime) -> str:
    """PENDING past its expiry shows as EXPIRED; other statuses are stored as they are."""
    if status == "PENDING" and expires_at <= now:
        return "EXPIRED"
    return status


def invitation_status_condition(statuses: Iterable[str], now: datetime) -> ColumnElement[bool]:
    """The SQL form of invitation_status: invitations showing one of `statuses` at `now`."""
    invitation = models.Invitation
    conditions: list[ColumnElement[bool]] = [invitation.status == s for s in set(statuses) & {"ACCEPTED", "REVOKED"}]
    if "PENDING" in statuses:
        conditions.append((invitation.status == "PENDING") & (invitation.expires_at > now))
    if "EXPIRED" in statuses:
        conditions.append((invitation.status == "PENDING") & (invitation.expires_at <= now))
    return or_(*conditions)


def is_admin(access: ContactAccess) -> bool:
    return access.is_primary_admin or any(role == Role.ADMIN for role, _ in access.roles)


@dataclass(frozen=True)
class Grantor:
    """Who changes someone's access, with what it holds, and how the policy answers for it."""

    access: ContactAccess
    holds_everywhere: HoldsEverywhere
    role_permissions: dict[str, set[Pair]]

    @property
    def is_primary(self) -> bool:
        return self.access.is_primary_admin

    def may_manage(self, target: ContactAccess) -> None:
        """Raise unless this grantor may change `target` at all."""
        if target.contact_id == self.access.contact_id:
            raise DomainError(ErrorCode.FORBIDDEN, "own_access", field=["input", "contactId"])
        if target.is_primary_admin:
            raise DomainError(ErrorCode.CANNOT_MANAGE_ADMIN, "primary_admin_protected", field=["input", "contactId"])
        if is_admin(target) and not self.is_primary:
            raise DomainError(ErrorCode.CANNOT_MANAGE_ADMIN, field=["input", "contactId"])

    def may_grant_roles(self, roles: Sequence[RoleKey], *, already: frozenset[RoleKey] = frozenset()) -> None:
        """Raise unless every new (role, scope) is one this grantor holds (over that scope or wider)."""
        for index, (role, account_id) in enumerate(roles):
            field = ["input", "roles", str(index)]
            if role == Role.ADMIN and not self.is_primary:
                raise DomainError(ErrorCode.CANNOT_MANAGE_ADMIN, field=field)
            if self.is_primary or (role, account_id) in already:
                continue
            held = (role, None) in self.access.roles or (
                account_id is not None and (role, account_id) in self.access.roles
            )
            carried = self.role_permissions.get(role, set())
            withdrawn = carried & set(self.access.denials)
            if not held or withdrawn or carried & ADMIN_POWERS:
                raise DomainError(ErrorCode.ROLE_NOT_GRANTABLE, field=field, params={"role": role})

    def may_open(self, pairs: Sequence[Pair], *, field: str) -> None:
        """Raise unless this grantor holds every (module, action) over the whole organisation and,
        for an admin power, is the primary admin."""
        for index, (module, action) in enumerate(pairs):
            if self.is_primary:
                continue
            if (module, action) in ADMIN_POWERS or not self.holds_everywhere(self.access, module, action):
                raise DomainError(
                    ErrorCode.ROLE_NOT_GRANTABLE,
                    "permission_not_grantable",
                    field=["input", field, str(index)],
                    params={"module": module, "action": action},
                )

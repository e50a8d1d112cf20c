"""The SQL of the members lists: contacts by status, role and text; invitations by status."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select

from guichet.domain import models
from guichet.domain.members.rules import invitation_status_condition
from guichet.domain.search import ESCAPE, contains_pattern


def members_statement(
    organisation_id: int, *, statuses: Collection[str], roles: Collection[str], search: str | None
) -> Select[Any]:
    """(contact, person) rows of the organisation; each given condition narrows them.

    `roles`: contacts holding one of them (the primary admin holds every role). `search`: text
    found in the e-mail or a name, case-insensitive and literal (% and _ match themselves, as in
    the invoice search).
    """
    statement = (
        select(models.Contact, models.Person)
        .join(models.Person, models.Person.id == models.Contact.person_id)
        .where(models.Contact.organisation_id == organisation_id)
    )
    if statuses:
        statement = statement.where(models.Contact.status.in_(list(statuses)))
    if roles:
        statement = statement.where(
            or_(
                models.Contact.is_primary_admin.is_(True),
                exists().where(
                    models.RoleAssignment.contact_id == models.Contact.id, models.RoleAssignment.role.in_(list(roles))
                ),
            )
        )
    if search and search.strip():
        pattern = contains_pattern(search)
        statement = statement.where(
            or_(
                func.lower(models.Person.email).like(pattern, escape=ESCAPE),
                func.lower(func.coalesce(models.Person.first_name, "")).like(pattern, escape=ESCAPE),
                func.lower(func.coalesce(models.Person.last_name, "")).like(pattern, escape=ESCAPE),
            )
        )
    return statement


def invitations_statement(organisation_id: int, *, statuses: Collection[str], now: datetime) -> Select[Any]:
    """The organisation's invitations; with `statuses`, those whose status at `now` is one of them."""
    statement = select(models.Invitation).where(models.Invitation.organisation_id == organisation_id)
    if statuses:
        statement = statement.where(invitation_status_condition(set(statuses), now))
    return statement

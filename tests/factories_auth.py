"""Test data and outbox helpers of the auth area: contacts awaiting their first connection, mailed links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from guichet.domain import models
from tests.conftest import TEST_NOW

STRONG_PASSWORD = "Nouveau#Passe9"
_LINK = re.compile(r"(https?://\S+?)/([a-z-]+)\?token=([A-Za-z0-9_-]+)")


@dataclass
class Invited:
    person_id: int
    contact_id: int
    email: str


async def make_invited_contact(
    session: Any, org: models.Organisation, *, email: str, primary_admin: bool = False
) -> Invited:
    """A person named on the back-office feed: no password yet, its contact INVITED."""
    person = models.Person(email=email, first_name=None, last_name=None, created_at=TEST_NOW)
    session.add(person)
    await session.flush()
    contact = models.Contact(
        organisation_id=org.id,
        person_id=person.id,
        status="INVITED",
        is_primary_admin=primary_admin,
        created_at=TEST_NOW,
    )
    session.add(contact)
    await session.flush()
    return Invited(person.id, contact.id, email)


async def outbox(sessionmaker: Any, to: str | None = None) -> list[models.OutboxEmail]:
    """Outbox rows (oldest first), for one recipient when given."""
    async with sessionmaker() as session:
        statement = select(models.OutboxEmail).order_by(models.OutboxEmail.id)
        if to is not None:
            statement = statement.where(models.OutboxEmail.to_address == to)
        return list((await session.execute(statement)).scalars().all())


def link_in(body: str) -> tuple[str, str, str]:
    """(base URL, purpose, token) of the one link in an e-mail body."""
    found = _LINK.findall(body)
    assert len(found) == 1, body
    return found[0]


async def mailed_token(sessionmaker: Any, to: str, purpose: str) -> str:
    """The token of the last e-mail sent to `to`, checking its link has the expected purpose."""
    mails = await outbox(sessionmaker, to)
    assert mails, f"no e-mail to {to}"
    base, found_purpose, token = link_in(mails[-1].body_text)
    assert (base, found_purpose) == ("http://guichet.test", purpose)
    return token

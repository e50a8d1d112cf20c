"""Build test data straight in the database (tests of one feature should not depend on another's API)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from guichet.domain import models
from guichet.domain.passwords import PasswordHashing
from guichet.domain.tokens import new_token, token_hash
from tests.conftest import TEST_NOW

PASSWORD = "Guichet#2026"
_hashing = PasswordHashing("test")
_counter = itertools.count(1)


@dataclass
class Member:
    person_id: int
    contact_id: int
    email: str
    token: str  # a live session's bearer token


async def make_organisation(
    session: Any,
    *,
    name: str = "ACME",
    currency: str = "XOF",
    kind: str = "BUSINESS",
    taxpayer: str | None = None,
) -> models.Organisation:
    n = next(_counter)
    org = models.Organisation(
        name=f"{name} {n}",
        kind=kind,
        taxpayer_number=taxpayer if taxpayer is not None else f"CI-{n:07d}-T",
        currency=currency,
        ref=f"ref-{n}",
        created_at=TEST_NOW,
    )
    session.add(org)
    await session.flush()
    return org


async def make_account(session: Any, org: models.Organisation, *, name: str = "Siège") -> models.BillingAccount:
    account = models.BillingAccount(organisation_id=org.id, number=f"BA-{next(_counter):05d}", name=name)
    session.add(account)
    await session.flush()
    return account


async def make_line(session: Any, account: models.BillingAccount, *, service_type: str = "MOBILE") -> models.Line:
    line = models.Line(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        number=f"+22507{next(_counter):08d}",
        service_type=service_type,
    )
    session.add(line)
    await session.flush()
    return line


async def make_member(
    session: Any,
    org: models.Organisation,
    *,
    roles: list[tuple[str, int | None]] | None = None,
    primary_admin: bool = False,
    status: str = "ACTIVE",
    email: str | None = None,
    with_session: bool = True,
) -> Member:
    """A person with a password, an (active) contact in `org`, its roles and a live session."""
    email = email or f"user{next(_counter)}@example.test"
    person = models.Person(
        email=email,
        password_hash=_hashing.hash(PASSWORD),
        first_name="Test",
        last_name="User",
        created_at=TEST_NOW,
    )
    session.add(person)
    await session.flush()
    contact = models.Contact(
        organisation_id=org.id,
        person_id=person.id,
        status=status,
        is_primary_admin=primary_admin,
        created_at=TEST_NOW,
    )
    session.add(contact)
    await session.flush()
    for role, account_id in roles or []:
        session.add(
            models.RoleAssignment(
                organisation_id=org.id, contact_id=contact.id, role=role, billing_account_id=account_id
            )
        )
    token = new_token()
    if with_session:
        session.add(
            models.Session(
                person_id=person.id,
                token_hash=token_hash(token),
                created_at=TEST_NOW,
                expires_at=TEST_NOW.replace(year=TEST_NOW.year + 1),
            )
        )
    await session.flush()
    return Member(person.id, contact.id, email, token)


async def make_invoice(
    session: Any,
    account: models.BillingAccount,
    *,
    total_minor: int = 25000,
    currency: str = "XOF",
    issue: date = date(2026, 10, 1),
    due: date = date(2026, 10, 31),
    paid_minor: int = 0,
    service_type: str = "MOBILE",
    line_number: str | None = None,
) -> models.Invoice:
    invoice = models.Invoice(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        number=f"F-{next(_counter):09d}",
        service_type=service_type,
        issue_date=issue,
        due_date=due,
        currency=currency,
        total_minor=total_minor,
        amount_paid_minor=paid_minor,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
    )
    session.add(invoice)
    await session.flush()
    session.add(
        models.InvoiceLine(
            invoice_id=invoice.id,
            position=1,
            description="Forfait",
            line_number=line_number,
            amount_minor=total_minor,
        )
    )
    await session.flush()
    return invoice

"""The demo data set goes through the feed importer and gives the README's logins a working portal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from guichet.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo_feed, load_demo
from guichet.domain import models
from guichet.domain.feed.importer import import_feed
from guichet.domain.feed.parse import parse_feed
from tests.conftest import TEST_NOW

TODAY = TEST_NOW.date()
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code } }
}"""
VIEWER = "{ viewer { email organisations { name kind taxpayerNumber billingAccounts { totalCount } } } }"


async def test_the_demo_loads_into_an_empty_database_once(settings, sessionmaker) -> None:
    assert await load_demo(settings, today=TODAY) is True
    assert await load_demo(settings, today=TODAY) is False

    async with sessionmaker() as session:
        orgs = (
            await session.execute(
                select(models.Organisation.name, models.Organisation.kind, models.Organisation.currency).order_by(
                    models.Organisation.id
                )
            )
        ).all()
        assert [tuple(o) for o in orgs] == [
            ("ACME Côte d'Ivoire", "BUSINESS", "XOF"),
            ("Globex SA", "BUSINESS", "EUR"),
            ("Jean Dupont", "INDIVIDUAL", "EUR"),
        ]
        acme_lines = (
            await session.execute(
                select(models.Line.service_type, func.count())
                .join(models.Organisation, models.Organisation.id == models.Line.organisation_id)
                .where(models.Organisation.name == "ACME Côte d'Ivoire")
                .group_by(models.Line.service_type)
                .order_by(models.Line.service_type)
            )
        ).all()
        assert [tuple(r) for r in acme_lines] == [("FIXED", 7), ("INTERNET", 4), ("MOBILE", 19)]
        logins = (
            await session.execute(
                select(models.Person.email, models.Contact.status, models.Contact.is_primary_admin)
                .join(models.Contact, models.Contact.person_id == models.Person.id)
                .where(models.Person.email.in_([email for email, _ in DEMO_LOGINS]))
                .order_by(models.Person.email)
            )
        ).all()
        assert [tuple(r) for r in logins] == [
            ("admin@acme.example", "ACTIVE", True),
            ("admin@globex.example", "ACTIVE", True),
            ("commercial@acme.example", "ACTIVE", False),
            ("direction@acme.example", "ACTIVE", False),
            ("finance@acme.example", "ACTIVE", False),
            ("jean.dupont@example.fr", "ACTIVE", True),
        ]
        invoices = (
            await session.scalars(
                select(models.Invoice).join(models.Organisation).where(models.Organisation.name == "ACME Côte d'Ivoire")
            )
        ).all()
        statuses = {
            "PAID" if i.amount_paid_minor >= i.total_minor else "OVERDUE" if i.due_date < TODAY else "OPEN"
            for i in invoices
        }
        assert statuses == {"OPEN", "OVERDUE", "PAID"}
        assert len({(i.issue_date.year, i.issue_date.month) for i in invoices}) == 12
        assert all(i.total_minor % 100 == 0 for i in invoices)  # XOF amounts without decimals, priced in hundreds
        unnamed = await session.scalar(
            select(func.count())
            .select_from(models.InvoiceLine)
            .join(models.Invoice)
            .where(
                models.Invoice.organisation_id == invoices[0].organisation_id, models.InvoiceLine.line_number.is_(None)
            )
        )
        assert unnamed == 0  # every invoice line names the fleet line it bills


async def test_the_demo_feed_is_idempotent(sessionmaker) -> None:
    feed = parse_feed(build_demo_feed(TODAY))
    async with sessionmaker() as session, session.begin():
        await import_feed(session, feed, now=TEST_NOW)

    async with sessionmaker() as session, session.begin():
        report = await import_feed(session, feed, now=TEST_NOW)

    assert not report.changed


async def test_the_finance_demo_login_reads_its_organisation(settings, gql: Any) -> None:
    await load_demo(settings, today=TODAY)

    login = await gql(LOGIN, {"email": "finance@acme.example", "password": DEMO_PASSWORD})
    assert login["data"]["login"]["errors"] == []
    viewer = await gql(VIEWER, token=login["data"]["login"]["session"]["token"])

    assert viewer == {
        "data": {
            "viewer": {
                "email": "finance@acme.example",
                "organisations": [
                    {
                        "name": "ACME Côte d'Ivoire",
                        "kind": "BUSINESS",
                        "taxpayerNumber": "CI-0123456-A",
                        "billingAccounts": {"totalCount": 3},
                    }
                ],
            }
        }
    }

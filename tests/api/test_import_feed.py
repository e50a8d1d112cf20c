"""`guichet import` semantics against a real database: upsert by business keys, all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import ImportReport, import_feed_file
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
TABLES = (
    "organisations",
    "billing_accounts",
    "lines",
    "people",
    "contacts",
    "role_assignments",
    "invoices",
    "invoice_lines",
    "audit_events",
)


def basic() -> dict[str, Any]:
    return json.loads((FEEDS / "basic.json").read_text())


async def run_import(
    sessionmaker: Any, tmp_path: Path, document: dict[str, Any], *, now: Any = TEST_NOW
) -> ImportReport:
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    return await import_feed_file(sessionmaker, str(path), now=now)


async def refused(sessionmaker: Any, tmp_path: Path, document: dict[str, Any]) -> str:
    with pytest.raises(FeedError) as caught:
        await run_import(sessionmaker, tmp_path, document)
    return str(caught.value)


async def snapshot(sessionmaker: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a feed touches, to prove that a refusal or re-import wrote nothing."""
    tables = {t.name: t for t in models.Base.metadata.sorted_tables}
    async with sessionmaker() as session:
        return {
            name: [
                tuple(row)
                for row in (await session.execute(select(tables[name]).order_by(*tables[name].primary_key))).all()
            ]
            for name in TABLES
        }


async def one(sessionmaker: Any, statement: Any) -> Any:
    async with sessionmaker() as session:
        return (await session.execute(statement)).one()


async def test_a_feed_creates_organisations_accounts_lines_contacts_and_invoices(sessionmaker, tmp_path) -> None:
    report = await run_import(sessionmaker, tmp_path, basic())

    assert report.summary() == (
        "2 organisations (2 created), 3 billing accounts (3 created), 4 lines (4 created), "
        "3 contacts (3 created), 4 invoices (4 created)"
    )
    async with sessionmaker() as session:
        acme = await session.scalar(
            select(models.Organisation).where(models.Organisation.taxpayer_number == "CI-0123456-A")
        )
        assert (acme.name, acme.kind, acme.currency, acme.ref) == ("ACME Côte d'Ivoire", "BUSINESS", "XOF", "acme")
        lines = (
            await session.execute(select(models.Line.number, models.Line.service_type).order_by(models.Line.number))
        ).all()
        assert [tuple(line) for line in lines] == [
            ("+2250701020304", "MOBILE"),
            ("+2250708091011", "MOBILE"),
            ("+2252720212223", "FIXED"),
            ("+33612345678", "MOBILE"),
        ]
        people = (
            await session.execute(
                select(
                    models.Person.email,
                    models.Person.password_hash,
                    models.Person.first_name,
                    models.Contact.status,
                    models.Contact.is_primary_admin,
                )
                .join(models.Contact, models.Contact.person_id == models.Person.id)
                .order_by(models.Person.email)
            )
        ).all()
        assert [tuple(p) for p in people] == [
            ("compta@acme.ci", None, None, "INVITED", False),
            ("dg@acme.ci", None, "Awa", "INVITED", True),
            ("jean.dupont@example.fr", None, "Jean", "INVITED", True),
        ]
        roles = (
            await session.execute(
                select(models.Person.email, models.RoleAssignment.role, models.BillingAccount.number)
                .join(models.Contact, models.Contact.id == models.RoleAssignment.contact_id)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .outerjoin(models.BillingAccount, models.BillingAccount.id == models.RoleAssignment.billing_account_id)
                .order_by(models.Person.email)
            )
        ).all()
        assert [tuple(r) for r in roles] == [
            ("compta@acme.ci", "FINANCE", "BA-1001"),
            ("dg@acme.ci", "MANAGEMENT", None),
        ]
        invoices = (
            await session.execute(
                select(
                    models.Invoice.number,
                    models.Invoice.currency,
                    models.Invoice.total_minor,
                    models.Invoice.amount_paid_minor,
                ).order_by(models.Invoice.number)
            )
        ).all()
        assert [tuple(i) for i in invoices] == [
            ("F-2026-000001", "XOF", 25000, 0),
            ("F-2026-000002", "XOF", 16250, 16250),
            ("F-2026-000003", "XOF", 15000, 0),
            ("F-2026-100001", "EUR", 1999, 0),
        ]
        fixed = await session.scalar(select(models.Invoice).where(models.Invoice.number == "F-2026-000002"))
        invoice_lines = (
            await session.execute(
                select(
                    models.InvoiceLine.position,
                    models.InvoiceLine.description,
                    models.InvoiceLine.line_number,
                    models.InvoiceLine.amount_minor,
                )
                .where(models.InvoiceLine.invoice_id == fixed.id)
                .order_by(models.InvoiceLine.position)
            )
        ).all()
        assert [tuple(line) for line in invoice_lines] == [
            (1, "Abonnement ligne fixe", "+2252720212223", 12500),
            (2, "Communications", "+2252720212223", 3750),
        ]
        events = (await session.execute(select(models.AuditEvent.action, models.AuditEvent.actor_contact_id))).all()
        assert sorted(tuple(e) for e in events) == [("member.added", None)] * 3


async def test_reimporting_the_same_feed_changes_nothing(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    before = await snapshot(sessionmaker)

    report = await run_import(sessionmaker, tmp_path, basic(), now=TEST_NOW + timedelta(days=1))

    assert not report.changed
    assert report.summary() == (
        "2 organisations (2 unchanged), 3 billing accounts (3 unchanged), 4 lines (4 unchanged), "
        "3 contacts (3 unchanged), 4 invoices (4 unchanged)"
    )
    assert await snapshot(sessionmaker) == before


async def test_an_updated_invoice_replaces_its_lines_and_total(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    document = basic()
    document["organisations"][0]["invoices"][0]["lines"] = [
        {"description": "Forfait Business 20 Go", "lineNumber": "+2250701020304", "amount": "25000"},
        {"description": "Hors forfait", "lineNumber": "+2250701020304", "amount": "4300"},
    ]
    later = TEST_NOW + timedelta(days=1)

    report = await run_import(sessionmaker, tmp_path, document, now=later)

    assert (report.tallies["invoices"].updated, report.tallies["invoices"].unchanged) == (1, 3)
    async with sessionmaker() as session:
        invoice = await session.scalar(select(models.Invoice).where(models.Invoice.number == "F-2026-000001"))
        assert (invoice.total_minor, invoice.amount_paid_minor, invoice.updated_at) == (29300, 0, later)
        lines = (
            await session.execute(
                select(models.InvoiceLine.position, models.InvoiceLine.description, models.InvoiceLine.amount_minor)
                .where(models.InvoiceLine.invoice_id == invoice.id)
                .order_by(models.InvoiceLine.position)
            )
        ).all()
        assert [tuple(line) for line in lines] == [(1, "Forfait Business 20 Go", 25000), (2, "Hors forfait", 4300)]


async def test_a_feed_without_amount_paid_keeps_what_was_paid(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    async with sessionmaker() as session, session.begin():
        invoice = await session.scalar(select(models.Invoice).where(models.Invoice.number == "F-2026-000001"))
        invoice.amount_paid_minor = 25000  # paid through Guichet since the first import

    await run_import(sessionmaker, tmp_path, basic())

    paid = await one(
        sessionmaker, select(models.Invoice.amount_paid_minor).where(models.Invoice.number == "F-2026-000001")
    )
    assert paid == (25000,)


async def test_a_feed_never_reopens_a_paid_invoice_without_saying_so(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    before = await snapshot(sessionmaker)
    document = basic()
    document["organisations"][0]["invoices"][1]["amountPaid"] = "0"

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == (
        "organisations[0].invoices[1] (F-2026-000002): amountPaid 0 would lower the amount paid (16250 XOF): "
        'add "reopen": true to reopen this invoice'
    )
    assert await snapshot(sessionmaker) == before


async def test_a_feed_that_says_reopen_lowers_the_amount_paid(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    document = basic()
    document["organisations"][0]["invoices"][1].update(amountPaid="6250", reopen=True)

    await run_import(sessionmaker, tmp_path, document)

    paid = await one(
        sessionmaker, select(models.Invoice.amount_paid_minor).where(models.Invoice.number == "F-2026-000002")
    )
    assert paid == (6250,)


async def test_a_total_below_the_amount_paid_is_refused(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    before = await snapshot(sessionmaker)
    document = basic()
    invoice = document["organisations"][0]["invoices"][1]
    del invoice["amountPaid"]
    invoice["lines"] = invoice["lines"][:1]

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == (
        "organisations[0].invoices[1] (F-2026-000002): total 12500 XOF is below the amount paid (16250 XOF): "
        'give amountPaid with "reopen": true'
    )
    assert await snapshot(sessionmaker) == before


async def test_an_invoice_with_a_payment_under_way_is_not_changed(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    async with sessionmaker() as session, session.begin():
        invoice = await session.scalar(select(models.Invoice).where(models.Invoice.number == "F-2026-000001"))
        invoice.pending_payment_id = 4242
    before = await snapshot(sessionmaker)
    document = basic()
    document["organisations"][0]["invoices"][0]["lines"][0]["amount"] = "26000"

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == (
        "organisations[0].invoices[0] (F-2026-000001): a payment is under way for this invoice: "
        "import it again once the payment completes"
    )
    assert await snapshot(sessionmaker) == before


async def test_reimport_replaces_a_contacts_roles_and_audits_it_once(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    document = basic()
    document["organisations"][0]["contacts"][1]["roles"] = [
        {"role": "FINANCE", "billingAccount": "BA-1002"},
        {"role": "COMMERCIAL"},
    ]

    await run_import(sessionmaker, tmp_path, document)
    await run_import(sessionmaker, tmp_path, document)

    async with sessionmaker() as session:
        roles = (
            await session.execute(
                select(models.RoleAssignment.role, models.BillingAccount.number)
                .join(models.Contact, models.Contact.id == models.RoleAssignment.contact_id)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .outerjoin(models.BillingAccount, models.BillingAccount.id == models.RoleAssignment.billing_account_id)
                .where(models.Person.email == "compta@acme.ci")
                .order_by(models.RoleAssignment.role)
            )
        ).all()
        assert [tuple(r) for r in roles] == [("COMMERCIAL", None), ("FINANCE", "BA-1002")]
        changes = (
            await session.scalars(
                select(models.AuditEvent.summary).where(models.AuditEvent.action == "member.access_changed")
            )
        ).all()
        assert changes == ["Back office updated compta@acme.ci; roles: FINANCE on BA-1002, COMMERCIAL"]


async def test_a_feed_without_roles_keeps_the_stored_ones(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    before = await snapshot(sessionmaker)
    document = basic()
    for contact in document["organisations"][0]["contacts"]:
        del contact["roles"]
    del document["organisations"][0]["contacts"][0]["primaryAdmin"]

    report = await run_import(sessionmaker, tmp_path, document)

    assert not report.changed
    assert await snapshot(sessionmaker) == before


async def test_a_person_who_already_signs_in_becomes_an_active_contact(sessionmaker, tmp_path) -> None:
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_organisation(session)
        member = await make_member(session, elsewhere, email="compta@acme.ci")

    await run_import(sessionmaker, tmp_path, basic())

    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(models.Organisation.name, models.Contact.status)
                .join(models.Contact, models.Contact.organisation_id == models.Organisation.id)
                .where(models.Contact.person_id == member.person_id)
                .order_by(models.Organisation.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(elsewhere.name, "ACTIVE"), ("ACME Côte d'Ivoire", "ACTIVE")]


async def test_an_unknown_billing_account_is_named_and_nothing_is_written(sessionmaker, tmp_path) -> None:
    document = basic()
    document["organisations"][0]["invoices"][2]["billingAccount"] = "BA-9999"

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == "organisations[0].invoices[2] (F-2026-000003): unknown billing account BA-9999"
    assert await snapshot(sessionmaker) == {name: [] for name in TABLES}


async def test_a_role_on_an_unknown_billing_account_is_refused(sessionmaker, tmp_path) -> None:
    document = basic()
    document["organisations"][0]["contacts"][1]["roles"][0]["billingAccount"] = "BA-7001"  # Jean's account

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == "organisations[0].contacts[1] (compta@acme.ci): unknown billing account BA-7001"
    assert await snapshot(sessionmaker) == {name: [] for name in TABLES}


async def test_a_duplicate_invoice_number_writes_nothing(sessionmaker, tmp_path) -> None:
    document = basic()
    document["organisations"][1]["invoices"][0]["number"] = "F-2026-000001"

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == (
        "organisations[1].invoices[0] (F-2026-000001): duplicate invoice number F-2026-000001 "
        "(also organisations[0].invoices[0] (F-2026-000001))"
    )
    assert await snapshot(sessionmaker) == {name: [] for name in TABLES}


async def test_a_billing_account_of_another_organisation_is_refused(sessionmaker, tmp_path) -> None:
    async with sessionmaker() as session, session.begin():
        other = await make_organisation(session)
        account = await make_account(session, other)
    before = await snapshot(sessionmaker)
    document = basic()
    document["organisations"][0]["billingAccounts"][1]["number"] = account.number
    document["organisations"][0]["invoices"][2]["billingAccount"] = account.number

    reason = await refused(sessionmaker, tmp_path, document)

    assert (
        reason
        == f"organisations[0].billingAccounts[1] ({account.number}): billing account {account.number} belongs to another organisation"
    )
    assert await snapshot(sessionmaker) == before


async def test_a_second_primary_admin_is_refused(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    before = await snapshot(sessionmaker)
    document = basic()
    document["organisations"][0]["contacts"][0]["primaryAdmin"] = None
    document["organisations"][0]["contacts"][1]["primaryAdmin"] = True

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == (
        'organisations[0].contacts[1] (compta@acme.ci): the organisation already has a primary admin: mark the current one "primaryAdmin": false in the same feed'
    )
    assert await snapshot(sessionmaker) == before


async def test_the_primary_admin_can_be_handed_over_in_one_feed(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    document = basic()
    document["organisations"][0]["contacts"][0]["primaryAdmin"] = False
    document["organisations"][0]["contacts"][1]["primaryAdmin"] = True

    await run_import(sessionmaker, tmp_path, document)

    async with sessionmaker() as session:
        admins = (
            await session.scalars(
                select(models.Person.email)
                .join(models.Contact, models.Contact.person_id == models.Person.id)
                .where(models.Contact.is_primary_admin.is_(True))
                .order_by(models.Person.email)
            )
        ).all()
    assert admins == ["compta@acme.ci", "jean.dupont@example.fr"]


async def test_the_currency_cannot_change_once_invoices_exist(sessionmaker, tmp_path) -> None:
    await run_import(sessionmaker, tmp_path, basic())
    document = basic()
    document["organisations"][0]["currency"] = "EUR"
    for invoice in document["organisations"][0]["invoices"]:
        invoice.pop("amountPaid", None)

    reason = await refused(sessionmaker, tmp_path, document)

    assert reason == "organisations[0] (CI-0123456-A): currency cannot change from XOF to EUR once invoices exist"

"""guichet.db.fetch_all gives exactly the rows session.execute(...).all() gives, statement for statement.

The dashboard's reads go through it (on PostgreSQL straight to asyncpg, elsewhere through the
session); a difference in a value, its type or a column name would change answers in both the
compiled and the reference execution alike, which the differential check cannot see: this test does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from guichet.db import fetch_all, fetch_first, is_postgresql
from guichet.domain.invoices import queries
from guichet.domain.models.payments import Payment, PaymentInvoice
from guichet.domain.tokens import token_hash
from guichet.policies.store import _VIEWER_ACCESS
from guichet.resolvers.context import _VIEWER_STATEMENT
from guichet.resolvers.payments import _PAYMENTS_BY_INVOICE
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_invoices import make_full_invoice


def _same(expected: list[Any], found: list[Any]) -> None:
    assert [tuple(r) for r in found] == [tuple(r) for r in expected]
    assert [[type(v) for v in r] for r in found] == [[type(v) for v in r] for r in expected]
    if expected:
        assert tuple(found[0]._fields) == tuple(expected[0]._fields)


async def test_the_dashboard_statements_read_the_same_rows_as_the_session(app: Any, sessionmaker: Any) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(2)]
        invoices = [
            await make_full_invoice(
                session,
                accounts[i % 2],
                due=date(2026, 9, 1) + timedelta(days=i),
                paid_minor=1000 if i % 3 == 0 else 0,
                lines=[("Forfait", "+2250700000001", 700), ("Options", None, 300)],
            )
            for i in range(6)
        ]
        member = await make_member(session, org, roles=[("FINANCE", None)])
        payment = Payment(
            organisation_id=org.id,
            payer_contact_id=member.contact_id,
            reference="GP-DRIVER01",
            method="BANK_TRANSFER",
            status="PENDING",
            currency="XOF",
            amount_minor=1000,
            received_minor=0,
            instructions={"key": "payment_instructions_bank_transfer", "params": {"reference": "GP-DRIVER01"}},
            created_at=TEST_NOW,
            updated_at=TEST_NOW,
        )
        session.add(payment)
        await session.flush()
        session.add(
            PaymentInvoice(
                payment_id=payment.id,
                invoice_id=invoices[1].id,
                organisation_id=org.id,
                requested_minor=1000,
                amount_minor=0,
            )
        )
    today = date(2026, 9, 3)
    where = queries.conditions(
        organisation_id=org.id, account_ids=None, criteria=queries.InvoiceCriteria(), today=today
    )
    ordering = queries.InvoiceOrdering("DUE_DATE", descending=False)
    ids = [i.id for i in invoices]
    statements = [
        (queries.page_statement(where, ordering, after=None, limit=5, today=today, with_account=True), None),
        (queries.page_statement(where, ordering, after=(date(2026, 9, 2), ids[1]), limit=5, today=today), None),
        (queries.count_statement(where), None),
        (queries.summary_statement(where, today=today), None),
        (queries.lines_statement(ids), None),
        (_PAYMENTS_BY_INVOICE.expanding, {"ids": ids}),
        (queries.LINES_OF_INVOICES.expanding, {"ids": ids}),
        (_VIEWER_STATEMENT, {"token_hash": token_hash(member.token), "now": TEST_NOW}),
        (_VIEWER_ACCESS, {"organisation_id": org.id, "person_id": member.person_id}),
        (queries.page_statement(where, ordering, after=None, limit=5, today=today, with_total=True), None),
    ]
    engine = app.state.guichet.engine
    async with app.state.guichet.read_sessionmaker() as session:
        if is_postgresql(session):
            statements += [
                (queries.LINES_OF_INVOICES.array, {"ids": ids}),
                (_PAYMENTS_BY_INVOICE.array, {"ids": ids}),
            ]
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    async with app.state.guichet.read_sessionmaker() as session:
        for statement, params in statements:
            expected = list((await session.execute(statement, params)).all())
            assert expected, statement
            event.listen(engine.sync_engine, "before_cursor_execute", before)
            try:
                found = await fetch_all(session, statement, params)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", before)
            _same(expected, found)
        assert len(seen) == len(statements)  # statement counters see every one
        assert await fetch_first(session, _VIEWER_STATEMENT, {"token_hash": "unknown", "now": TEST_NOW}) is None


async def test_statements_of_one_shape_each_read_their_own_values(app: Any, sessionmaker: Any) -> None:
    # Two organisations' page statements are one shape with other bound values: the driver path
    # compiles the shape once and binds each statement's own values (a miss on a page never seen
    # costs no compilation), so each page still reads its own organisation's invoices.
    today = date(2026, 9, 3)
    async with sessionmaker() as session, session.begin():
        orgs = [await make_organisation(session) for _ in range(2)]
        for index, org in enumerate(orgs):
            account = await make_account(session, org, name=f"Site {index}")
            for day in range(index + 2):
                await make_full_invoice(session, account, due=date(2026, 9, 1) + timedelta(days=day))
    ordering = queries.InvoiceOrdering("DUE_DATE", descending=False)

    def page(org_id: int) -> Any:
        where = queries.conditions(
            organisation_id=org_id, account_ids=None, criteria=queries.InvoiceCriteria(), today=today
        )
        return queries.page_statement(where, ordering, after=None, limit=10, today=today, with_total=True)

    async with app.state.guichet.read_sessionmaker() as session:
        for org in (*orgs, *reversed(orgs)):
            expected = list((await session.execute(page(org.id))).all())
            found = await fetch_all(session, page(org.id))
            _same(expected, found)
            assert {row.organisation_id for row in found} == {org.id}
        assert [len(await fetch_all(session, page(org.id))) for org in orgs] == [2, 3]

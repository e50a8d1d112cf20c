"""Organisation.spending: invoiced, paid and due amounts grouped as asked, within scope (REPORTS READ)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.execution.executor import verification_rerun
from tests.factories import make_account, make_invoice, make_line, make_member, make_organisation

SPENDING = """
query($id: ID!, $from: Date!, $to: Date!, $groupBy: [SpendingDimension!]!) {
  organisation(id: $id) {
    spending(from: $from, to: $to, groupBy: $groupBy) {
      month serviceType billingAccount { number } line { number }
      invoiceCount invoiced { amount currency } paid { amount } due { amount }
    }
  }
}
"""


async def _world(session: Any) -> dict[str, Any]:
    """Two accounts; a two-line invoice partly paid, an unnumbered-line invoice, one paid on B, one out of range."""
    org = await make_organisation(session)
    a = await make_account(session, org, name="A")
    b = await make_account(session, org, name="B")
    la1, la2 = await make_line(session, a), await make_line(session, a)
    lb1 = await make_line(session, b)
    first = await make_invoice(
        session, a, total_minor=30000, paid_minor=25000, issue=date(2026, 9, 5), line_number=la1.number
    )
    # Two lines: 20000 on LA1 (printed first), 10000 on LA2.
    await session.execute(
        models.InvoiceLine.__table__.update()
        .where(models.InvoiceLine.__table__.c.invoice_id == first.id)
        .values(amount_minor=20000)
    )
    session.add(
        models.InvoiceLine(
            invoice_id=first.id, position=2, description="Data", line_number=la2.number, amount_minor=10000
        )
    )
    await make_invoice(session, a, total_minor=15000, issue=date(2026, 10, 1), service_type="INTERNET")
    await make_invoice(session, b, total_minor=8000, paid_minor=8000, issue=date(2026, 10, 15), line_number=lb1.number)
    await make_invoice(session, a, total_minor=99999, issue=date(2026, 12, 1), line_number=la1.number)
    manager = await make_member(session, org, roles=[("MANAGEMENT", None)])
    finance_a = await make_member(session, org, roles=[("FINANCE", a.id)])
    commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])
    await session.flush()
    return {
        "id": to_global_id("Organisation", org.id),
        "a": a.number,
        "b": b.number,
        "lines": (la1.number, la2.number, lb1.number),
        "manager": manager.token,
        "finance_a": finance_a.token,
        "commercial": commercial.token,
    }


def _vars(world: dict[str, Any], group_by: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": world["id"], "from": "2026-09-01", "to": "2026-11-30", "groupBy": group_by, **extra}


def _figures(row: dict[str, Any]) -> tuple[int, str, str, str]:
    return row["invoiceCount"], row["invoiced"]["amount"], row["paid"]["amount"], row["due"]["amount"]


async def test_spending_by_month_adds_invoiced_paid_and_due(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, ["MONTH"]), token=world["manager"])

    rows = result["data"]["organisation"]["spending"]
    assert [(r["month"], *_figures(r)) for r in rows] == [
        ("2026-09-01", 1, "30000", "25000", "5000"),
        ("2026-10-01", 2, "23000", "8000", "15000"),
    ]
    assert {r["invoiced"]["currency"] for r in rows} == {"XOF"}
    assert all(r["serviceType"] is None and r["billingAccount"] is None and r["line"] is None for r in rows)


async def test_spending_by_line_settles_lines_in_printed_order(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, ["LINE"]), token=world["manager"])

    rows = result["data"]["organisation"]["spending"]
    la1, la2, lb1 = world["lines"]
    assert [((r["line"] or {}).get("number"), *_figures(r)) for r in rows] == [
        (la1, 1, "20000", "20000", "0"),
        (la2, 1, "10000", "5000", "5000"),
        (lb1, 1, "8000", "8000", "0"),
        (None, 1, "15000", "0", "15000"),
    ]


async def test_spending_by_service_type_and_account(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, ["BILLING_ACCOUNT", "SERVICE_TYPE"]), token=world["manager"])

    rows = result["data"]["organisation"]["spending"]
    assert [(r["serviceType"], r["billingAccount"]["number"], *_figures(r)) for r in rows] == [
        ("INTERNET", world["a"], 1, "15000", "0", "15000"),
        ("MOBILE", world["a"], 1, "30000", "25000", "5000"),
        ("MOBILE", world["b"], 1, "8000", "8000", "0"),
    ]


async def test_spending_of_a_scoped_reader_counts_only_its_accounts(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, []), token=world["finance_a"])

    assert [_figures(r) for r in result["data"]["organisation"]["spending"]] == [(2, "45000", "25000", "20000")]


async def test_spending_is_one_statement(gql, sessionmaker, app) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not verification_rerun():  # the suite's differential re-execution is not the request's cost
            statements.append(statement)

    engine = app.state.guichet.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await gql(SPENDING, _vars(world, ["MONTH"]), token=world["manager"])
        one_dimension = len(statements)
        statements.clear()
        await gql(SPENDING, _vars(world, ["MONTH", "SERVICE_TYPE", "BILLING_ACCOUNT", "LINE"]), token=world["manager"])
        every_dimension = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert one_dimension == every_dimension
    assert sum("GROUP BY" in s for s in statements) == 1


async def test_spending_needs_reports_read(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, ["MONTH"]), token=world["commercial"])

    assert result["data"] == {"organisation": None}
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "REPORTS", "action": "READ"}


async def test_spending_refuses_a_reversed_range(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await _world(session)

    result = await gql(SPENDING, _vars(world, ["MONTH"], to="2026-08-31"), token=world["manager"], lang="fr")

    assert result["errors"][0]["extensions"] == {"code": "VALIDATION", "field": ["to"]}
    assert result["errors"][0]["message"] == "La fin de la période précède son début."

"""Reading payments: Organisation.payments (filters, scope), Invoice.payments, Payment.invoices, node."""

from __future__ import annotations

from sqlalchemy import event

from guichet.domain.ids import to_global_id
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_invoice, make_member
from tests.factories_payments import PAY, make_pay_world, pay_input, send_webhook

LIST = """
query($id: ID!, $filter: PaymentFilter, $first: Int, $after: String) {
  organisation(id: $id) {
    payments(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { reference method status amount { amount currency } invoices { number status amountPaid { amount } paymentPending } } }
    }
  }
}
"""

INVOICE_PAYMENTS = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Invoice { number payments { reference status } } } }
"""

NODE = "query($id: ID!) { node(id: $id) { ... on Payment { reference } } }"


async def _pay(gql, world, key: str, indexes: tuple[int, ...], method: str = "ORANGE_MONEY"):  # type: ignore[no-untyped-def]
    data = pay_input(world, key=key, method=method)
    data["input"]["invoiceIds"] = world.invoice_ids(*indexes)
    result = await gql(PAY, data, token=world.finance.token)
    assert result["data"]["payInvoices"]["errors"] == [], result
    return result["data"]["payInvoices"]["payment"]


async def test_payments_are_listed_newest_first_with_their_invoices(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 2000, 3000))
    first = await _pay(gql, world, "a", (0,))
    second = await _pay(gql, world, "b", (1, 2), method="BANK_TRANSFER")
    await send_webhook(http, "orange-money", {"reference": first["reference"], "status": "SUCCEEDED"}, at=TEST_NOW)

    result = await gql(LIST, {"id": world.org_id}, token=world.finance.token)

    connection = result["data"]["organisation"]["payments"]
    assert connection["totalCount"] == 2
    nodes = [e["node"] for e in connection["edges"]]
    assert [(n["reference"], n["status"]) for n in nodes] == [
        (second["reference"], "PENDING"),
        (first["reference"], "SUCCEEDED"),
    ]
    assert [i["number"] for i in nodes[0]["invoices"]] == [world.invoices[1].number, world.invoices[2].number]
    assert all(i["paymentPending"] for i in nodes[0]["invoices"])
    assert nodes[1]["invoices"] == [
        {
            "number": world.invoices[0].number,
            "status": "PAID",
            "amountPaid": {"amount": "1000"},
            "paymentPending": False,
        }
    ]


async def test_filters_by_status_and_method(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 2000, 3000))
    orange = await _pay(gql, world, "a", (0,))
    bank = await _pay(gql, world, "b", (1,), method="BANK_TRANSFER")
    card = pay_input(world, key="c", method="CARD")
    card["input"]["invoiceIds"] = world.invoice_ids(2)
    card["input"]["card"] = {"number": "4000000000000002", "expMonth": 1, "expYear": 2030, "cvc": "123"}
    await gql(PAY, card, token=world.finance.token)

    async def references(filter: dict) -> list[str]:  # type: ignore[type-arg]
        result = await gql(LIST, {"id": world.org_id, "filter": filter}, token=world.finance.token)
        return [e["node"]["reference"] for e in result["data"]["organisation"]["payments"]["edges"]]

    assert await references({"method": ["BANK_TRANSFER"]}) == [bank["reference"]]
    assert len(await references({"status": ["FAILED"]})) == 1
    assert await references({"status": ["PENDING"], "method": ["ORANGE_MONEY", "CARD"]}) == [orange["reference"]]
    assert await references({"status": ["SUCCEEDED"]}) == []


async def test_pages_follow_the_cursor(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 2000, 3000))
    made = [await _pay(gql, world, f"k{i}", (i,)) for i in range(3)]

    page1 = (await gql(LIST, {"id": world.org_id, "first": 2}, token=world.finance.token))["data"]
    cursor = page1["organisation"]["payments"]["pageInfo"]["endCursor"]
    page2 = (await gql(LIST, {"id": world.org_id, "first": 2, "after": cursor}, token=world.finance.token))["data"]

    refs = [e["node"]["reference"] for p in (page1, page2) for e in p["organisation"]["payments"]["edges"]]
    assert refs == [m["reference"] for m in reversed(made)]
    assert page1["organisation"]["payments"]["pageInfo"]["hasNextPage"] is True
    assert page2["organisation"]["payments"]["pageInfo"]["hasNextPage"] is False


async def test_scoped_reader_sees_only_payments_within_its_accounts(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000,))
        other = await make_account(session, world.org)
        world.invoices.append(await make_invoice(session, other, total_minor=500))
        scoped = await make_member(session, world.org, roles=[("FINANCE", world.account.id)])
    mine = await _pay(gql, world, "a", (0,))
    theirs = await _pay(gql, world, "b", (1,))

    listed = await gql(LIST, {"id": world.org_id}, token=scoped.token)
    visible = await gql(NODE, {"id": mine["id"]}, token=scoped.token)
    hidden = await gql(NODE, {"id": theirs["id"]}, token=scoped.token)

    edges = listed["data"]["organisation"]["payments"]["edges"]
    assert [e["node"]["reference"] for e in edges] == [mine["reference"]]
    assert visible["data"]["node"] == {"reference": mine["reference"]}
    assert hidden["data"]["node"] is None


async def test_reading_needs_payments_read(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        commercial = await make_member(session, world.org, roles=[("COMMERCIAL", None)])
    payment = await _pay(gql, world, "a", (0,))

    listed = await gql(LIST, {"id": world.org_id}, token=commercial.token)
    node = await gql(NODE, {"id": payment["id"]}, token=commercial.token)

    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert node["data"]["node"] is None


async def test_invoice_payments_list_every_attempt(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    failed = await _pay(gql, world, "a", (0, 1))
    await send_webhook(http, "orange-money", {"reference": failed["reference"], "status": "FAILED"}, at=TEST_NOW)
    retried = await _pay(gql, world, "b", (0,))

    result = await gql(INVOICE_PAYMENTS, {"ids": world.invoice_ids()}, token=world.finance.token)

    assert result["data"]["nodes"] == [
        {
            "number": world.invoices[0].number,
            "payments": [
                {"reference": retried["reference"], "status": "PENDING"},
                {"reference": failed["reference"], "status": "FAILED"},
            ],
        },
        {"number": world.invoices[1].number, "payments": [{"reference": failed["reference"], "status": "FAILED"}]},
    ]


async def test_a_page_of_payments_costs_the_same_queries_for_5_and_for_25(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=tuple(100 + i for i in range(25)))
    for i in range(25):
        await _pay(gql, world, f"k{i}", (i,))
    engine = app.state.guichet.engine.sync_engine
    counts = []
    for size in (5, 25):
        statements: list[str] = []

        def count(*args, statements=statements, **kwargs) -> None:  # type: ignore[no-untyped-def]
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            result = await gql(LIST, {"id": world.org_id, "first": size}, token=world.finance.token)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(result["data"]["organisation"]["payments"]["edges"]) == size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_foreign_payment_id_answers_null(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
        stranger_world = await make_pay_world(session)
    payment = await _pay(gql, world, "a", (0,))

    result = await gql(NODE, {"id": payment["id"]}, token=stranger_world.finance.token)
    unknown = await gql(NODE, {"id": to_global_id("Payment", 999999)}, token=stranger_world.finance.token)

    assert result["data"]["node"] is None
    assert unknown["data"]["node"] is None


async def test_filters_by_creation_instant(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(1000, 2000))
    first = await _pay(gql, world, "a", (0,))
    second = await _pay(gql, world, "b", (1,))
    async with sessionmaker() as session, session.begin():
        from guichet.domain.models.payments import Payment

        await session.execute(
            Payment.__table__.update()
            .where(Payment.__table__.c.reference == first["reference"])
            .values(created_at=TEST_NOW.replace(day=1))
        )

    async def references(filter: dict) -> list[str]:  # type: ignore[type-arg]
        result = await gql(LIST, {"id": world.org_id, "filter": filter}, token=world.finance.token)
        return [e["node"]["reference"] for e in result["data"]["organisation"]["payments"]["edges"]]

    assert await references({"createdFrom": "2026-11-02T00:00:00Z"}) == [second["reference"]]
    assert await references({"createdTo": "2026-11-25T10:00:00Z"}) == [first["reference"]]
    assert await references({"createdFrom": "2026-11-01T10:00:00Z", "createdTo": "2026-11-25T10:00:01Z"}) == [
        second["reference"],
        first["reference"],
    ]
    refused = await gql(
        LIST,
        {"id": world.org_id, "filter": {"createdFrom": "2026-11-02T00:00:00Z", "createdTo": "2026-11-01T00:00:00Z"}},
        token=world.finance.token,
    )
    assert refused["errors"][0]["extensions"] == {"code": "VALIDATION", "field": ["filter", "createdTo"]}

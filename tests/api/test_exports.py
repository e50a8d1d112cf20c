"""startExport / cancelExport / exports: files equal to the lists, checksummed, scoped, run once."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from guichet import events
from guichet.domain.ids import to_global_id
from guichet.domain.invoices.pdf import FpdfInvoiceRenderer
from guichet.domain.models import AuditEvent
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting.files import ExportStore
from guichet.export_worker import ExportWorker, LostClaim
from tests.conftest import TEST_NOW
from tests.factories_exports import (
    CANCEL,
    NODE,
    START,
    download,
    held_job,
    make_export_world,
    sha256,
    start_input,
    wait_final,
)

LIST = """
query($id: ID!, $filter: InvoiceFilter) {
  organisation(id: $id) {
    invoices(first: 100, filter: $filter) {
      edges { node { id number status total { amount currency } amountDue { amount } billingAccount { id number } } }
    }
  }
}
"""
LIST_EXPORTS = """
query($id: ID!, $status: [ExportStatus!]) {
  organisation(id: $id) { exports(first: 10, status: $status) { edges { node { id kind status } } } }
}
"""


async def _start(gql, world, token, **kwargs):  # type: ignore[no-untyped-def]
    result = await gql(START, start_input(world, **kwargs), token=token)
    return result["data"]["startExport"]


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def test_invoice_csv_equals_the_list_for_the_same_filter(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
    invoice_filter = {"status": ["OPEN", "OVERDUE"]}

    started = await _start(gql, world, world.manager.token, invoiceFilter=invoice_filter)
    done = await wait_final(gql, started["export"]["id"], world.manager.token)

    assert started["errors"] == [] and started["export"]["status"] == "CREATED"
    assert started["export"]["createdBy"] == {"email": world.manager.email}
    assert done["status"] == "COMPLETED"
    body = await download(http, done["url"])
    assert sha256(body) == done["sha256"] and len(body) == done["fileSize"]
    rows = _csv(body)
    assert rows[0] == done["columns"]
    exported = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    listed = (await gql(LIST, {"id": world.org_id, "filter": invoice_filter}, token=world.manager.token))["data"]
    expected = sorted(
        (
            n["id"],
            n["number"],
            n["status"],
            n["total"]["amount"],
            n["amountDue"]["amount"],
            n["total"]["currency"],
            n["billingAccount"]["id"],
        )
        for n in (e["node"] for e in listed["organisation"]["invoices"]["edges"])
    )
    assert (
        sorted(
            (r["id"], r["number"], r["status"], r["total"], r["amount_due"], r["currency"], r["billing_account_id"])
            for r in exported
        )
        == expected
    )
    assert done["rowCount"] == len(expected) == 4
    assert body.endswith(b"\r\n") and not body.startswith(b"\xef\xbb\xbf")
    async with sessionmaker() as session:
        actions = (await session.execute(select(AuditEvent.action, AuditEvent.subject_id))).all()
    assert ("export.started", started["export"]["id"]) in actions
    assert ("export.downloaded", started["export"]["id"]) in actions


AMOUNTS = """
query($id: ID!) { organisation(id: $id) { invoices(first: 100) { edges { node {
  id total { amount } amountPaid { amount } rewardsApplied { amount } amountDue { amount } } } } } }
"""


async def test_invoice_csv_splits_what_payments_and_rewards_settled_as_the_list_does(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        settled = world.invoices[0]  # 12,500 XOF: 4,000 paid by card, 2,500 by rewards
        settled.amount_paid_minor, settled.rewards_applied_minor = 6500, 2500
    started = await _start(gql, world, world.manager.token)

    done = await wait_final(gql, started["export"]["id"], world.manager.token)

    rows = _csv(await download(http, done["url"]))
    exported = {r["id"]: r for r in (dict(zip(rows[0], r, strict=True)) for r in rows[1:])}
    row = exported[to_global_id("Invoice", settled.id)]
    assert (row["total"], row["amount_paid"], row["rewards_applied"], row["amount_due"]) == (
        "12500",
        "4000",
        "2500",
        "6000",
    )
    listed = (await gql(AMOUNTS, {"id": world.org_id}, token=world.manager.token))["data"]
    for node in (e["node"] for e in listed["organisation"]["invoices"]["edges"]):
        r = exported[node["id"]]
        assert (r["total"], r["amount_paid"], r["rewards_applied"], r["amount_due"]) == (
            node["total"]["amount"],
            node["amountPaid"]["amount"],
            node["rewardsApplied"]["amount"],
            node["amountDue"]["amount"],
        )


async def test_invoice_lines_jsonl_carry_their_invoice_and_neutralise_formulas(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    started = await _start(gql, world, world.manager.token, kind="INVOICE_LINES", file_format="JSONL")
    done = await wait_final(gql, started["export"]["id"], world.manager.token)
    csv_started = await _start(gql, world, world.manager.token, kind="INVOICE_LINES", file_format="CSV")
    csv_done = await wait_final(gql, csv_started["export"]["id"], world.manager.token)

    lines = [json.loads(line) for line in (await download(http, done["url"])).decode().splitlines()]
    assert len(lines) == done["rowCount"] == 5
    assert all(list(line) == done["columns"] for line in lines)
    by_invoice = {line["invoice_id"]: line for line in lines}
    risky = by_invoice[to_global_id("Invoice", world.invoices[3].id)]
    assert (risky["amount"], risky["currency"], risky["line_number"]) == ("99000", "XOF", "=cmd|' /C calc'!A0")
    csv_rows = _csv(await download(http, csv_done["url"]))
    assert ["'=cmd|' /C calc'!A0"] == [r[4] for r in csv_rows[1:] if r[0] == risky["invoice_id"]]


async def test_a_scoped_reader_exports_only_its_accounts(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    started = await _start(gql, world, world.finance_a.token)
    done = await wait_final(gql, started["export"]["id"], world.finance_a.token)

    rows = _csv(await download(http, done["url"]))
    assert {r[3] for r in rows[1:]} == {world.account_a.number}
    assert sorted(r[1] for r in rows[1:]) == sorted(i.number for i in world.invoices[:3])
    # Another contact's export is unknown to the finance contact and absent from its list.
    other = await _start(gql, world, world.manager.token)
    assert (await gql(NODE, {"id": other["export"]["id"]}, token=world.finance_a.token))["data"]["node"] is None
    listed = await gql(LIST_EXPORTS, {"id": world.org_id}, token=world.finance_a.token)
    assert [e["node"]["id"] for e in listed["data"]["organisation"]["exports"]["edges"]] == [started["export"]["id"]]


async def test_payments_export_in_jsonl_lists_the_payments_invoices(gql, http, sessionmaker) -> None:
    from tests.factories_payments import PAY, make_pay_world, pay_input

    async with sessionmaker() as session, session.begin():
        pay = await make_pay_world(session, totals=(1000, 2000))
    data = pay_input(pay)
    data["input"]["invoiceIds"] = pay.invoice_ids(0, 1)
    payment = (await gql(PAY, data, token=pay.finance.token))["data"]["payInvoices"]["payment"]
    start = {
        "input": {
            "organisationId": pay.org_id,
            "kind": "PAYMENTS",
            "format": "JSONL",
            "idempotencyKey": "p",
            "paymentFilter": {"createdFrom": "2026-11-25T00:00:00Z"},
        }
    }

    started = (await gql(START, start, token=pay.finance.token))["data"]["startExport"]
    done = await wait_final(gql, started["export"]["id"], pay.finance.token)

    [line] = [json.loads(x) for x in (await download(http, done["url"])).decode().splitlines()]
    assert line["id"] == payment["id"] and line["reference"] == payment["reference"]
    assert (line["status"], line["amount"], line["currency"]) == ("PENDING", "3000", "XOF")
    assert line["invoice_ids"] == pay.invoice_ids(0, 1)


async def test_invoice_pdfs_are_a_zip_with_an_index(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    started = await _start(gql, world, world.finance_a.token, kind="INVOICE_PDFS", file_format="ZIP")
    done = await wait_final(gql, started["export"]["id"], world.finance_a.token)

    archive = zipfile.ZipFile(io.BytesIO(await download(http, done["url"])))
    index = _csv(archive.read("index.csv"))
    assert index[0] == done["columns"] == ["invoice_id", "number", "file", "sha256"]
    assert sorted(r[1] for r in index[1:]) == sorted(i.number for i in world.invoices[:3])
    for _, _, name, digest in index[1:]:
        assert archive.read(name).startswith(b"%PDF") and sha256(archive.read(name)) == digest


async def test_a_format_that_does_not_fit_the_kind_is_refused(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    zip_of_rows = await _start(gql, world, world.manager.token, file_format="ZIP")
    csv_of_pdfs = await _start(gql, world, world.manager.token, kind="INVOICE_PDFS")

    assert [(e["code"], e["field"]) for e in zip_of_rows["errors"] + csv_of_pdfs["errors"]] == [
        ("VALIDATION", ["input", "format"]),
        ("VALIDATION", ["input", "format"]),
    ]


async def test_exports_need_reports_export_and_read_on_the_module(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    commercial = await gql(START, start_input(world), token=world.commercial.token)
    audit = await gql(START, start_input(world, kind="AUDIT_EVENTS"), token=world.manager.token)

    assert commercial["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "REPORTS", "action": "EXPORT"}
    assert audit["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "AUDIT", "action": "READ"}
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(ExportJob))).scalar_one() == 0


async def test_a_third_export_waits_for_the_running_two(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        session.add(held_job(world.org.id, world.manager.contact_id, key="one"))
        session.add(held_job(world.org.id, world.manager.contact_id, key="two", status="CREATED", attempt=0))
    # The CREATED one may be claimed by the app's worker meanwhile: it stays active either way.

    refused = await _start(gql, world, world.finance_a.token)

    assert refused["export"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("EXPORT_LIMIT_REACHED", ["input"])]
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(ExportJob))).scalar_one() == 2


async def test_the_same_idempotency_key_answers_the_same_export(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)

    first = await _start(gql, world, world.manager.token)
    again = await _start(gql, world, world.manager.token)
    other = await _start(gql, world, world.manager.token, invoiceFilter={"status": ["PAID"]})

    assert again["export"]["id"] == first["export"]["id"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_cancel_a_running_export_then_cancel_again(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        job = held_job(world.org.id, world.manager.contact_id, key="held")
        session.add(job)
    export_id = to_global_id("ExportJob", job.id)

    cancelled = await gql(CANCEL, {"id": export_id}, token=world.manager.token)
    again = await gql(CANCEL, {"id": export_id}, token=world.manager.token)
    by_other = await gql(CANCEL, {"id": export_id}, token=world.finance_a.token)

    assert cancelled["data"]["cancelExport"] == {"export": {"id": export_id, "status": "CANCELED"}, "errors": []}
    assert again["data"]["cancelExport"]["errors"] == [
        {"code": "EXPORT_NOT_CANCELLABLE", "field": ["input", "exportId"]}
    ]
    assert by_other["data"]["cancelExport"]["errors"] == [{"code": "NOT_FOUND", "field": ["input", "exportId"]}]


def _worker(app, tmp_path: Path) -> ExportWorker:  # type: ignore[no-untyped-def]
    state = app.state.guichet
    return ExportWorker(
        state.sessionmaker,
        state.clock,
        store=ExportStore(Path(state.settings.files_dir)),
        renderer=FpdfInvoiceRenderer(),
    )


async def test_a_job_is_claimed_by_one_worker_only(app, sessionmaker, tmp_path) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        job = held_job(world.org.id, world.manager.contact_id, key="race", status="CREATED", attempt=0)
        session.add(job)

    claims = await asyncio.gather(*(_worker(app, tmp_path).claim(job.id, 0) for _ in range(4)))

    won = [c for c in claims if c is not None]
    assert len(won) <= 1  # the app's own worker may have claimed it first
    async with sessionmaker() as session:
        row = await session.get(ExportJob, job.id)
        assert row is not None and row.attempt == 1 and row.status in ("RUNNING", "COMPLETED")


async def test_a_job_left_running_by_a_dead_process_is_resumed_once(app, gql, http, sessionmaker, tmp_path) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        job = held_job(world.org.id, world.manager.contact_id, key="dead", lease_minutes=-1)
        session.add(job)
    async with sessionmaker() as session:
        dead = await session.get(ExportJob, job.id)

    await _worker(app, tmp_path).run_pending()
    done = await wait_final(gql, to_global_id("ExportJob", job.id), world.manager.token)

    assert done["status"] == "COMPLETED" and done["rowCount"] == 5
    body = await download(http, done["url"])
    assert sha256(body) == done["sha256"]
    async with sessionmaker() as session:
        assert (await session.get(ExportJob, job.id)).attempt == 2  # type: ignore[union-attr]
    # The dead attempt, had it woken up, can no longer touch the job.
    with pytest.raises(LostClaim):
        await _worker(app, tmp_path)._guarded(dead, status="FAILED")  # type: ignore[arg-type]


async def test_links_expire_after_seven_days(app, gql, http, sessionmaker, clock) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
    started = await _start(gql, world, world.manager.token)
    done = await wait_final(gql, started["export"]["id"], world.manager.token)
    folder = Path(app.state.guichet.settings.files_dir) / "exports" / str(world.org.id)
    assert [p.name for p in folder.iterdir()] != []

    clock.current = TEST_NOW + timedelta(days=7, seconds=1)
    expired = (await gql(NODE, {"id": started["export"]["id"]}, token=world.manager.token))["data"]["node"]
    response = await http.get(done["url"].removeprefix("http://guichet.test"))

    assert done["urlExpiresAt"] == "2026-12-02T10:00:00+00:00"
    assert (expired["status"], expired["url"]) == ("EXPIRED", None)
    assert response.status_code == 403
    # A worker pass deletes the lapsed file (the app's own background pass may already have).
    await _worker(app, Path()).run_pending()
    assert [p.name for p in folder.iterdir()] == []


async def test_a_page_of_5_or_50_exports_costs_the_same_statements(app, gql, sessionmaker) -> None:
    from sqlalchemy import event

    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        for n in range(50):
            session.add(held_job(world.org.id, world.manager.contact_id, key=f"k{n}", status="CANCELED"))
    document = """
    query($id: ID!, $first: Int) { organisation(id: $id) { exports(first: $first) {
      edges { node { id status kind columns url createdBy { email } } } } } }
    """
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = app.state.guichet.engine.sync_engine
    counts = []
    for first in (5, 50):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            result = await gql(document, {"id": world.org_id, "first": first}, token=world.manager.token)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(result["data"]["organisation"]["exports"]["edges"]) == first
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_an_api_key_exports_only_what_it_may_read_and_sees_only_its_exports(gql, http, sessionmaker) -> None:
    from tests.factories_api_keys import make_api_key

    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        key = await make_api_key(
            session,
            world.org,
            permissions=[("INVOICES", "READ", world.account_b.id), ("REPORTS", "EXPORT", world.account_b.id)],
            created_by=world.manager.contact_id,
        )
        payments_key = await make_api_key(session, world.org, permissions=[("REPORTS", "EXPORT", None)])

    started = await _start(gql, world, key.secret)
    done = await wait_final(gql, started["export"]["id"], key.secret)
    no_read = await gql(START, start_input(world, kind="PAYMENTS"), token=payments_key.secret)

    assert started["errors"] == [] and started["export"]["createdBy"] is None
    rows = _csv(await download(http, done["url"]))
    assert sorted(r[1] for r in rows[1:]) == sorted(i.number for i in world.invoices[3:])
    assert no_read["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "PAYMENTS", "action": "READ"}
    # The key's export is its own: its creator does not see it, the key cancels nothing else.
    assert (await gql(NODE, {"id": started["export"]["id"]}, token=world.manager.token))["data"]["node"] is None
    listed = await gql(LIST_EXPORTS, {"id": world.org_id}, token=key.secret)
    assert [e["node"]["id"] for e in listed["data"]["organisation"]["exports"]["edges"]] == [started["export"]["id"]]


async def test_export_updated_streams_progress_until_completed(app, gql, sessionmaker, tmp_path) -> None:
    from guichet.resolvers.context import build_context

    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        job = held_job(world.org.id, world.manager.contact_id, key="watched", lease_minutes=-1)
        session.add(job)
    export_id = to_global_id("ExportJob", job.id)
    context = build_context(app.state.guichet, None, headers={"authorization": f"Bearer {world.manager.token}"})
    stream = await app.state.schema.subscribe(
        "subscription($id: ID!) { exportUpdated(exportId: $id) { id status rowCount } }",
        variable_values={"id": export_id},
        context_value=context,
    )
    try:
        first = await asyncio.wait_for(anext(stream), timeout=20)
        seen = [first.data["exportUpdated"]]
        state = app.state.guichet
        worker = ExportWorker(
            state.sessionmaker,
            state.clock,
            store=ExportStore(Path(state.settings.files_dir)),
            renderer=FpdfInvoiceRenderer(),
            publish=lambda changes: events.publish(state.broker, changes),
            batch_size=2,
        )
        await worker.run_pending()
        while seen[-1]["status"] != "COMPLETED":
            result = await asyncio.wait_for(anext(stream), timeout=20)
            assert not result.errors, result.errors
            seen.append(result.data["exportUpdated"])
    finally:
        await stream.aclose()

    assert seen[0] == {"id": export_id, "status": "RUNNING", "rowCount": None}
    assert seen[-1] == {"id": export_id, "status": "COMPLETED", "rowCount": 5}


async def test_schedules_export_lists_the_organisation_plans_for_organisation_wide_readers(
    gql, http, sessionmaker
) -> None:
    from tests.factories_schedules import make_schedule

    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        plans = [
            await make_schedule(session, world.org, purchase="12796"),
            await make_schedule(session, world.org, purchase="9000"),
        ]

    whole = await _start(gql, world, world.manager.token, kind="SCHEDULES")
    scoped = await _start(gql, world, world.finance_a.token, kind="SCHEDULES")
    whole_done = await wait_final(gql, whole["export"]["id"], world.manager.token)
    scoped_done = await wait_final(gql, scoped["export"]["id"], world.finance_a.token)

    rows = _csv(await download(http, whole_done["url"]))
    assert [(r[0], r[1], r[5], r[7]) for r in rows[1:]] == [
        (to_global_id("Schedule", p.id), p.order_number, a, p.currency)
        for p, a in zip(plans, ("12796", "9000"), strict=True)
    ]
    assert scoped_done["rowCount"] == 0
    assert _csv(await download(http, scoped_done["url"])) == [scoped_done["columns"]]


async def test_service_requests_export_follows_the_list_scope(gql, http, sessionmaker) -> None:
    from tests.factories import make_member
    from tests.factories_service_requests import make_sr_world, open_request

    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        manager = await make_member(session, world.org, roles=[("MANAGEMENT", None)])
        outsider = await make_member(session, world.org, roles=[("FINANCE", world.other_account.id)])
    start = {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "kind": "SERVICE_REQUESTS",
            "format": "JSONL",
            "idempotencyKey": "sr",
        }
    }

    mine = (await gql(START, start, token=manager.token))["data"]["startExport"]["export"]
    theirs = (await gql(START, start, token=outsider.token))["data"]["startExport"]["export"]
    done = await wait_final(gql, mine["id"], manager.token)
    other = await wait_final(gql, theirs["id"], outsider.token)

    [line] = [json.loads(x) for x in (await download(http, done["url"])).decode().splitlines()]
    assert (line["id"], line["number"], line["status"]) == (
        to_global_id("ServiceRequest", request.id),
        request.number,
        "SUBMITTED",
    )
    assert line["billing_account_id"] == to_global_id("BillingAccount", world.account.id)
    assert other["rowCount"] == 0


async def test_audit_export_holds_the_trail_as_it_was_at_start(gql, http, sessionmaker) -> None:
    from tests.factories import make_member

    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        admin = await make_member(session, world.org, roles=[("ADMIN", None), ("MANAGEMENT", None)])
    await gql(START, start_input(world, kind="AUDIT_EVENTS"), token=world.commercial.token)  # refused: audited
    trail = await gql(
        "query($id: ID!) { organisation(id: $id) { auditEvents(first: 100) { edges { node { id action } } } } }",
        {"id": world.org_id},
        token=admin.token,
    )
    listed = sorted(e["node"]["id"] for e in trail["data"]["organisation"]["auditEvents"]["edges"])

    started = await _start(gql, world, admin.token, kind="AUDIT_EVENTS", file_format="JSONL")
    done = await wait_final(gql, started["export"]["id"], admin.token)

    lines = [json.loads(x) for x in (await download(http, done["url"])).decode().splitlines()]
    assert sorted(line["id"] for line in lines) == listed and listed
    assert "access.denied" in {line["action"] for line in lines}


async def test_orders_export_follows_the_list_scope(gql, http, sessionmaker) -> None:
    from tests.factories import make_member
    from tests.factories_shop import make_shop_world, place

    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial, poNumber="PO-9")
    async with sessionmaker() as session, session.begin():
        outsider = await make_member(session, world.org, roles=[("MANAGEMENT", world.other_account.id)])
    start = {"input": {"organisationId": world.org_id, "kind": "ORDERS", "format": "CSV", "idempotencyKey": "ord"}}

    mine = (await gql(START, start, token=world.manager.token))["data"]["startExport"]["export"]
    theirs = (await gql(START, start, token=outsider.token))["data"]["startExport"]["export"]
    done = await wait_final(gql, mine["id"], world.manager.token)
    other = await wait_final(gql, theirs["id"], outsider.token)

    rows = _csv(await download(http, done["url"]))
    assert (
        rows[0]
        == done["columns"]
        == [
            "id",
            "number",
            "source",
            "billing_account_id",
            "status",
            "po_number",
            "payment_terms",
            "one_time_total",
            "currency",
            "placed_at",
            "expected_completion_date",
            "completed_at",
        ]
    )
    assert rows[1][:9] == [
        order["id"],
        order["number"],
        "SHOP",
        world.account_id,
        "ACKNOWLEDGED",
        "PO-9",
        "ON_ACCOUNT",
        "2000",
        "XOF",
    ]
    assert len(rows) == 2
    assert other["rowCount"] == 0

"""Export kinds CONTRACTS, BILLING_SCHEDULE and REWARD_TRANSACTIONS: the same rows as their lists."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from guichet.domain.ids import to_global_id
from tests.factories import make_member
from tests.factories_contracts import make_contract
from tests.factories_exports import START, download, make_export_world, start_input, wait_final
from tests.factories_rewards import add_lot

CONTRACTS = """
query($id: ID!) { organisation(id: $id) { contracts(first: 100) { edges { node { id number status } } } } }
"""
SCHEDULE = """
query($id: ID!, $filter: BillingScheduleFilter) { organisation(id: $id) {
  billingSchedule(first: 100, filter: $filter) { edges { node { id periodStart amount { amount currency } status } } } } }
"""
LEDGER = """
query($id: ID!) { organisation(id: $id) { rewards { currency
  transactions(first: 100) { edges { node { id type amount { amount } balanceAfter { amount } } } } } } }
"""


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def _export(gql, http, world, token, kind, file_format="CSV", **extra):  # type: ignore[no-untyped-def]
    started = (await gql(START, start_input(world, kind=kind, file_format=file_format, **extra), token=token))["data"]
    assert started["startExport"]["errors"] == [], started
    done = await wait_final(gql, started["startExport"]["export"]["id"], token)
    assert done["status"] == "COMPLETED", done
    return done, await download(http, done["url"])


async def _world(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        world = await make_export_world(session)
        finance = await make_member(session, world.org, roles=[("FINANCE", world.account_a.id)])
        await make_contract(session, world.account_a, number="CT-A-1")
        await make_contract(session, world.account_b, number="CT-B-1", start=date(2026, 6, 1), end=date(2027, 5, 31))
        await add_lot(session, world.org, 50000, expires_at=date(2027, 6, 30))
        await add_lot(session, world.org, 2000, expires_at=date(2026, 12, 31))
    return world, finance


async def test_contracts_csv_holds_the_contracts_the_list_shows(gql, http, sessionmaker) -> None:
    world, _ = await _world(sessionmaker)

    done, body = await _export(gql, http, world, world.manager.token, "CONTRACTS")

    rows = _csv(body)
    assert rows[0] == done["columns"] == [
        "id", "number", "name", "status", "billing_account_id", "start_date", "end_date",
        "renewal_notice_date", "auto_renew", "terminated_on", "currency",
    ]  # fmt: skip
    listed = (await gql(CONTRACTS, {"id": world.org_id}, token=world.manager.token))["data"]["organisation"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        (e["node"]["id"], e["node"]["number"], e["node"]["status"]) for e in listed["contracts"]["edges"]
    ]
    assert rows[1][4:7] == [to_global_id("BillingAccount", world.account_a.id), "2026-01-01", "2026-12-31"]


async def test_the_billing_schedule_jsonl_equals_the_list_with_the_same_dates(gql, http, sessionmaker) -> None:
    world, _ = await _world(sessionmaker)

    done, body = await _export(
        gql, http, world, world.manager.token, "BILLING_SCHEDULE", "JSONL", **{"from": "2026-06-01", "to": "2026-08-31"}
    )

    records = [json.loads(line) for line in body.decode().splitlines()]
    listed = (
        await gql(
            SCHEDULE,
            {"id": world.org_id, "filter": {"from": "2026-06-01", "to": "2026-08-31"}},
            token=world.manager.token,
        )
    )["data"]["organisation"]["billingSchedule"]["edges"]
    assert done["rowCount"] == len(listed) == 6  # June–August of two monthly contracts
    assert sorted((r["id"], r["period_start"], r["amount"], r["currency"], r["status"]) for r in records) == sorted(
        (n["node"]["id"], n["node"]["periodStart"], n["node"]["amount"]["amount"], "XOF", n["node"]["status"])
        for n in listed
    )


async def test_a_scoped_exporter_gets_only_its_accounts_schedule(gql, http, sessionmaker) -> None:
    world, _ = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        scoped = await make_member(session, world.org, roles=[("MANAGEMENT", world.account_a.id)])

    _, body = await _export(gql, http, world, scoped.token, "BILLING_SCHEDULE")

    assert {row[2] for row in _csv(body)[1:]} == {"CT-A-1"}


async def test_reward_transactions_csv_equals_the_ledger(gql, http, sessionmaker) -> None:
    world, finance = await _world(sessionmaker)

    done, body = await _export(gql, http, world, world.manager.token, "REWARD_TRANSACTIONS")

    rows = _csv(body)
    assert rows[0] == done["columns"] == [
        "id", "type", "amount", "balance_after", "currency", "occurred_at", "expires_at",
        "invoice_id", "actor_contact_id", "note",
    ]  # fmt: skip
    (account,) = (await gql(LEDGER, {"id": world.org_id}, token=world.manager.token))["data"]["organisation"]["rewards"]
    listed = {
        e["node"]["id"]: (e["node"]["type"], e["node"]["amount"]["amount"], e["node"]["balanceAfter"]["amount"])
        for e in account["transactions"]["edges"]
    }
    assert {r[0]: (r[1], r[2], r[3]) for r in rows[1:]} == listed
    assert sorted(r[3] for r in rows[1:]) == ["50000", "52000"]

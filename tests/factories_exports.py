"""Export jobs in tests: a world to export, waiting for a job, downloading its file."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting.sources import INVOICE_COLUMNS
from tests.conftest import TEST_NOW
from tests.factories import Member, make_account, make_invoice, make_member, make_organisation

START = """
mutation($input: StartExportInput!) {
  startExport(input: $input) {
    export { id kind format status rowCount columns sha256 fileSize url urlExpiresAt filterSummary createdBy { email } }
    errors { code field message }
  }
}
"""
CANCEL = """
mutation($id: ID!) { cancelExport(input: {exportId: $id}) { export { id status } errors { code field } } }
"""
NODE = """
query($id: ID!) { node(id: $id) { ... on ExportJob { id status rowCount columns sha256 fileSize url urlExpiresAt errorMessage } } }
"""


@dataclass
class ExportWorld:
    org: models.Organisation
    org_id: str
    account_a: models.BillingAccount
    account_b: models.BillingAccount
    invoices: list[models.Invoice]
    manager: Member
    finance_a: Member
    commercial: Member


async def make_export_world(session: Any) -> ExportWorld:
    """Invoices on two accounts (one overdue, one open, one paid on A; two on B); a manager
    (REPORTS EXPORT, organisation-wide), finance over A, and a commercial (no REPORTS)."""
    org = await make_organisation(session)
    a = await make_account(session, org, name="A")
    b = await make_account(session, org, name="B")
    invoices = [
        await make_invoice(session, a, total_minor=12500, due=date(2026, 10, 31)),
        await make_invoice(session, a, total_minor=7000, issue=date(2026, 11, 1), due=date(2026, 12, 1)),
        await make_invoice(session, a, total_minor=3000, paid_minor=3000, issue=date(2026, 9, 1)),
        await make_invoice(session, b, total_minor=99000, line_number="=cmd|' /C calc'!A0"),
        await make_invoice(session, b, total_minor=1, issue=date(2026, 11, 2), due=date(2026, 12, 2)),
    ]
    manager = await make_member(session, org, roles=[("MANAGEMENT", None)])
    finance_a = await make_member(session, org, roles=[("FINANCE", a.id)])
    commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])
    return ExportWorld(org, to_global_id("Organisation", org.id), a, b, invoices, manager, finance_a, commercial)


def start_input(world: ExportWorld, kind: str = "INVOICES", file_format: str = "CSV", **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": world.org_id,
            "kind": kind,
            "format": file_format,
            "idempotencyKey": kind + file_format,
            **extra,
        }
    }


async def wait_final(gql: Any, export_id: str, token: str) -> dict[str, Any]:
    """The export once COMPLETED, FAILED or CANCELED (the worker runs in the app's background)."""
    for _ in range(400):
        node = (await gql(NODE, {"id": export_id}, token=token))["data"]["node"]
        if node["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            return node  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"export {export_id} still {node['status']}")


async def download(http: Any, url: str) -> bytes:
    response = await http.get(url.removeprefix("http://guichet.test"))
    assert response.status_code == 200, response.text
    return response.content  # type: ignore[no-any-return]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def held_job(
    org_id: int, contact_id: int, *, key: str, status: str = "RUNNING", attempt: int = 1, lease_minutes: int = 60
) -> ExportJob:
    """A job row as a worker left it: RUNNING under a lease (future: alive; past: its process died)."""
    return ExportJob(
        organisation_id=org_id,
        principal=f"contact:{contact_id}",
        created_by_contact_id=contact_id,
        idempotency_key=key,
        kind="INVOICES",
        format="CSV",
        status=status,
        filter={"invoice": {}, "payment": {}, "from": None, "to": None},
        filter_summary="INVOICES; whole organisation",
        account_ids=None,
        max_row_id=10**9,
        columns=list(INVOICE_COLUMNS),
        created_at=TEST_NOW,
        started_at=TEST_NOW if status == "RUNNING" else None,
        attempt=attempt,
        lease_until=TEST_NOW + timedelta(minutes=lease_minutes) if status == "RUNNING" else None,
    )

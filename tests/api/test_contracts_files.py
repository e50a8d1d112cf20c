"""Billing-schedule files (CSV, PDF) and the contract PDF: signed links needing CONTRACTS READ + EXPORT."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_invoices_download import pdf_text
from tests.factories_contracts import ContractWorld, build_world

ORG_URL = 'query($id: ID!, $f: FileFormat) { organisation(id: $id) { billingScheduleUrl(format: $f, filter: {to: "2026-02-28"}) } }'
CONTRACT_URLS = "query($id: ID!) { node(id: $id) { ... on Contract { billingScheduleUrl documentUrl } } }"


@pytest.fixture
async def world(sessionmaker: Any) -> ContractWorld:
    async with sessionmaker() as session, session.begin():
        return await build_world(session)


def path_of(url: str) -> str:
    assert url.startswith("http://guichet.test/contracts/")
    return url.removeprefix("http://guichet.test")


async def test_the_schedule_csv_lists_the_entries_in_scope(gql, http, world) -> None:
    result = await gql(ORG_URL, {"id": world.org_id, "f": "CSV"}, token=world.finance.token)
    assert "errors" not in result, result

    response = await http.get(path_of(result["data"]["organisation"]["billingScheduleUrl"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.text.splitlines() == [
        "contract,product,period_start,period_end,invoicing_date,amount,currency,status,invoice",
        "CT-2026-0001,Premier Support,2026-01-01,2026-01-31,2026-01-01,120000,XOF,INVOICED,F-2026-CT-01",
        "CT-2026-0001,Mise en service,2026-01-01,2026-01-01,2026-01-01,150000,XOF,INVOICED,F-2026-CT-01",
        "CT-2026-0001,Premier Support,2026-02-01,2026-02-28,2026-02-01,120000,XOF,NOT_INVOICED,",
    ]


async def test_format_omitted_or_null_means_csv(gql, http, world) -> None:
    for variables in ({"id": world.org_id}, {"id": world.org_id, "f": None}):
        result = await gql(ORG_URL, variables, token=world.finance.token)
        assert "errors" not in result, result

        response = await http.get(path_of(result["data"]["organisation"]["billingScheduleUrl"]))

        assert response.headers["content-type"] == "text/csv; charset=utf-8"


async def test_a_link_holds_only_the_accounts_its_viewer_reached(gql, http, world) -> None:
    result = await gql(ORG_URL, {"id": world.org_id, "f": "CSV"}, token=world.finance_b.token)
    assert "errors" not in result, result

    response = await http.get(path_of(result["data"]["organisation"]["billingScheduleUrl"]))

    assert response.text.splitlines() == [
        "contract,product,period_start,period_end,invoicing_date,amount,currency,status,invoice"
    ]


async def test_the_schedule_pdf_and_contract_pdf_are_pdfs(gql, http, world) -> None:
    org = await gql(ORG_URL, {"id": world.org_id, "f": "PDF"}, token=world.management.token)
    urls = await gql(CONTRACT_URLS, {"id": world.id_of(world.support)}, token=world.finance.token)
    assert "errors" not in org and "errors" not in urls, (org, urls)

    schedule = await http.get(path_of(org["data"]["organisation"]["billingScheduleUrl"]))
    document = await http.get(path_of(urls["data"]["node"]["documentUrl"]), headers={"Accept-Language": "fr"})
    contract_csv = await http.get(path_of(urls["data"]["node"]["billingScheduleUrl"]))

    assert schedule.status_code == 200 and schedule.headers["content-type"] == "application/pdf"
    assert "CT-2026-0001" in pdf_text(schedule.content)
    assert document.status_code == 200
    assert document.headers["content-disposition"] == 'attachment; filename="CT-2026-0001.pdf"'
    text = pdf_text(document.content)
    assert "Contrat CT-2026-0001 - Support Premier" in text
    assert "Premier Support" in text
    assert contract_csv.status_code == 200
    assert all(row.startswith("CT-2026-0001,") for row in contract_csv.text.splitlines()[1:])
    assert len(contract_csv.text.splitlines()) == 1 + 12 + 1  # header, 12 months, the set-up fee


async def test_a_commercial_contact_reads_contracts_but_gets_forbidden_on_files(gql, world) -> None:
    org = await gql(ORG_URL, {"id": world.org_id, "f": "CSV"}, token=world.commercial.token)
    urls = await gql(CONTRACT_URLS, {"id": world.id_of(world.support)}, token=world.commercial.token)

    assert org["data"] == {"organisation": None}
    assert [(e["extensions"]["code"], e["extensions"]["module"], e["extensions"]["action"]) for e in org["errors"]] == [
        ("FORBIDDEN", "CONTRACTS", "EXPORT")
    ]
    assert urls["data"] == {"node": None}
    assert {(e["extensions"]["code"], e["extensions"]["action"]) for e in urls["errors"]} == {("FORBIDDEN", "EXPORT")}


async def test_tampered_and_expired_links_answer_403(gql, http, clock, world) -> None:
    result = await gql(CONTRACT_URLS, {"id": world.id_of(world.support)}, token=world.finance.token)
    path = path_of(result["data"]["node"]["documentUrl"])
    schedule_path = path_of(result["data"]["node"]["billingScheduleUrl"])

    tampered = await http.get(path.replace(".pdf", "x.pdf"))
    as_other_kind = await http.get(schedule_path.replace("/schedule/", "/document/").replace(".csv", ".pdf"))
    wrong_extension = await http.get(schedule_path.replace(".csv", ".pdf"))
    clock.current += timedelta(minutes=5)
    expired = await http.get(path)

    assert [r.status_code for r in (tampered, as_other_kind, wrong_extension, expired)] == [403, 403, 403, 403]

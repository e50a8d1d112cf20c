"""Invoice.downloadUrl: a signed link valid five minutes that returns the invoice's PDF without
other credentials; tampered or expired links answer a bare 403."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta
from typing import Any

import pytest

from guichet.domain import models
from tests.factories_invoices import InvoiceWorld, build_world

URL = "query($id: ID!) { node(id: $id) { ... on Invoice { downloadUrl } } }"
LIST_URLS = (
    """query($id: ID!) { organisation(id: $id) { invoices(first: 10) { edges { node { number downloadUrl } } } } }"""
)


@pytest.fixture
async def world(sessionmaker: Any) -> InvoiceWorld:
    async with sessionmaker() as session, session.begin():
        return await build_world(session)


def pdf_text(content: bytes) -> str:
    """The text drawn on a PDF made by fpdf2 (its page streams, inflated)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)).decode("cp1252"))
        except zlib.error:
            continue
    return "\n".join(chunks)


async def download_url(gql: Any, world: InvoiceWorld, number: str, token: str | None = None) -> str:
    result = await gql(URL, {"id": world.invoice_id(number)}, token=token or world.finance.token)
    assert "errors" not in result, result
    return result["data"]["node"]["downloadUrl"]


def path_of(url: str) -> str:
    assert url.startswith("http://guichet.test/invoices/") and url.endswith(".pdf")
    return url.removeprefix("http://guichet.test")


async def test_download_link_returns_the_invoice_pdf(gql, http, world) -> None:
    url = await download_url(gql, world, "F-2026-0001")

    response = await http.get(path_of(url), headers={"Accept-Language": "fr"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="F-2026-0001.pdf"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        "Facture F-2026-0001",
        "ACME C\u00f4te d'Ivoire",
        f"Compte de facturation : {world.account_a.number} - Si\u00e8ge Abidjan",
        "Date d'\u00e9ch\u00e9ance : 01/10/2026",
        "Statut : En retard",
        "Forfait Business 20 Go",
        "+2250701020304",
        "20 000 XOF",
        "25 000 XOF",
    ):
        assert expected in text


async def test_pdf_amounts_follow_the_currency(gql, http, world) -> None:
    url = await download_url(gql, world, "G-2026-0005")

    response = await http.get(path_of(url), headers={"Accept-Language": "en"})

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Invoice G-2026-0005" in text
    assert "Status : Open" in text
    assert "\u20ac127.96" in text


async def test_every_listed_invoice_has_a_link(gql, world) -> None:
    result = await gql(LIST_URLS, {"id": world.org_id}, token=world.finance.token)

    edges = result["data"]["organisation"]["invoices"]["edges"]
    assert len(edges) == 5
    assert all(e["node"]["downloadUrl"].startswith("http://guichet.test/invoices/") for e in edges)


def tamper(url: str) -> list[str]:
    invoice_id, expires, signature = path_of(url).removeprefix("/invoices/").removesuffix(".pdf").split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"/invoices/{invoice_id}.{expires}.{flipped}.pdf",
        f"/invoices/{int(invoice_id) + 1}.{expires}.{signature}.pdf",
        f"/invoices/{invoice_id}.{int(expires) + 3600}.{signature}.pdf",
        f"/invoices/{invoice_id}.{expires}.pdf",
        "/invoices/garbage.pdf",
    ]


async def test_tampered_links_answer_403_and_reveal_nothing(gql, http, world) -> None:
    url = await download_url(gql, world, "F-2026-0001")

    for path in tamper(url):
        response = await http.get(path)
        assert response.status_code == 403, path
        assert response.text == "Forbidden"
        assert "pdf" not in response.headers["content-type"]


async def test_a_link_expires_after_five_minutes(gql, http, world, clock) -> None:
    url = await download_url(gql, world, "F-2026-0001")
    clock.current = clock.current + timedelta(minutes=4, seconds=59)
    assert (await http.get(path_of(url))).status_code == 200

    clock.current = clock.current + timedelta(seconds=1)
    response = await http.get(path_of(url))

    assert response.status_code == 403
    assert response.text == "Forbidden"


async def test_a_link_signed_with_another_key_is_refused(http, world, clock) -> None:
    from guichet.domain.invoices import links

    url = links.download_url("http://guichet.test", "another-secret", world.invoices["F-2026-0001"].id, clock.now())

    assert (await http.get(path_of(url))).status_code == 403


async def test_a_contact_denied_export_gets_forbidden_for_the_link_only(gql, world, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(
            models.ContactPermission(
                organisation_id=world.org.id,
                contact_id=world.finance.contact_id,
                module="INVOICES",
                action="EXPORT",
                effect="deny",
            )
        )

    without_link = await gql(
        "query($id: ID!) { node(id: $id) { ... on Invoice { number } } }",
        {"id": world.invoice_id("F-2026-0001")},
        token=world.finance.token,
    )
    with_link = await gql(URL, {"id": world.invoice_id("F-2026-0001")}, token=world.finance.token)
    listed = await gql(LIST_URLS, {"id": world.org_id}, token=world.finance.token)

    assert without_link == {"data": {"node": {"number": "F-2026-0001"}}}
    assert with_link["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in with_link["errors"]] == ["FORBIDDEN"]
    assert listed["data"] == {"organisation": None}
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["FORBIDDEN"]

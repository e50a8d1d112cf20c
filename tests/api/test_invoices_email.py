"""emailInvoiceList: the filtered list as CSV to the viewer or other active contacts, never to an
outside address, at most five times an hour, and only with INVOICES EXPORT."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.factories import make_member
from tests.factories_invoices import InvoiceWorld, build_world

SEND = """
mutation($input: EmailInvoiceListInput!) {
  emailInvoiceList(input: $input) { ok errors { code message field } }
}
"""


@pytest.fixture
async def world(sessionmaker: Any) -> InvoiceWorld:
    async with sessionmaker() as session, session.begin():
        return await build_world(session)


async def outbox(sessionmaker: Any) -> list[models.OutboxEmail]:
    async with sessionmaker() as session:
        return list((await session.execute(select(models.OutboxEmail).order_by(models.OutboxEmail.id))).scalars())


async def audit_count(sessionmaker: Any) -> int:
    async with sessionmaker() as session:
        return (
            await session.execute(select(func.count()).where(models.AuditEvent.action == "invoices.list_emailed"))
        ).scalar_one()


def csv_rows(email: models.OutboxEmail) -> list[list[str]]:
    import csv
    import io

    [attachment] = email.attachments
    assert attachment["content_type"] == "text/csv; charset=utf-8"
    text = base64.b64decode(attachment["content_b64"]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


async def test_the_filtered_list_is_mailed_to_the_viewer(gql, world, sessionmaker) -> None:
    result = await gql(
        SEND,
        {"input": {"organisationId": world.org_id, "filter": {"status": ["OVERDUE"]}}},
        token=world.finance.token,
        lang="fr",
    )

    assert result == {"data": {"emailInvoiceList": {"ok": True, "errors": []}}}
    [email] = await outbox(sessionmaker)
    assert email.to_address == world.finance.email
    assert email.subject == f"Liste des factures - {world.org.name}"
    assert "(2 factures)" in email.body_text
    assert "Reste à payer : 45\u202f000 XOF." in email.body_text
    rows = csv_rows(email)
    assert rows[0] == [
        "number", "billing_account", "service_type", "issue_date", "due_date", "status",
        "currency", "total", "amount_paid", "rewards_applied", "amount_due", "payment_pending",
    ]  # fmt: skip
    assert rows[1:] == [
        ["F-2026-0001", world.account_a.number, "MOBILE", "2026-09-01", "2026-10-01", "OVERDUE", "XOF", "25000", "0", "0", "25000", "no"],
        ["F-2026-0004", world.account_b.number, "MOBILE", "2026-11-05", "2026-11-20", "OVERDUE", "XOF", "30000", "10000", "0", "20000", "yes"],
    ]  # fmt: skip
    assert await audit_count(sessionmaker) == 1


async def test_the_list_can_go_to_other_active_contacts(gql, world, sessionmaker) -> None:
    to = [world.management.email.upper(), world.finance.email]

    result = await gql(SEND, {"input": {"organisationId": world.org_id, "to": to}}, token=world.finance.token)

    assert result["data"]["emailInvoiceList"] == {"ok": True, "errors": []}
    emails = await outbox(sessionmaker)
    assert sorted(e.to_address for e in emails) == sorted([world.management.email, world.finance.email])
    assert [len(csv_rows(e)) for e in emails] == [6, 6]


async def test_a_scoped_contact_mails_only_its_accounts_invoices(gql, world, sessionmaker) -> None:
    result = await gql(SEND, {"input": {"organisationId": world.org_id}}, token=world.finance_a.token)

    assert result["data"]["emailInvoiceList"]["ok"] is True
    [email] = await outbox(sessionmaker)
    assert [row[0] for row in csv_rows(email)[1:]] == ["F-2026-0001", "F-2026-0002", "F-2026-0003"]


async def test_an_outside_address_is_refused_and_nothing_is_sent(gql, world, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        disabled = await make_member(session, world.org, roles=[("FINANCE", None)], status="DISABLED")
    to = [world.finance.email, "boss@elsewhere.example", world.other_finance.email, disabled.email]

    result = await gql(SEND, {"input": {"organisationId": world.org_id, "to": to}}, token=world.finance.token)

    errors = result["data"]["emailInvoiceList"]["errors"]
    assert result["data"]["emailInvoiceList"]["ok"] is False
    assert [(e["code"], e["field"]) for e in errors] == [
        ("VALIDATION", ["input", "to", "1"]),
        ("VALIDATION", ["input", "to", "2"]),
        ("VALIDATION", ["input", "to", "3"]),
    ]
    assert errors[0]["message"] == (
        "Invoice lists can only be sent to yourself or to active contacts of your organisation."
    )
    assert await outbox(sessionmaker) == []
    assert await audit_count(sessionmaker) == 0


async def test_the_sixth_list_within_an_hour_is_refused(gql, world, sessionmaker, clock) -> None:
    variables = {"input": {"organisationId": world.org_id}}
    for _ in range(5):
        result = await gql(SEND, variables, token=world.finance.token)
        assert result["data"]["emailInvoiceList"]["ok"] is True
        clock.current = clock.current + timedelta(minutes=1)

    refused = await gql(SEND, variables, token=world.finance.token, lang="fr")

    assert refused["data"]["emailInvoiceList"]["ok"] is False
    [error] = refused["data"]["emailInvoiceList"]["errors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert error["message"] == (
        "Vous pouvez envoyer au plus 5 listes de factures par heure. Veuillez réessayer dans 56 minutes."
    )
    assert len(await outbox(sessionmaker)) == 5
    # Another contact is not affected, and the first one may send again an hour later.
    other = await gql(SEND, variables, token=world.management.token)
    assert other["data"]["emailInvoiceList"]["ok"] is True
    clock.current = clock.current + timedelta(minutes=56)
    again = await gql(SEND, variables, token=world.finance.token)
    assert again["data"]["emailInvoiceList"]["ok"] is True


async def test_commercial_contact_is_forbidden(gql, world, sessionmaker) -> None:
    result = await gql(SEND, {"input": {"organisationId": world.org_id}}, token=world.commercial.token)

    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert await outbox(sessionmaker) == []


async def test_another_organisation_is_refused_like_an_unknown_one(gql, world, sessionmaker) -> None:
    foreign = await gql(SEND, {"input": {"organisationId": world.org_id}}, token=world.other_finance.token)
    unknown = await gql(
        SEND, {"input": {"organisationId": to_global_id("Organisation", 987654)}}, token=world.other_finance.token
    )
    garbage = await gql(SEND, {"input": {"organisationId": "nope"}}, token=world.other_finance.token)

    def shape(result: dict[str, Any]) -> tuple[Any, list[str]]:
        return result["data"], [e["extensions"]["code"] for e in result["errors"]]

    assert shape(foreign) == shape(unknown) == shape(garbage) == (None, ["FORBIDDEN"])
    assert await outbox(sessionmaker) == []


async def test_without_credentials_it_is_unauthenticated(gql, world) -> None:
    result = await gql(SEND, {"input": {"organisationId": world.org_id}})

    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]

"""registerOrganisationAccess: a company's first administrator, proven by taxpayer, account and invoice numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from tests.factories import make_account, make_invoice, make_member, make_organisation
from tests.factories_auth import STRONG_PASSWORD, mailed_token, outbox

REGISTER = """
mutation($input: RegisterOrganisationAccessInput!) {
  registerOrganisationAccess(input: $input) { ok errors { code message field } }
}
"""
ACTIVATE = """
mutation($token: String!, $password: String!) {
  activateAccount(input: {token: $token, password: $password}) {
    session { viewer { email firstName organisations { name me { isPrimaryAdmin status } } } }
    errors { code }
  }
}
"""
UNKNOWN = {
    "ok": False,
    "errors": [
        {
            "code": "TAXPAYER_NUMBER_UNKNOWN",
            "message": "This taxpayer number, billing account or invoice is not recognised. "
            "Please contact customer service.",
            "field": None,
        }
    ],
}


@pytest.fixture
async def company(sessionmaker):
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="ACME Côte d'Ivoire", taxpayer="CI-0123456-A")
        account = await make_account(session, org)
        other_account = await make_account(session, org, name="Agence")
        invoice = await make_invoice(session, account)
        other_invoice = await make_invoice(session, other_account)
    return org, account, invoice, other_invoice


def _input(account, invoice, **overrides) -> dict:
    values = {
        "taxpayerNumber": "CI-0123456-A",
        "billingAccountNumber": account.number,
        "invoiceNumber": invoice.number,
        "email": "Awa.Kone@ACME.example",
        "firstName": "Awa",
        "lastName": "Koné",
    }
    values.update(overrides)
    return values


async def _counts(sessionmaker) -> tuple[int, int, int]:
    async with sessionmaker() as session:
        return tuple(
            [
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
                for model in (models.Person, models.Contact, models.OutboxEmail)
            ]
        )


async def test_registration_makes_an_invited_primary_admin_who_activates_by_mail(gql, sessionmaker, company) -> None:
    org, account, invoice, _ = company

    result = await gql(REGISTER, {"input": _input(account, invoice, taxpayerNumber=" CI-0123456-A ")})

    assert result["data"]["registerOrganisationAccess"] == {"ok": True, "errors": []}
    async with sessionmaker() as session:
        person, contact = (await session.execute(select(models.Person, models.Contact).join(models.Contact))).one()
        events = (await session.execute(select(models.AuditEvent.action))).scalars().all()
    assert (person.email, person.first_name, person.last_name, person.password_hash) == (
        "awa.kone@acme.example",
        "Awa",
        "Koné",
        None,
    )
    assert (contact.organisation_id, contact.status, contact.is_primary_admin) == (org.id, "INVITED", True)
    assert events == ["organisation.registered"]
    [mail] = await outbox(sessionmaker, "awa.kone@acme.example")
    assert mail.subject == "Your organisation's access to Guichet"
    assert f"Hello Awa,\n\nYou asked for access to the customer area of {org.name}" in mail.body_text

    token = await mailed_token(sessionmaker, "awa.kone@acme.example", "activate")
    activated = await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD})

    assert activated["data"]["activateAccount"]["session"]["viewer"] == {
        "email": "awa.kone@acme.example",
        "firstName": "Awa",
        "organisations": [{"name": org.name, "me": {"isPrimaryAdmin": True, "status": "ACTIVE"}}],
    }


@pytest.mark.parametrize(
    "wrong",
    [
        {"taxpayerNumber": "CI-9999999-Z"},
        {"billingAccountNumber": "BA-NOPE"},
        {"invoiceNumber": "F-NOPE"},
        {"invoiceNumber": "OTHER"},  # an invoice of another account of the same organisation
        {"taxpayerNumber": ""},
    ],
)
async def test_any_mismatch_answers_taxpayer_number_unknown_and_writes_nothing(
    gql, sessionmaker, company, wrong
) -> None:
    _, account, invoice, other_invoice = company
    if wrong.get("invoiceNumber") == "OTHER":
        wrong = {"invoiceNumber": other_invoice.number}
    before = await _counts(sessionmaker)

    result = await gql(REGISTER, {"input": _input(account, invoice, **wrong)})

    assert result["data"]["registerOrganisationAccess"] == UNKNOWN
    assert await _counts(sessionmaker) == before


async def test_refusal_is_in_french_when_asked(gql, company) -> None:
    _, account, invoice, _ = company

    result = await gql(REGISTER, {"input": _input(account, invoice, taxpayerNumber="CI-0000000-X")}, lang="fr")

    assert result["data"]["registerOrganisationAccess"]["errors"][0]["message"] == (
        "Ce numéro de compte contribuable, ce compte de facturation ou cette facture n'est pas reconnu. "
        "Veuillez contacter le service client."
    )


async def test_an_organisation_with_a_primary_admin_is_already_registered(gql, sessionmaker, company) -> None:
    org, account, invoice, _ = company
    async with sessionmaker() as session, session.begin():
        await make_member(session, org, primary_admin=True)
    before = await _counts(sessionmaker)

    result = await gql(REGISTER, {"input": _input(account, invoice)}, lang="fr")

    assert result["data"]["registerOrganisationAccess"] == {
        "ok": False,
        "errors": [
            {"code": "ALREADY_REGISTERED", "message": "Cette organisation a déjà un administrateur.", "field": None}
        ],
    }
    assert await _counts(sessionmaker) == before


async def test_registering_twice_is_already_registered(gql, company) -> None:
    _, account, invoice, _ = company
    assert (await gql(REGISTER, {"input": _input(account, invoice)}))["data"]["registerOrganisationAccess"]["ok"]

    again = await gql(REGISTER, {"input": _input(account, invoice, email="someone.else@acme.example")})

    assert again["data"]["registerOrganisationAccess"]["errors"][0]["code"] == "ALREADY_REGISTERED"


async def test_bad_email_and_missing_names_are_validation_errors(gql, sessionmaker, company) -> None:
    _, account, invoice, _ = company

    bad_email = await gql(REGISTER, {"input": _input(account, invoice, email="awa@")})
    no_name = await gql(REGISTER, {"input": _input(account, invoice, lastName="  ")})

    assert bad_email["data"]["registerOrganisationAccess"]["errors"] == [
        {"code": "VALIDATION", "message": "This is not a valid e-mail address.", "field": ["input", "email"]}
    ]
    assert no_name["data"]["registerOrganisationAccess"]["errors"] == [
        {"code": "VALIDATION", "message": "This field is required.", "field": ["input", "lastName"]}
    ]
    assert await _counts(sessionmaker) == (0, 0, 0)


async def test_guessing_invoice_numbers_is_throttled_per_taxpayer_number(gql, company, clock) -> None:
    _, account, invoice, _ = company
    for n in range(5):
        await gql(REGISTER, {"input": _input(account, invoice, invoiceNumber=f"F-GUESS-{n}")})

    right = await gql(REGISTER, {"input": _input(account, invoice)})

    assert right["data"]["registerOrganisationAccess"]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    clock.current += timedelta(minutes=15)
    assert (await gql(REGISTER, {"input": _input(account, invoice)}))["data"]["registerOrganisationAccess"]["ok"]

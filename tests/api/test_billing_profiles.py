"""BillingAccount.billingProfile and the four billing-profile mutations through the ASGI app."""

from __future__ import annotations

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.billing_profiles import SavedPaymentMethod
from tests.api.test_dashboard_statements import counting
from tests.factories import make_account, make_member, make_organisation
from tests.factories_billing_profiles import make_profile, save_card
from tests.factories_payments import snapshot

PROFILE_FIELDS = """
  legalName taxpayerNumber autoPay
  address { line1 line2 city postalCode region country }
  contacts { purposes name email phone }
  paymentMethods { id type status isDefault msisdnMasked card { brand last4 expMonth expYear } }
"""

READ = "query($id: ID!) { node(id: $id) { ... on BillingAccount { number billingProfile {" + PROFILE_FIELDS + "} } } }"

UPDATE = (
    "mutation($input: UpdateBillingProfileInput!) { updateBillingProfile(input: $input) { billingProfile {"
    + PROFILE_FIELDS
    + "} errors { code field message } } }"
)
ADD = (
    "mutation($input: AddPaymentMethodInput!) { addPaymentMethod(input: $input) {"
    " paymentMethod { id type status isDefault msisdnMasked card { brand last4 expMonth expYear } }"
    " billingProfile { paymentMethods { isDefault card { last4 } } } errors { code field message } } }"
)
REMOVE = (
    "mutation($input: PaymentMethodIdInput!) { removePaymentMethod(input: $input) {"
    " billingProfile { paymentMethods { id } } errors { code field } } }"
)
SET_DEFAULT = (
    "mutation($input: PaymentMethodIdInput!) { setDefaultPaymentMethod(input: $input) {"
    " paymentMethod { id isDefault } billingProfile { paymentMethods { isDefault card { last4 } } } errors { code } } }"
)

CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"}


async def _world(session, *, auto_pay=False):  # type: ignore[no-untyped-def]
    org = await make_organisation(session)
    account = await make_account(session, org)
    await make_profile(session, account, auto_pay=auto_pay)
    finance = await make_member(session, org, roles=[("FINANCE", None)])
    return org, account, finance


async def _emails(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (await session.execute(select(models.OutboxEmail.to_address, models.OutboxEmail.subject))).all()


async def _audit(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (await session.execute(select(models.AuditEvent.action, models.AuditEvent.summary))).all()


async def test_finance_reads_the_profile_with_badges(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, finance = await _world(session)
        soon = await save_card(session, account, last4="1111", exp=(11, 2026))
        expired = await save_card(session, account, last4="0004", exp=(10, 2026), default=False)

    result = await gql(READ, {"id": to_global_id("BillingAccount", account.id)}, token=finance.token)

    profile = result["data"]["node"]["billingProfile"]
    assert profile == {
        "legalName": "ACME Côte d'Ivoire SA",
        "taxpayerNumber": org.taxpayer_number,
        "autoPay": False,
        "address": {
            "line1": "Rue des Jardins",
            "line2": None,
            "city": "Abidjan",
            "postalCode": None,
            "region": None,
            "country": "CI",
        },
        "contacts": [
            {"purposes": ["BILL_TO"], "name": "Service comptable", "email": "factures@acme.ci", "phone": None}
        ],
        "paymentMethods": [
            {
                "id": to_global_id("SavedPaymentMethod", soon.id),
                "type": "CARD",
                "status": "EXPIRING_SOON",
                "isDefault": True,
                "msisdnMasked": None,
                "card": {"brand": "VISA", "last4": "1111", "expMonth": 11, "expYear": 2026},
            },
            {
                "id": to_global_id("SavedPaymentMethod", expired.id),
                "type": "CARD",
                "status": "EXPIRED",
                "isDefault": False,
                "msisdnMasked": None,
                "card": {"brand": "VISA", "last4": "0004", "expMonth": 10, "expYear": 2026},
            },
        ],
    }


async def test_commercial_is_forbidden_the_profile(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, _ = await _world(session)
        commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])

    result = await gql(READ, {"id": to_global_id("BillingAccount", account.id)}, token=commercial.token)

    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_updating_address_and_contacts_is_audited_and_emailed_to_bill_to(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)
    variables = {
        "input": {
            "billingAccountId": to_global_id("BillingAccount", account.id),
            "address": {"line1": "Boulevard Latrille", "city": "Abidjan", "country": "ci", "postalCode": "01 BP 1"},
            "contacts": [
                {"purposes": ["BILL_TO", "DUNNING"], "name": "Comptabilité", "email": "compta@acme.ci"},
                {"purposes": ["ACCOUNT"], "name": "Awa Koné", "email": "awa@acme.ci", "phone": "+2250701020304"},
            ],
            "autoPay": True,
        }
    }

    result = await gql(UPDATE, variables, token=finance.token)

    payload = result["data"]["updateBillingProfile"]
    assert payload["errors"] == []
    assert payload["billingProfile"]["address"] == {
        "line1": "Boulevard Latrille",
        "line2": None,
        "city": "Abidjan",
        "postalCode": "01 BP 1",
        "region": None,
        "country": "CI",
    }
    assert payload["billingProfile"]["contacts"] == [
        {"purposes": ["BILL_TO", "DUNNING"], "name": "Comptabilité", "email": "compta@acme.ci", "phone": None},
        {"purposes": ["ACCOUNT"], "name": "Awa Koné", "email": "awa@acme.ci", "phone": "+2250701020304"},
    ]
    assert payload["billingProfile"]["autoPay"] is True
    assert await _audit(sessionmaker) == [
        ("billing_profile.updated", f"Billing profile of {account.number}: address, contacts, auto-pay on")
    ]
    assert [to for to, _ in await _emails(sessionmaker)] == ["compta@acme.ci"]


async def test_removing_the_last_bill_to_contact_is_refused_and_changes_nothing(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)
    before = await snapshot(sessionmaker)
    variables = {
        "input": {
            "billingAccountId": to_global_id("BillingAccount", account.id),
            "contacts": [{"purposes": ["ACCOUNT"], "name": "Awa", "email": "awa@acme.ci"}],
        }
    }

    result = await gql(UPDATE, variables, token=finance.token, lang="fr")

    assert result["data"]["updateBillingProfile"] == {
        "billingProfile": None,
        "errors": [
            {
                "code": "LAST_BILL_TO_CONTACT",
                "field": ["input", "contacts"],
                "message": "Un profil de facturation garde au moins un contact destinataire des factures (BILL_TO).",
            }
        ],
    }
    assert await snapshot(sessionmaker) == before


async def test_adding_a_card_keeps_only_brand_last4_expiry_and_token(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)

    result = await gql(
        ADD,
        {"input": {"billingAccountId": to_global_id("BillingAccount", account.id), "method": "CARD", "card": CARD}},
        token=finance.token,
    )

    payload = result["data"]["addPaymentMethod"]
    assert payload["errors"] == []
    assert {k: v for k, v in payload["paymentMethod"].items() if k != "id"} == {
        "type": "CARD",
        "status": "ACTIVE",
        "isDefault": True,
        "msisdnMasked": None,
        "card": {"brand": "VISA", "last4": "4242", "expMonth": 12, "expYear": 2028},
    }
    async with sessionmaker() as session:
        row = (await session.execute(select(SavedPaymentMethod))).scalar_one()
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert "4242424242424242" not in stored and "123" not in stored.replace(str(row.id), "")
    assert row.provider_token.startswith("pm_")
    assert [a for a, _ in await _audit(sessionmaker)] == ["payment_method.added"]
    assert [to for to, _ in await _emails(sessionmaker)] == ["factures@acme.ci"]


async def test_an_orange_money_wallet_is_masked(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)

    result = await gql(
        ADD,
        {
            "input": {
                "billingAccountId": to_global_id("BillingAccount", account.id),
                "method": "ORANGE_MONEY",
                "msisdn": "07 01 02 12 34",
            }
        },
        token=finance.token,
    )

    assert result["data"]["addPaymentMethod"]["paymentMethod"]["msisdnMasked"] == "+225 07 •• •• 12 34"


async def test_a_bad_card_is_refused_with_its_field_and_nothing_saved(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)
    before = await snapshot(sessionmaker)
    bad = {**CARD, "number": "4242 4242 4242 4241"}

    result = await gql(
        ADD,
        {"input": {"billingAccountId": to_global_id("BillingAccount", account.id), "method": "CARD", "card": bad}},
        token=finance.token,
    )

    errors = result["data"]["addPaymentMethod"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CARD_INVALID", ["input", "card", "number"])]
    assert await snapshot(sessionmaker) == before


async def test_set_default_moves_the_default(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)
        await save_card(session, account, last4="1111")
        second = await save_card(session, account, last4="2222", default=False)

    result = await gql(
        SET_DEFAULT, {"input": {"paymentMethodId": to_global_id("SavedPaymentMethod", second.id)}}, token=finance.token
    )

    payload = result["data"]["setDefaultPaymentMethod"]
    assert payload["paymentMethod"] == {"id": to_global_id("SavedPaymentMethod", second.id), "isDefault": True}
    assert payload["billingProfile"]["paymentMethods"] == [
        {"isDefault": False, "card": {"last4": "1111"}},
        {"isDefault": True, "card": {"last4": "2222"}},
    ]


async def test_the_default_method_with_autopay_on_cannot_be_removed(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session, auto_pay=True)
        card = await save_card(session, account)
    before = await snapshot(sessionmaker)

    result = await gql(
        REMOVE, {"input": {"paymentMethodId": to_global_id("SavedPaymentMethod", card.id)}}, token=finance.token
    )

    assert result["data"]["removePaymentMethod"] == {
        "billingProfile": None,
        "errors": [{"code": "PAYMENT_METHOD_IN_USE", "field": ["input", "paymentMethodId"]}],
    }
    assert await snapshot(sessionmaker) == before


async def test_a_method_can_be_removed_without_autopay(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        _, account, finance = await _world(session)
        card = await save_card(session, account)

    result = await gql(
        REMOVE, {"input": {"paymentMethodId": to_global_id("SavedPaymentMethod", card.id)}}, token=finance.token
    )

    assert result["data"]["removePaymentMethod"] == {"billingProfile": {"paymentMethods": []}, "errors": []}


async def test_a_role_over_another_account_gets_not_found(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org, account, _ = await _world(session)
        card = await save_card(session, account)
        other = await make_account(session, org, name="Other")
        scoped = await make_member(session, org, roles=[("FINANCE", other.id)])

    removed = await gql(
        REMOVE, {"input": {"paymentMethodId": to_global_id("SavedPaymentMethod", card.id)}}, token=scoped.token
    )
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": to_global_id("SavedPaymentMethod", card.id)},
        token=scoped.token,
    )

    assert removed["data"]["removePaymentMethod"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "paymentMethodId"]}
    ]
    assert node == {"data": {"node": None}}


async def test_profiles_of_5_and_50_accounts_cost_the_same_statements(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        for i in range(50):
            account = await make_account(session, org, name=f"Site {i}")
            await make_profile(session, account)
            await save_card(session, account)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    query = (
        "query($id: ID!, $first: Int!) { organisation(id: $id) { billingAccounts(first: $first) { edges { node {"
        " billingProfile { legalName contacts { email } paymentMethods { status } } } } } } }"
    )
    engine = app.state.guichet.engine
    counts = {}
    for first in (5, 50):
        variables = {"id": to_global_id("Organisation", org.id), "first": first}
        await gql(query, variables, token=finance.token)
        with counting(engine) as statements:
            result = await gql(query, variables, token=finance.token)
        assert "errors" not in result, result
        assert len(result["data"]["organisation"]["billingAccounts"]["edges"]) == first
        counts[first] = len(statements)

    assert counts[5] == counts[50]

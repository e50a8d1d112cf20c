"""Managing API keys (ACCESS.md rules 14 and 15): create, list, rotate with a grace period, revoke.

The secret is shown once and stored as a hash; a key holds READ and EXPORT only
(ACTION_NOT_ALLOWED_FOR_API_KEY), never more than its creator holds, scope included
(ROLE_NOT_GRANTABLE); every change is audited and e-mailed to the organisation's admins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.tokens import token_hash
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_invoices import make_full_invoice

CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id name prefix status permissions { module actions } billingAccount { name }
  createdBy { email } expiresAt lastUsedAt revokedAt allowedDocumentIds }
  errors { code field message } } }"""
ROTATE = """mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) {
  secret apiKey { prefix status } errors { code field } } }"""
REVOKE = """mutation($input: ApiKeyIdInput!) { revokeApiKey(input: $input) {
  apiKey { status revokedAt } errors { code field } } }"""
LIST = """query($id: ID!, $status: [ApiKeyStatus!]) { organisation(id: $id) { apiKeys(first: 10, status: $status) {
  totalCount edges { node { name prefix status createdBy { email } } } } } }"""
INVOICES = "query($id: ID!) { organisation(id: $id) { invoices(first: 10) { totalCount } } }"
EXPIRES = (TEST_NOW + timedelta(days=90)).isoformat()


async def _scene(sessionmaker: Any) -> dict[str, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Sotra Logistique")
        first = await make_account(session, org, name="Siège")
        second = await make_account(session, org, name="Agence")
        await make_full_invoice(session, first, number="F-1")
        await make_full_invoice(session, second, number="F-2")
        admin = await make_member(session, org, primary_admin=True, email="dg@sotra.ci")
        sub_admin = await make_member(session, org, roles=[("ADMIN", None), ("FINANCE", first.id)], email="it@sotra.ci")
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    return {"org": org, "first": first, "second": second, "admin": admin, "sub_admin": sub_admin, "finance": finance}


def _input(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    value = {
        "organisationId": to_global_id("Organisation", world["org"].id),
        "name": "Export comptable",
        "permissions": [{"module": "INVOICES", "actions": ["READ", "EXPORT"]}],
        "expiresAt": EXPIRES,
    }
    value.update(overrides)
    return {"input": value}


async def _count(sessionmaker: Any, model: Any) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_an_admin_creates_a_key_whose_secret_is_shown_once_and_stored_hashed(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)

    result = await gql(CREATE, _input(world), token=world["admin"].token)

    payload = result["data"]["createApiKey"]
    assert payload["errors"] == []
    secret = payload["secret"]
    assert secret.startswith("gk_") and len(secret) == 46
    assert payload["apiKey"] == {
        "id": payload["apiKey"]["id"],
        "name": "Export comptable",
        "prefix": secret[:12],
        "status": "ACTIVE",
        "permissions": [{"module": "INVOICES", "actions": ["READ", "EXPORT"]}],
        "billingAccount": None,
        "createdBy": {"email": "dg@sotra.ci"},
        "expiresAt": EXPIRES,
        "lastUsedAt": None,
        "revokedAt": None,
        "allowedDocumentIds": None,
    }
    async with sessionmaker() as session:
        row = (await session.execute(select(models.ApiKey))).scalar_one()
        audit = (await session.execute(select(models.AuditEvent.action))).scalars().all()
        mails = (await session.execute(select(models.OutboxEmail))).scalars().all()
    assert row.secret_hash == token_hash(secret) and secret not in str(vars(row))
    assert "api_key.created" in audit
    assert sorted(m.to_address for m in mails) == ["dg@sotra.ci", "it@sotra.ci"]
    assert all("Export comptable" in m.subject and secret not in m.body_text for m in mails)
    listed = await gql(INVOICES, {"id": to_global_id("Organisation", world["org"].id)}, token=secret)
    assert listed["data"]["organisation"]["invoices"]["totalCount"] == 2


async def test_write_pay_and_approve_are_refused_for_keys(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)

    result = await gql(
        CREATE,
        _input(world, permissions=[{"module": "INVOICES", "actions": ["READ", "PAY"]}]),
        token=world["admin"].token,
    )

    assert result["data"]["createApiKey"]["errors"][0]["code"] == "ACTION_NOT_ALLOWED_FOR_API_KEY"
    assert result["data"]["createApiKey"]["errors"][0]["field"] == ["input", "permissions", "1"]
    assert await _count(sessionmaker, models.ApiKey) == 0


async def test_a_key_gets_no_more_than_its_creator_holds(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)
    token = world["sub_admin"].token

    shop = await gql(CREATE, _input(world, permissions=[{"module": "SHOP", "actions": ["READ"]}]), token=token)
    wrong_account = await gql(
        CREATE, _input(world, billingAccountId=to_global_id("BillingAccount", world["second"].id)), token=token
    )

    assert shop["data"]["createApiKey"]["errors"][0]["code"] == "ROLE_NOT_GRANTABLE"
    assert wrong_account["data"]["createApiKey"]["errors"][0]["code"] == "ROLE_NOT_GRANTABLE"
    assert await _count(sessionmaker, models.ApiKey) == 0


async def test_a_key_of_a_scoped_creator_reaches_only_the_creators_accounts(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)

    created = await gql(CREATE, _input(world), token=world["sub_admin"].token)

    secret = created["data"]["createApiKey"]["secret"]
    listed = await gql(INVOICES, {"id": to_global_id("Organisation", world["org"].id)}, token=secret)
    assert listed["data"]["organisation"]["invoices"]["totalCount"] == 1


async def test_managing_keys_needs_integrations_write(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)

    result = await gql(CREATE, _input(world), token=world["finance"].token)

    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "INTEGRATIONS", "action": "WRITE"}
    assert await _count(sessionmaker, models.ApiKey) == 0


async def test_an_expiry_beyond_365_days_is_refused(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)
    too_far = (TEST_NOW + timedelta(days=366)).isoformat()

    result = await gql(CREATE, _input(world, expiresAt=too_far), token=world["admin"].token, lang="fr")

    [error] = result["data"]["createApiKey"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", ["input", "expiresAt"])
    assert "365 jours" in error["message"]


async def test_rotation_keeps_the_old_secret_for_the_grace_period(gql, sessionmaker, clock) -> None:
    world = await _scene(sessionmaker)
    created = (await gql(CREATE, _input(world), token=world["admin"].token))["data"]["createApiKey"]
    org = {"id": to_global_id("Organisation", world["org"].id)}

    rotated = await gql(
        ROTATE,
        {"input": {"apiKeyId": created["apiKey"]["id"], "previousSecretValidHours": 2}},
        token=world["admin"].token,
    )

    new_secret = rotated["data"]["rotateApiKey"]["secret"]
    assert new_secret != created["secret"]
    assert rotated["data"]["rotateApiKey"]["apiKey"]["prefix"] == new_secret[:12]
    assert "errors" not in await gql(INVOICES, org, token=created["secret"])
    assert "errors" not in await gql(INVOICES, org, token=new_secret)
    clock.current += timedelta(hours=2, seconds=1)
    old = await gql(INVOICES, org, token=created["secret"], status=401)
    assert old["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "errors" not in await gql(INVOICES, org, token=new_secret)


async def test_a_null_grace_period_means_24_hours(gql, sessionmaker, clock) -> None:
    world = await _scene(sessionmaker)
    created = (await gql(CREATE, _input(world), token=world["admin"].token))["data"]["createApiKey"]
    org = {"id": to_global_id("Organisation", world["org"].id)}

    rotated = await gql(
        ROTATE,
        {"input": {"apiKeyId": created["apiKey"]["id"], "previousSecretValidHours": None}},
        token=world["admin"].token,
    )

    assert rotated["data"]["rotateApiKey"]["errors"] == []
    clock.current += timedelta(hours=23, minutes=59)
    assert "errors" not in await gql(INVOICES, org, token=created["secret"])
    clock.current += timedelta(minutes=2)
    old = await gql(INVOICES, org, token=created["secret"], status=401)
    assert old["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_revocation_refuses_the_key_and_shows_in_the_list(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)
    created = (await gql(CREATE, _input(world), token=world["admin"].token))["data"]["createApiKey"]
    org = {"id": to_global_id("Organisation", world["org"].id)}

    revoked = await gql(REVOKE, {"input": {"apiKeyId": created["apiKey"]["id"]}}, token=world["admin"].token)

    assert revoked["data"]["revokeApiKey"] == {
        "apiKey": {"status": "REVOKED", "revokedAt": TEST_NOW.isoformat()},
        "errors": [],
    }
    refused = await gql(INVOICES, org, token=created["secret"], status=401)
    assert refused["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    listed = await gql(LIST, {**org, "status": ["REVOKED"]}, token=world["admin"].token)
    assert listed["data"]["organisation"]["apiKeys"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "name": "Export comptable",
                    "prefix": created["secret"][:12],
                    "status": "REVOKED",
                    "createdBy": {"email": "dg@sotra.ci"},
                }
            }
        ],
    }
    async with sessionmaker() as session:
        audit = (await session.execute(select(models.AuditEvent.action))).scalars().all()
    assert "api_key.revoked" in audit


async def test_a_key_cannot_manage_keys(gql, sessionmaker) -> None:
    world = await _scene(sessionmaker)
    created = (await gql(CREATE, _input(world), token=world["admin"].token))["data"]["createApiKey"]

    result = await gql(CREATE, _input(world), token=created["secret"])

    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert await _count(sessionmaker, models.ApiKey) == 1


async def _statements_for_page(app: Any, gql: Any, sessionmaker: Any, size: int) -> int:
    from tests.api.test_dashboard_statements import counting
    from tests.factories_api_keys import make_api_key

    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        admin = await make_member(session, org, primary_admin=True)
        for index in range(size):
            await make_api_key(
                session,
                org,
                permissions=[("INVOICES", "READ", account.id), ("INVOICES", "EXPORT", None)],
                name=f"Job {index}",
                created_by=admin.contact_id,
            )
    query = """query($id: ID!) { organisation(id: $id) { apiKeys(first: 50) { totalCount edges { node {
      name status permissions { module actions } createdBy { email } billingAccount { name } } } } } }"""
    variables = {"id": to_global_id("Organisation", org.id)}
    await gql(query, variables, token=admin.token)
    with counting(app.state.guichet.engine) as statements:
        result = await gql(query, variables, token=admin.token)
    assert len(result["data"]["organisation"]["apiKeys"]["edges"]) == size
    return len(statements)


async def test_a_page_of_5_keys_costs_the_statements_of_a_page_of_50(app, gql, sessionmaker) -> None:
    assert await _statements_for_page(app, gql, sessionmaker, 5) == await _statements_for_page(
        app, gql, sessionmaker, 50
    )

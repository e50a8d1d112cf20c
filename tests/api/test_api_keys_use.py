"""Reading with an API key (ACCESS.md rule 14): a principal of its organisation, like a contact.

The key's permissions and scope decide through the same policy engine; it reaches nothing of
another organisation, is FORBIDDEN on `viewer` and on mutations, and a revoked, expired or unknown
key answers HTTP 401 with a top-level UNAUTHENTICATED on its next request.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_organisation
from tests.factories_api_keys import make_api_key
from tests.factories_invoices import make_full_invoice

INVOICES = """query($id: ID!) { organisation(id: $id) { name invoices(first: 10) { totalCount
  edges { node { number } } } } }"""
PAYMENTS = "query($id: ID!) { organisation(id: $id) { payments(first: 5) { totalCount } } }"


async def _scene(sessionmaker, **key_options):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Sotra Logistique")
        first = await make_account(session, org, name="Siège")
        second = await make_account(session, org, name="Agence")
        await make_full_invoice(session, first, number="F-1")
        await make_full_invoice(session, second, number="F-2")
        other = await make_organisation(session, name="Autre")
        await make_full_invoice(session, await make_account(session, other), number="F-OTHER")
        permissions = key_options.pop("permissions", [("INVOICES", "READ", None)])
        permissions = [(m, a, {"first": first.id, "second": second.id}.get(x, x)) for m, a, x in permissions]
        key = await make_api_key(session, org, permissions=permissions, **key_options)
    return org, other, key


async def test_a_key_reads_its_organisations_invoices(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker)

    result = await gql(INVOICES, {"id": to_global_id("Organisation", org.id)}, token=key.secret)

    assert result["data"]["organisation"]["invoices"]["totalCount"] == 2
    assert {e["node"]["number"] for e in result["data"]["organisation"]["invoices"]["edges"]} == {"F-1", "F-2"}


async def test_a_key_limited_to_one_account_sees_only_its_invoices(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker, permissions=[("INVOICES", "READ", "first")])

    result = await gql(INVOICES, {"id": to_global_id("Organisation", org.id)}, token=key.secret)

    assert [e["node"]["number"] for e in result["data"]["organisation"]["invoices"]["edges"]] == ["F-1"]


async def test_a_key_without_the_module_is_forbidden(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker)

    result = await gql(PAYMENTS, {"id": to_global_id("Organisation", org.id)}, token=key.secret)

    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "module": "PAYMENTS", "action": "READ"}


async def test_a_key_reaches_nothing_of_another_organisation(gql, sessionmaker) -> None:
    _org, other, key = await _scene(sessionmaker)

    result = await gql(INVOICES, {"id": to_global_id("Organisation", other.id)}, token=key.secret)

    assert result == {"data": {"organisation": None}}


async def test_a_key_is_forbidden_on_viewer_and_on_mutations(gql, sessionmaker) -> None:
    _org, _other, key = await _scene(sessionmaker)

    viewer = await gql("{ viewer { email } }", token=key.secret)
    logout = await gql("mutation { logout { errors { code } } }", token=key.secret, lang="fr")

    assert viewer["data"] is None and viewer["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert logout["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert "clé d'API" in logout["errors"][0]["message"]


async def test_a_revoked_key_is_refused_on_its_next_request(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker)
    variables = {"id": to_global_id("Organisation", org.id)}
    assert "errors" not in await gql(INVOICES, variables, token=key.secret)
    async with sessionmaker() as session, session.begin():
        await session.execute(update(models.ApiKey).values(revoked_at=TEST_NOW))

    result = await gql(INVOICES, variables, token=key.secret, status=401)

    assert "data" not in result
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_an_expired_or_unknown_key_is_refused(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker, expires_at=TEST_NOW - timedelta(seconds=1))
    variables = {"id": to_global_id("Organisation", org.id)}

    expired = await gql(INVOICES, variables, token=key.secret, status=401)
    unknown = await gql(INVOICES, variables, token="gk_" + "x" * 43, status=401)

    assert expired["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert unknown["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_use_records_last_use(gql, sessionmaker) -> None:
    org, _other, key = await _scene(sessionmaker)

    await gql(INVOICES, {"id": to_global_id("Organisation", org.id)}, token=key.secret)

    async with sessionmaker() as session:
        last = (await session.execute(select(models.ApiKey.last_used_at))).scalar_one()
    assert last == TEST_NOW

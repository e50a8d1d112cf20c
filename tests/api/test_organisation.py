"""The organisation graph as a signed-in contact sees it."""

from __future__ import annotations

from tests.factories import make_account, make_line, make_member, make_organisation

QUERY = """
query($id: ID!) {
  viewer { email organisations { id name } }
  organisation(id: $id) {
    name kind taxpayerNumber
    me { email isPrimaryAdmin roles { role billingAccount { number } } permissions { module actions } }
    billingAccounts(first: 10) { totalCount edges { node { number lines(first: 5) { totalCount edges { node { number serviceType } } } } } }
  }
}
"""


async def test_finance_contact_reads_its_organisation_and_accounts(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        await make_line(session, account)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    from guichet.schema.relay import to_global_id

    result = await gql(QUERY, {"id": to_global_id("Organisation", org.id)}, token=finance.token)
    assert "errors" not in result, result
    data = result["data"]
    assert data["viewer"]["email"] == finance.email
    organisation = data["organisation"]
    assert organisation["me"]["roles"] == [{"role": "FINANCE", "billingAccount": None}]
    assert {"module": "INVOICES", "actions": ["READ", "PAY", "EXPORT"]} in organisation["me"]["permissions"]
    accounts = organisation["billingAccounts"]
    assert accounts["totalCount"] == 1
    assert accounts["edges"][0]["node"]["lines"]["totalCount"] == 1


async def test_another_organisation_answers_null(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        mine = await make_organisation(session)
        other = await make_organisation(session)
        me = await make_member(session, mine, roles=[("FINANCE", None)])
    from guichet.schema.relay import to_global_id

    result = await gql(QUERY, {"id": to_global_id("Organisation", other.id)}, token=me.token)
    assert result["data"]["organisation"] is None


async def test_without_credentials_viewer_is_null(gql) -> None:
    result = await gql("{ viewer { email } }")
    assert result == {"data": {"viewer": None}}

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
    from guichet.domain.ids import to_global_id

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
    from guichet.domain.ids import to_global_id

    result = await gql(QUERY, {"id": to_global_id("Organisation", other.id)}, token=me.token)
    assert result["data"]["organisation"] is None


async def test_without_credentials_viewer_is_null(gql) -> None:
    result = await gql("{ viewer { email } }")
    assert result == {"data": {"viewer": None}}


async def test_billing_accounts_and_members_page_with_cursors(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        admin = await make_member(session, org, primary_admin=True)
        others = [await make_member(session, org, roles=[("FINANCE", None)]) for _ in range(2)]
    from guichet.domain.ids import to_global_id

    query = """query($id: ID!, $after: String) { organisation(id: $id) {
      billingAccounts(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number } } }
      members(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { email } } } } }"""
    org_id = to_global_id("Organisation", org.id)

    first = (await gql(query, {"id": org_id}, token=admin.token))["data"]["organisation"]
    accounts_page, members_page = first["billingAccounts"], first["members"]
    second_accounts = (
        await gql(
            query.replace("members(first: 2, after: $after)", "members(first: 2)"),
            {"id": org_id, "after": accounts_page["pageInfo"]["endCursor"]},
            token=admin.token,
        )
    )["data"]["organisation"]["billingAccounts"]
    second_members = (
        await gql(
            query.replace("billingAccounts(first: 2, after: $after)", "billingAccounts(first: 2)"),
            {"id": org_id, "after": members_page["pageInfo"]["endCursor"]},
            token=admin.token,
        )
    )["data"]["organisation"]["members"]

    numbers = [e["node"]["number"] for e in accounts_page["edges"] + second_accounts["edges"]]
    assert numbers == [a.number for a in accounts]
    assert (accounts_page["totalCount"], accounts_page["pageInfo"]["hasNextPage"]) == (3, True)
    assert second_accounts["pageInfo"]["hasNextPage"] is False
    emails = [e["node"]["email"] for e in members_page["edges"] + second_members["edges"]]
    assert sorted(emails) == sorted([admin.email, *(o.email for o in others)])
    assert len(set(emails)) == 3 and members_page["totalCount"] == 3
    assert second_members["pageInfo"]["hasNextPage"] is False

"""Every operation is priced before it runs (OPERATIONS.md "Cost", SEC-06).

Prices are hand-computed from the formula: an object field 1 + its selection, a connection
1 + first (default 20) x its node's selection, scalars, pageInfo, totalCount, edges, node and
rateLimit nothing of their own, a mutation's root field 10 + its selection. An operation over the
maximum is refused with QUERY_TOO_COMPLEX before any SQL; a document is walked once per values of
its `first` variables.
"""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from guichet.schema.cost import PriceCache
from tests.api.test_dashboard_statements import counting
from tests.factories import make_member, make_organisation

INVOICES = """query($id: ID!) { organisation(id: $id) { name invoices(first: 10) { totalCount pageInfo { hasNextPage }
  edges { cursor node { number billingAccount { name } lines { description } } } } } }"""
# members = 1 + 3 x (roles 1 + billingAccount 1) = 7; lines = 1 + 5 x billingAccount 1 = 6;
# billingAccounts = 1 + $n x 6; organisation = 1 + 7 + billingAccounts.
FRAGMENTS = """query($id: ID!, $n: Int) { organisation(id: $id) { ...F
  billingAccounts(first: $n) { edges { node { ...A } } } } rateLimit { cost remaining } }
fragment F on Organisation { members(first: 3) { edges { node { roles { billingAccount { name } } } } } }
fragment A on BillingAccount { lines(first: 5) { edges { node { billingAccount { name } } } } }"""
# invoices = 1 + 100 x (billingAccount 1 + lines (1 + 100 x billingAccount 1)) = 10,201; + organisation 1.
TOO_COMPLEX = """query($id: ID!) { organisation(id: $id) { invoices(first: 100) { edges { node {
  billingAccount { lines(first: 100) { edges { node { billingAccount { name } } } } } } } } } }"""


async def _member(sessionmaker: Any) -> tuple[dict[str, str], str]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        admin = await make_member(session, org, primary_admin=True)
    return {"id": to_global_id("Organisation", org.id)}, admin.token


async def _cost(gql: Any, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
    return (await gql(query, variables, token=token, extensions=True))["extensions"]["cost"]


async def test_a_connection_costs_one_plus_first_times_its_node(gql, sessionmaker) -> None:
    variables, token = await _member(sessionmaker)

    cost = await _cost(gql, INVOICES, variables, token)

    # organisation 1 + invoices (1 + 10 x (billingAccount 1 + lines 1)) = 22
    assert cost["requestedQueryCost"] == 22
    assert cost["actualQueryCost"] == 22
    assert cost["throttleStatus"] == {"maximumAvailable": 1000, "currentlyAvailable": 978, "restoreRate": 50}


async def test_fragments_variables_and_defaults_are_priced(gql, sessionmaker) -> None:
    variables, token = await _member(sessionmaker)

    with_four = await gql(FRAGMENTS, {**variables, "n": 4}, token=token, extensions=True)
    default = await _cost(gql, FRAGMENTS, variables, token)

    assert with_four["extensions"]["cost"]["requestedQueryCost"] == 1 + 7 + (1 + 4 * 6)
    assert with_four["data"]["rateLimit"] == {"cost": 33, "remaining": 1000 - 33}
    assert default["requestedQueryCost"] == 1 + 7 + (1 + 20 * 6)


async def test_a_mutation_root_field_costs_ten(gql, sessionmaker) -> None:
    _variables, token = await _member(sessionmaker)

    cost = await _cost(gql, "mutation { logout { ok } }", {}, token)

    assert cost["requestedQueryCost"] == 10


async def test_rate_limit_alone_costs_nothing(gql) -> None:
    result = await gql("{ rateLimit { limit cost remaining used resetAt } }", extensions=True)

    assert result["extensions"]["cost"]["requestedQueryCost"] == 0
    assert result["data"]["rateLimit"] == {
        "limit": 1000,
        "cost": 0,
        "remaining": 1000,
        "used": 0,
        "resetAt": "2026-11-25T10:00:00+00:00",
    }


async def test_an_operation_over_the_maximum_is_refused_before_any_sql(app, gql, sessionmaker) -> None:
    variables, token = await _member(sessionmaker)
    await gql(INVOICES, variables, token=token)  # warm start-up caches

    with counting(app.state.guichet.engine) as anonymous:
        refused = await gql(TOO_COMPLEX, variables, extensions=True)
    with counting(app.state.guichet.engine) as signed_in:
        result = await gql(TOO_COMPLEX, variables, token=token, extensions=True, lang="fr")

    assert anonymous == []
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # A bearer is checked as the request arrives (401 when it signs no one in): that lookup only.
    assert len(signed_in) == 1 and "sessions" in signed_in[0]
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 10_202, "maximumCost": 1000}
    assert "10202 points" in error["message"] and "1000" in error["message"]
    assert result["extensions"]["cost"]["requestedQueryCost"] == 10_202


async def test_a_document_is_walked_once_per_first_values(app, gql, sessionmaker) -> None:
    variables, token = await _member(sessionmaker)
    cache = _price_cache(app)
    before = cache.walks

    for _ in range(3):
        await gql(FRAGMENTS, {**variables, "n": 4}, token=token)
    await gql(FRAGMENTS, {**variables, "n": 5}, token=token)

    assert cache.walks - before == 2


def _price_cache(app: Any) -> Any:
    """The PriceCache the schema's QueryCost factory closes over."""
    for extension in app.state.schema.extensions:
        for cell in getattr(extension, "__closure__", None) or ():
            if isinstance(cell.cell_contents, PriceCache):
                return cell.cell_contents
    raise AssertionError("no PriceCache in the schema's extensions")

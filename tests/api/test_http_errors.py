"""Errors: bugs are masked and logged with a request id (SEC-16), refusals keep their code (SEC-17),
and a hidden schema leaks no hints (SEC-12..14)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from starlette.routing import Route

from guichet.domain.errors import DomainError, ErrorCode
from guichet.i18n import render
from guichet.resolvers import support as support_resolvers
from guichet.server import create_app
from tests.http_bodies import graphql_body

QUERY = "{ supportChannels { kind } }"


def _raise(error: BaseException):  # type: ignore[no-untyped-def]
    def resolver(*args: Any, **kwargs: Any) -> Any:
        raise error

    return resolver


@pytest.fixture
async def hidden(settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    """A deployment with introspection and GraphiQL turned off."""
    app = create_app(settings.with_overrides(introspection=False, graphiql=False), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guichet.test") as client,
    ):
        yield client


async def test_an_unexpected_exception_is_masked_and_logged_with_the_request_id(
    http, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(
        support_resolvers, "support_channels", _raise(RuntimeError("psycopg: relation secret_table does not exist"))
    )
    with caplog.at_level(logging.ERROR):
        response = await http.post("/graphql", json={"query": QUERY}, headers={"X-Request-Id": "req-42.a"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42.a"
    assert graphql_body(response) == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["supportChannels"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42.a"},
            }
        ],
    }
    assert "secret_table" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name == "guichet.graphql" and "req-42.a" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "secret_table" in str(logged[0].exc_info[1])


async def test_without_a_request_id_one_is_generated_and_returned(http, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support_resolvers, "support_channels", _raise(KeyError("boom")))
    response = await http.post("/graphql", json={"query": QUERY}, headers={"X-Request-Id": "bad id\r\nx"})
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert response.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": generated}


async def test_graphql_errors_with_a_code_pass_unmasked(http, monkeypatch: pytest.MonkeyPatch) -> None:
    error = GraphQLError("You may not do that.", extensions={"code": "FORBIDDEN"})
    monkeypatch.setattr(support_resolvers, "support_channels", _raise(error))
    body = (await http.post("/graphql", json={"query": QUERY})).json()
    assert body["errors"][0]["message"] == "You may not do that."
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_graphql_errors_without_a_code_are_masked(http, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support_resolvers, "support_channels", _raise(GraphQLError("table users is locked")))
    body = (await http.post("/graphql", json={"query": QUERY})).json()
    assert body["errors"][0]["message"] == "Unexpected error."


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_domain_error_escaping_a_resolver_keeps_its_code(
    gql, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setattr(support_resolvers, "support_channels", _raise(DomainError(ErrorCode.NOT_FOUND, field=["id"])))
    body = await gql(QUERY, lang=lang)
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": ["id"]}
    assert body["errors"][0]["message"] == render("NOT_FOUND", lang)


async def test_an_exception_outside_graphql_is_a_masked_500(app, http, caplog: pytest.LogCaptureFixture) -> None:
    async def boom(request):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk /var/secret full")

    app.router.routes.append(Route("/boom", boom))
    with caplog.at_level(logging.ERROR):
        response = await http.get("/boom", headers={"X-Request-Id": "r-500"})
    assert response.status_code == 500
    assert response.json() == {"error": "Unexpected error.", "requestId": "r-500"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert any("r-500" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_security_headers_are_on_every_response(http) -> None:
    for response in (
        await http.post("/graphql", json={"query": "{ __typename }"}),
        await http.get("/healthz"),
        await http.get("/no-such-route"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers  # public URL is http in tests


async def test_introspection_off_refuses_schema_and_type_but_not_typename(hidden) -> None:
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Invoice") { fields { name } } }'):
        body = (await hidden.post("/graphql", json={"query": query})).json()
        assert body["data"] is None
        assert "introspection has been disabled" in body["errors"][0]["message"]
    body = graphql_body(await hidden.post("/graphql", json={"query": "{ __typename }"}))
    assert body == {"data": {"__typename": "Query"}}


PROBES = [
    ("{ supportChannel { kind } }", None),  # unknown field
    ("{ supportChannels(topc: PAYMENTS) { kind } }", None),  # unknown argument
    ("{ supportChannels(topic: PAYMENT) { kind } }", None),  # bad enum value
    ("query($t: SupportTopik) { supportChannels(topic: $t) { kind } }", None),  # unknown variable type
    ("{ supportChannels }", None),  # missing sub-selection
    ('{ organisation(id: "1") { invoices(first: 1, filter: {statuss: OPEN}) { totalCount } } }', None),
    ("query($t: SupportTopic) { supportChannels(topic: $t) { kind } }", {"t": "PAYMENTZ"}),  # bad variable
    ('mutation { login(input: {emal: "a@b.ci", password: "x"}) { errors { code } } }', None),  # bad input field
]


@pytest.mark.parametrize(("query", "variables"), PROBES)
async def test_a_hidden_schema_leaks_no_names_in_errors(hidden, query: str, variables: dict | None) -> None:
    body = (await hidden.post("/graphql", json={"query": query, "variables": variables or {}})).json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["Query validation error."] * len(body["errors"])
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    for leak in ("Did you mean", "SupportTopic", "SupportChannel", "InvoiceFilter", "LoginInput", "'Query'", "type"):
        assert leak not in str(body)


async def test_a_hidden_schema_still_reports_limits_and_syntax(hidden) -> None:
    body = (await hidden.post("/graphql", json={"query": "{ supportChannels { kind }"})).json()
    assert body["errors"][0]["message"].startswith("Syntax Error: Expected Name, found <EOF>.")
    sixteen = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    body = (await hidden.post("/graphql", json={"query": sixteen})).json()
    assert body["errors"][0]["message"] == "16 aliases found. Allowed: 15"


async def test_with_introspection_on_validation_errors_help_the_developer(http) -> None:
    body = (await http.post("/graphql", json={"query": "{ supportChannels(topic: PAYMENT) { kind } }"})).json()
    assert body["errors"][0]["message"] == (
        "Value 'PAYMENT' does not exist in 'SupportTopic' enum. Did you mean the enum value 'PAYMENTS'?"
    )


async def test_a_failing_authorization_check_fails_closed(gql, sessionmaker, monkeypatch: pytest.MonkeyPatch) -> None:
    from guichet.domain.ids import to_global_id
    from guichet.policies.authz import Authorizer
    from tests.factories import make_account, make_member, make_organisation

    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        member = await make_member(session, org, roles=[("FINANCE", None)])

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("invalid policy size")

    for name in ("access", "membership", "scope", "allowed", "require", "visible_accounts"):
        monkeypatch.setattr(Authorizer, name, broken)
    query = "query($id: ID!) { organisation(id: $id) { name billingAccounts { edges { node { number } } } } }"
    result = await gql(query, {"id": to_global_id("Organisation", org.id)}, token=member.token)
    assert account.number not in str(result)
    assert result["data"] is None or result["data"]["organisation"] is None
    assert {e["message"] for e in result["errors"]} == {"Unexpected error."}

"""Query shape and transport limits (SEC-01..04, 08, 10, 34, 35): refused before anything runs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib.metadata import version

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.server import GuichetGraphQL
from tests.http_bodies import graphql_body


def _nested_lines(levels: int, leaf: str) -> str:
    """node > (billingAccount > lines > edges > node) x levels > leaf, through the Line <-> account cycle."""
    inner = leaf
    for _ in range(levels):
        inner = f"billingAccount {{ lines(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"
    return f'{{ node(id: "TGluZTox") {{ ... on Line {{ {inner} }} }} }}'


def _messages(body: dict) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


@pytest.fixture
def spy_view(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every request that reached the GraphQL view."""
    calls: list[str] = []
    original = GuichetGraphQL.get_context

    async def spy(self, request, response):  # type: ignore[no-untyped-def]
        calls.append(request.method)
        return await original(self, request, response)

    monkeypatch.setattr(GuichetGraphQL, "get_context", spy)
    return calls


async def _outbox_count(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(models.OutboxEmail))).scalar_one()


def test_strawberry_is_past_its_published_advisories() -> None:
    installed = tuple(int(part) for part in version("strawberry-graphql").split(".")[:3])
    assert installed >= (0, 327, 2)


async def test_depth_twelve_passes_and_thirteen_is_refused(http) -> None:
    # node(1) + 2 levels x 4 + billingAccount(10) lines(11) totalCount(12)
    deep_enough = _nested_lines(2, "billingAccount { lines(first: 1) { totalCount } }")
    body = (await http.post("/graphql", json={"query": deep_enough})).json()
    assert not any("depth" in m for m in _messages(body)), body

    too_deep = _nested_lines(3, "number")  # depth 14
    body = (await http.post("/graphql", json={"query": too_deep})).json()
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "'anonymous' exceeds maximum operation depth of 12",
                "locations": body["errors"][0]["locations"],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }


async def test_circular_fragments_are_a_validation_error(http) -> None:
    query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert any("Cannot spread fragment 'A' within itself" in m for m in _messages(body))


async def test_fifteen_aliases_pass_and_sixteen_are_refused(http) -> None:
    fifteen = "{ " + " ".join(f"a{i}: __typename" for i in range(15)) + " }"
    assert (await http.post("/graphql", json={"query": fifteen})).json()["data"]["a14"] == "Query"

    sixteen = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    body = (await http.post("/graphql", json={"query": sixteen})).json()
    assert body["data"] is None
    assert _messages(body) == ["16 aliases found. Allowed: 15"]


async def test_aliases_are_counted_through_fragments(http) -> None:
    query = (
        "{ ...F ...G } fragment F on Query { "
        + " ".join(f"f{i}: __typename" for i in range(8))
        + " } fragment G on Query { "
        + " ".join(f"g{i}: __typename" for i in range(8))
        + " }"
    )
    body = (await http.post("/graphql", json={"query": query})).json()
    assert body["data"] is None
    assert _messages(body) == ["16 aliases found. Allowed: 15"]


async def test_more_than_a_thousand_tokens_aborts_parsing(http) -> None:
    query = "{ " + "__typename " * 999 + "}"  # 1001 tokens
    body = (await http.post("/graphql", json={"query": query})).json()
    assert body["data"] is None
    assert _messages(body) == ["Syntax Error: Document contains more than 1000 tokens. Parsing aborted."]

    directives = "{ __typename " + "@aa" * 500 + " }"
    body = (await http.post("/graphql", json={"query": directives})).json()
    assert _messages(body) == ["Syntax Error: Document contains more than 1000 tokens. Parsing aborted."]


async def test_a_body_over_64_kib_is_refused_with_413_before_the_view(http, spy_view) -> None:
    payload = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * (1024 * 1024)}})
    response = await http.post("/graphql", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": "Request body larger than 65536 bytes."}
    assert spy_view == []


async def test_a_streamed_body_over_64_kib_is_refused_too(http, spy_view) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}}'

    response = await http.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.request.headers.get("content-length") is None
    assert response.status_code == 413
    assert spy_view == []


async def test_a_60_kib_request_is_served(http) -> None:
    payload = {"query": "{ __typename }", "variables": {"pad": "x" * (60 * 1024)}}
    response = await http.post("/graphql", json=payload)
    assert response.status_code == 200
    assert graphql_body(response) == {"data": {"__typename": "Query"}}


async def test_batching_is_off(http, spy_view) -> None:
    response = await http.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


async def test_queries_work_over_get_but_mutations_do_not(http, sessionmaker) -> None:
    response = await http.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert graphql_body(response) == {"data": {"__typename": "Query"}}

    mutation = 'mutation { requestPasswordReset(input: {email: "someone@example.ci"}) { ok } }'
    response = await http.get("/graphql", params={"query": mutation})
    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    assert await _outbox_count(sessionmaker) == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps({"query": 'mutation { requestPasswordReset(input: {email: "a@b.ci"}) { ok } }'})),
        (
            "application/x-www-form-urlencoded",
            'query=mutation+%7B+requestPasswordReset(input%3A+%7Bemail%3A+"a%40b.ci"%7D)+%7B+ok+%7D+%7D',
        ),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            '{"query": "mutation { requestPasswordReset(input: {email: \\"a@b.ci\\"}) { ok } }"}\r\n--x--\r\n',
        ),
    ],
)
async def test_simple_cross_site_posts_are_refused(http, sessionmaker, content_type: str, body: str) -> None:
    response = await http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert "Unsupported content type" in response.text
    assert await _outbox_count(sessionmaker) == 0


def test_extensions_are_per_request_factories_not_shared_instances() -> None:
    import warnings

    from strawberry.extensions import SchemaExtension

    from guichet.schema.schema import build_schema

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build_schema(introspection=False)
    assert built.extensions
    assert not any(isinstance(extension, SchemaExtension) for extension in built.extensions)


async def test_https_deployments_send_hsts(settings, clock) -> None:
    import httpx

    from guichet.server import create_app

    app = create_app(settings.with_overrides(public_url="https://portail.example.ci"), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portail.example.ci") as client,
    ):
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def _fragment_bomb(levels: int) -> str:
    """`{ ...F0 }` where each fragment spreads the next one twice: 2^levels fields once expanded."""
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


async def test_a_fragment_bomb_is_refused(http) -> None:
    query = _fragment_bomb(20)
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200
    assert graphql_body(response) == {
        "data": None,
        "errors": [
            {
                "message": "'anonymous' selects 1048576 fields once fragments are expanded. Allowed: 2000",
                "locations": [{"line": 1, "column": 1}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }


async def test_two_thousand_expanded_fields_pass_and_one_more_is_refused(http) -> None:
    fragments = (
        "fragment F on Query { " + "__typename " * 20 + "} fragment G on Query { " + "...F " * 10 + "}"
    )  # G: 200 fields
    allowed = "query Wide { " + "...G " * 10 + "} " + fragments
    assert graphql_body(await http.post("/graphql", json={"query": allowed})) == {"data": {"__typename": "Query"}}

    refused = "query Wide { __typename " + "...G " * 10 + "} " + fragments
    body = (await http.post("/graphql", json={"query": refused})).json()
    assert body["data"] is None
    assert _messages(body) == ["'Wide' selects 2001 fields once fragments are expanded. Allowed: 2000"]


async def test_depth_is_counted_through_a_fragment_spread_at_two_depths(http) -> None:
    # L adds 4 levels, M adds 8 (4 of its own, then L): node + L + M = 13 > 12.
    fragments = (
        "fragment L on Line { billingAccount { lines(first: 1) { edges { node { number } } } } } "
        "fragment M on Line { billingAccount { lines(first: 1) { edges { node { ...L } } } } }"
    )
    allowed = '{ node(id: "TGluZTox") { ... on Line { ...L ...M } } } ' + fragments
    body = graphql_body(await http.post("/graphql", json={"query": allowed}))
    assert body == {"data": {"node": None}}

    inner = "billingAccount { lines(first: 1) { edges { node { ...M } } } }"
    refused = f'{{ node(id: "TGluZTox") {{ ... on Line {{ ...L {inner} }} }} }} ' + fragments
    body = (await http.post("/graphql", json={"query": refused})).json()
    assert body["data"] is None
    assert _messages(body) == ["'anonymous' exceeds maximum operation depth of 12"]

"""GraphiQL served offline by Guichet itself, turned off on demand; Prometheus metrics."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from guichet.server import create_app
from guichet.web.static import ASSET_TYPES
from tests.http_bodies import graphql_body

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
async def without_graphiql(settings, clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.with_overrides(graphiql=False), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guichet.test") as client,
    ):
        yield client


async def test_a_browser_gets_our_graphiql_page_with_local_assets_only(http) -> None:
    response = await http.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources == [
        "/graphiql/assets/graphiql.min.css",
        "/graphiql/assets/react.production.min.js",
        "/graphiql/assets/react-dom.production.min.js",
        "/graphiql/assets/graphiql.min.js",
        "/graphiql/assets/guichet-graphiql.js",
    ]
    assert "<script>" not in page  # no inline script: the CSP forbids it
    assert "unpkg" not in page and "jsdelivr" not in page and "https://" not in page
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("name", sorted(ASSET_TYPES))
async def test_every_asset_is_served_with_its_type(http, name: str) -> None:
    response = await http.get(f"/graphiql/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == ASSET_TYPES[name]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 100
    again = await http.get(f"/graphiql/assets/{name}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_the_bearer_header_editor_is_on_and_headers_are_not_persisted(http) -> None:
    script = (await http.get("/graphiql/assets/guichet-graphiql.js")).text
    assert "isHeadersEditorEnabled: true" in script
    assert "shouldPersistHeaders: false" in script
    assert '"Authorization": "Bearer <token>"' in script


@pytest.mark.parametrize("name", ["graphiql.html", "../server.py", "..%2F..%2Fsettings.py", "index.umd.js.map"])
async def test_nothing_else_is_served_from_the_assets_folder(http, name: str) -> None:
    assert (await http.get(f"/graphiql/assets/{name}")).status_code == 404


async def test_graphiql_off_answers_404_to_browsers_and_for_assets(without_graphiql) -> None:
    response = await without_graphiql.get("/graphql", headers=BROWSER)
    assert response.status_code == 404
    assert "<html" not in response.text.lower()
    assert (await without_graphiql.get("/graphiql/assets/graphiql.min.js")).status_code == 404
    # The API itself still answers.
    response = await without_graphiql.post("/graphql", json={"query": "{ __typename }"})
    assert graphql_body(response) == {"data": {"__typename": "Query"}}


async def test_head_on_graphql_answers_like_get_without_a_body(http) -> None:
    page = await http.get("/graphql", headers=BROWSER)
    head = await http.head("/graphql", headers=BROWSER)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == page.headers["content-type"]
    assert head.headers["content-length"] == page.headers["content-length"] == str(len(page.content))
    assert head.headers["content-security-policy"] == page.headers["content-security-policy"]

    query = await http.head("/graphql", params={"query": "{ __typename }"})
    assert (query.status_code, query.content) == (200, b"")
    assert query.headers["content-type"] == "application/json"


async def test_head_on_graphql_is_404_for_browsers_when_graphiql_is_off(without_graphiql) -> None:
    response = await without_graphiql.head("/graphql", headers=BROWSER)
    assert (response.status_code, response.content) == (404, b"")


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        found = dict(re.findall(r'(\w+)="([^"]*)"', head[len(name) + 1 : -1]))
        if found == labels:
            return float(value)
    return None


async def test_metrics_count_requests_by_route_and_graphql_operations_by_outcome(http) -> None:
    await http.get("/healthz")
    await http.get("/healthz")
    await http.get("/graphiql/assets/nope.js")
    await http.post("/graphql", json={"query": "query Channels { supportChannels { kind } }"})
    await http.post("/graphql", json={"query": "query Broken { nope }"})
    await http.post("/graphql", json={"query": "{ __typename }"})
    await http.post("/graphql", json={"query": "query ${ __typename }"})

    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "guichet_http_requests_total", method="GET", route="/healthz", status="200") == 2
    assert (
        _sample(text, "guichet_http_requests_total", method="GET", route="/graphiql/assets/{name}", status="404") == 1
    )
    assert _sample(text, "guichet_http_requests_total", method="POST", route="/graphql", status="200") == 4
    assert _sample(text, "guichet_http_request_duration_seconds_count", method="GET", route="/healthz") == 2
    ops = "guichet_graphql_operations_total"
    assert _sample(text, ops, operation="Channels", type="query", outcome="ok") == 1
    assert _sample(text, ops, operation="Broken", type="query", outcome="invalid") == 1
    assert _sample(text, ops, operation="anonymous", type="query", outcome="ok") == 1
    assert _sample(text, ops, operation="anonymous", type="unknown", outcome="invalid") == 1


async def test_each_app_has_its_own_registry(settings, clock, http) -> None:
    await http.get("/healthz")
    other = create_app(settings, clock=clock)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://guichet.test") as client,
    ):
        text = (await client.get("/metrics")).text
    assert _sample(text, "guichet_http_requests_total", method="GET", route="/healthz", status="200") is None

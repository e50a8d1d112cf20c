"""Trusted documents (OPERATIONS.md): documentId, Apollo's automatic persisted queries, the manifest
import, GUICHET_TRUSTED_DOCUMENTS off / log / enforce, and a key's allowedDocumentIds."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from guichet.cli.main import cli
from guichet.domain.ids import to_global_id
from guichet.domain.models.api_keys import TrustedDocument
from guichet.domain.trusted_documents import ManifestError, document_id, import_manifest, parse_manifest
from guichet.server import create_app
from tests.conftest import TEST_NOW
from tests.factories import make_organisation
from tests.factories_api_keys import make_api_key

TRUSTED = "query Org($id: ID!) { organisation(id: $id) { name } }"
OTHER = "{ __typename }"


def _manifest(*bodies: str) -> str:
    return json.dumps(
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": hashlib.sha256(b.encode()).hexdigest(), "name": f"op{i}", "type": "query", "body": b}
                for i, b in enumerate(bodies)
            ],
        }
    )


@pytest.fixture
def mode() -> str:
    return "off"


@pytest.fixture
async def client(settings, clock, mode) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    application = create_app(settings.with_overrides(trusted_documents=mode), clock=clock)
    async with application.router.lifespan_context(application):
        async with application.state.guichet.sessionmaker() as session, session.begin():
            await import_manifest(session, parse_manifest(_manifest(TRUSTED)), now=TEST_NOW)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as http:
            yield application, http


async def _post(http: httpx.AsyncClient, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _apq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


def _code(body: dict[str, Any]) -> str | None:
    return (body.get("errors") or [{}])[0].get("extensions", {}).get("code")


async def test_a_document_id_runs_the_stored_document(client) -> None:
    _app, http = client

    body = await _post(http, {"documentId": document_id(TRUSTED), "variables": {"id": "T3JnYW5pc2F0aW9uOjk5"}})

    assert body["data"] == {"organisation": None}


async def test_an_unknown_document_id_or_hash_is_persisted_query_not_found(client) -> None:
    _app, http = client

    by_id = await _post(http, {"documentId": document_id("{ unknown }")})
    by_hash = await _post(http, {"extensions": _apq("{ unknown }")})

    assert _code(by_id) == _code(by_hash) == "PERSISTED_QUERY_NOT_FOUND"
    assert by_hash["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_automatic_persisted_queries_register_then_run_by_hash(client) -> None:
    _app, http = client
    assert _code(await _post(http, {"extensions": _apq(OTHER)})) == "PERSISTED_QUERY_NOT_FOUND"

    registered = await _post(http, {"query": OTHER, "extensions": _apq(OTHER)})
    again = await _post(http, {"extensions": _apq(OTHER)})

    assert registered["data"] == again["data"] == {"__typename": "Query"}


async def test_a_hash_that_does_not_match_its_query_is_refused(client) -> None:
    _app, http = client

    body = await _post(http, {"query": OTHER, "extensions": _apq(TRUSTED)})

    assert _code(body) == "PERSISTED_QUERY_HASH_MISMATCH"


@pytest.mark.parametrize("mode", ["log"])
async def test_log_mode_runs_unknown_documents_and_logs_them(client, caplog) -> None:
    _app, http = client
    with caplog.at_level(logging.WARNING, logger="guichet.trusted_documents"):
        body = await _post(http, {"query": OTHER})

    assert body["data"] == {"__typename": "Query"}
    assert document_id(OTHER) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="guichet.trusted_documents"):
        await _post(http, {"query": TRUSTED, "variables": {"id": "T3JnYW5pc2F0aW9uOjk5"}})
    assert caplog.text == ""


@pytest.mark.parametrize("mode", ["enforce"])
async def test_enforce_mode_runs_only_manifest_documents(client) -> None:
    app, http = client

    trusted = await _post(http, {"query": TRUSTED, "variables": {"id": "T3JnYW5pc2F0aW9uOjk5"}})
    other = await _post(http, {"query": OTHER})
    introspection = await _post(http, {"query": "{ __schema { queryType { name } } }"})
    apq = await _post(http, {"query": OTHER, "extensions": _apq(OTHER)})

    assert trusted["data"] == {"organisation": None}
    assert _code(other) == _code(introspection) == _code(apq) == "OPERATION_NOT_ALLOWLISTED"
    async with app.state.guichet.sessionmaker() as session:
        stored = (await session.execute(select(TrustedDocument.document_id))).scalars().all()
    assert stored == [document_id(TRUSTED)]  # enforcing registers nothing


async def test_a_key_runs_only_its_allowed_documents(client) -> None:
    app, http = client
    async with app.state.guichet.sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        key = await make_api_key(
            session, org, permissions=[("INVOICES", "READ", None)], allowed_document_ids=[document_id(TRUSTED)]
        )
    variables = {"id": to_global_id("Organisation", org.id)}

    allowed = await _post(http, {"query": TRUSTED, "variables": variables}, token=key.secret)
    refused = await _post(http, {"query": OTHER}, token=key.secret)

    assert allowed["data"] == {"organisation": {"name": org.name}}
    assert _code(refused) == "OPERATION_NOT_ALLOWLISTED"


def test_a_manifest_id_that_does_not_match_its_body_is_refused() -> None:
    manifest = json.loads(_manifest(TRUSTED))
    manifest["operations"][0]["body"] += " "

    with pytest.raises(ManifestError, match="id does not match its body"):
        parse_manifest(json.dumps(manifest))


async def test_the_cli_imports_a_manifest_and_refuses_a_bad_one(app, database_url, tmp_path: Path, monkeypatch) -> None:
    good = tmp_path / "manifest.json"
    good.write_text(_manifest(OTHER, TRUSTED))
    bad = tmp_path / "bad.json"
    bad.write_text(_manifest(OTHER).replace(hashlib.sha256(OTHER.encode()).hexdigest(), "0" * 64))
    monkeypatch.setenv("GUICHET_DATABASE_URL", database_url)
    runner = CliRunner()

    refused = await _in_thread(lambda: runner.invoke(cli, ["documents", "import", str(bad)]))
    imported = await _in_thread(lambda: runner.invoke(cli, ["documents", "import", str(good)]))

    assert refused.exit_code == 1 and "id does not match its body" in refused.output
    assert imported.exit_code == 0, imported.output
    assert "2 documents" in imported.output
    async with app.state.guichet.sessionmaker() as session:
        stored = set((await session.execute(select(TrustedDocument.document_id))).scalars().all())
    assert stored == {document_id(OTHER), document_id(TRUSTED)}


async def _in_thread(call: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(call)

"""Two `guichet serve` processes on one PostgreSQL database: an API key revoked through the first is
refused by the second on its very next request, and its rules leave the second's engine."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.ids import to_global_id
from tests.e2e.support import guichet_env, postgres_database, run_guichet, running_server
from tests.factories import make_account, make_member, make_organisation
from tests.factories_invoices import make_full_invoice

pytestmark = pytest.mark.e2e

INVOICES = "query($id: ID!) { organisation(id: $id) { invoices(first: 5) { totalCount } } }"
CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id } errors { code } } }"""
REVOKE = "mutation($input: ApiKeyIdInput!) { revokeApiKey(input: $input) { errors { code } } }"


async def _seed(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            org = await make_organisation(session)
            await make_full_invoice(session, await make_account(session, org))
            admin = await make_member(session, org, primary_admin=True)
        return {"org": org.id, "admin": admin}
    finally:
        await engine.dispose()


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database("keys") as url:
        yield url


def test_a_key_revoked_through_one_process_is_refused_by_the_other(database: str, tmp_path: Path) -> None:
    env = guichet_env(database, {"GUICHET_PASSWORD_HASH_PROFILE": "test", "GUICHET_TESTING": "1"})
    upgraded = run_guichet("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    world = asyncio.run(_seed(database))
    org_id = {"id": to_global_id("Organisation", world["org"])}
    admin = world["admin"].token
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()  # the servers run on the real clock
    key_input = {
        "organisationId": org_id["id"],
        "name": "Reporting",
        "permissions": [{"module": "INVOICES", "actions": ["READ"]}],
        "expiresAt": expires,
    }

    with running_server(env, cwd=tmp_path) as first, running_server(env, cwd=tmp_path) as second:
        created = first.graphql(CREATE, {"input": key_input}, token=admin)["data"]["createApiKey"]
        assert created["errors"] == [], created
        allowed = second.graphql(INVOICES, org_id, token=created["secret"])
        assert allowed["data"]["organisation"]["invoices"]["totalCount"] == 1, allowed

        revoked = first.graphql(REVOKE, {"input": {"apiKeyId": created["apiKey"]["id"]}}, token=admin)
        assert revoked["data"] == {"revokeApiKey": {"errors": []}}

        refused = httpx.post(
            f"{second.base_url}/graphql",
            json={"query": INVOICES, "variables": org_id},
            headers={"Authorization": f"Bearer {created['secret']}"},
            timeout=30,
        )
        assert refused.status_code == 401, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

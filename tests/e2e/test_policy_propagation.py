"""Two `guichet serve` processes on one PostgreSQL database: an access change made through the
first is enforced by the second on its very next request (revocation, then disablement)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.ids import to_global_id
from tests.e2e.support import guichet_env, postgres_database, run_guichet, running_server
from tests.factories import make_member, make_organisation

pytestmark = pytest.mark.e2e

MEMBERS = "query($id: ID!) { organisation(id: $id) { members(first: 5) { totalCount } } }"
ORG = "query($id: ID!) { organisation(id: $id) { name } }"
UPDATE = "mutation($input: UpdateMemberAccessInput!) { updateMemberAccess(input: $input) { errors { code } } }"
DISABLE = "mutation($input: ContactIdInput!) { disableMember(input: $input) { errors { code } } }"


async def _seed(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            org = await make_organisation(session)
            admin = await make_member(session, org, primary_admin=True)
            member = await make_member(session, org, roles=[("MANAGEMENT", None)])
        return {"org": org.id, "admin": admin, "member": member}
    finally:
        await engine.dispose()


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database("policy") as url:
        yield url


def test_a_revocation_through_one_process_is_enforced_by_the_other(database: str, tmp_path: Path) -> None:
    env = guichet_env(database, {"GUICHET_PASSWORD_HASH_PROFILE": "test", "GUICHET_TESTING": "1"})
    upgraded = run_guichet("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    world = asyncio.run(_seed(database))
    org_id = {"id": to_global_id("Organisation", world["org"])}
    contact = {"contactId": to_global_id("Contact", world["member"].contact_id)}

    with running_server(env, cwd=tmp_path) as first, running_server(env, cwd=tmp_path) as second:
        allowed = second.graphql(MEMBERS, org_id, token=world["member"].token)
        assert allowed["data"]["organisation"]["members"]["totalCount"] == 2, allowed

        revoked = first.graphql(UPDATE, {"input": {**contact, "roles": []}}, token=world["admin"].token)
        assert revoked == {"data": {"updateMemberAccess": {"errors": []}}}

        refused = second.graphql(MEMBERS, org_id, token=world["member"].token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
        still_member = second.graphql(ORG, org_id, token=world["member"].token)
        assert still_member["data"]["organisation"] is not None

        disabled = first.graphql(DISABLE, {"input": contact}, token=world["admin"].token)
        assert disabled == {"data": {"disableMember": {"errors": []}}}

        gone = httpx.post(
            f"{second.base_url}/graphql",
            json={"query": ORG, "variables": org_id},
            headers={"Authorization": f"Bearer {world['member'].token}"},
            timeout=30,
        )
        # Its only membership is disabled, so its sessions ended: the bearer is refused outright.
        assert gone.status_code == 401, gone.text
        assert gone.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

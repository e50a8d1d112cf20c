"""Operations of the integrations area: INTEGRATIONS READ (list keys) and WRITE (manage them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.conftest import TEST_NOW
from tests.factories_api_keys import make_api_key


async def _org(session: Any, world: World) -> dict[str, Any]:
    return {"id": to_global_id("Organisation", world.org.id)}


async def _create(session: Any, world: World) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "name": "Reporting",
            "permissions": [{"module": "INVOICES", "actions": ["READ"]}],
            "expiresAt": (TEST_NOW + timedelta(days=30)).isoformat(),
        }
    }


async def _key(session: Any, world: World) -> dict[str, Any]:
    key = await make_api_key(session, world.org, permissions=[("INVOICES", "READ", None)])
    return {"input": {"apiKeyId": to_global_id("ApiKey", key.api_key_id)}}


OPERATIONS = [
    AccessOperation(
        "INTEGRATIONS",
        "READ",
        "apiKeys",
        _org,
        "query($id: ID!) { organisation(id: $id) { apiKeys(first: 5) { totalCount } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "createApiKey",
        _create,
        "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret errors { code } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "rotateApiKey",
        _key,
        "mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { secret errors { code } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "revokeApiKey",
        _key,
        "mutation($input: ApiKeyIdInput!) { revokeApiKey(input: $input) { apiKey { id } errors { code } } }",
    ),
]

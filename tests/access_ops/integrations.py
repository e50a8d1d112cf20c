"""Operations of the integrations area: INTEGRATIONS READ (list keys, webhook endpoints and events)
and WRITE (manage keys and webhook endpoints)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.conftest import TEST_NOW
from tests.factories_api_keys import make_api_key
from tests.factories_webhooks import make_delivery, make_endpoint

# A literal public address: creating needs no DNS lookup in the matrix.
PUBLIC_URL = "https://93.184.215.14/guichet"


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


async def _endpoint_input(session: Any, world: World) -> dict[str, Any]:
    key = await make_api_key(session, world.org, permissions=[("INVOICES", "READ", None)])
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "url": PUBLIC_URL,
            "eventTypes": ["INVOICE_PAID"],
            "apiKeyId": to_global_id("ApiKey", key.api_key_id),
        }
    }


async def _endpoint(session: Any, world: World) -> dict[str, Any]:
    key = await make_api_key(session, world.org, permissions=[("INVOICES", "READ", None)])
    endpoint = await make_endpoint(session, world.org, key.api_key_id, url=PUBLIC_URL)
    await make_delivery(session, endpoint, subject_pk=1, account_id=world.account.id)
    return {"input": {"endpointId": to_global_id("WebhookEndpoint", endpoint.id)}}


async def _delivery(session: Any, world: World) -> dict[str, Any]:
    key = await make_api_key(session, world.org, permissions=[("INVOICES", "READ", None)])
    endpoint = await make_endpoint(session, world.org, key.api_key_id, url=PUBLIC_URL)
    delivery = await make_delivery(session, endpoint, subject_pk=1, account_id=world.account.id)
    return {"input": {"deliveryId": to_global_id("WebhookDelivery", delivery.id)}}


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
    AccessOperation(
        "INTEGRATIONS",
        "READ",
        "webhookEndpoints",
        _org,
        "query($id: ID!) { organisation(id: $id) { webhookEndpoints(first: 5) { totalCount } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "READ",
        "events",
        _org,
        "query($id: ID!) { organisation(id: $id) { events(first: 5) { totalCount } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "createWebhookEndpoint",
        _endpoint_input,
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret errors { code } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "deleteWebhookEndpoint",
        _endpoint,
        "mutation($input: WebhookEndpointIdInput!) { deleteWebhookEndpoint(input: $input) { endpoint { id } errors { code } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "sendTestWebhook",
        _endpoint,
        "mutation($input: WebhookEndpointIdInput!) { sendTestWebhook(input: $input) { delivery { id } errors { code } } }",
    ),
    AccessOperation(
        "INTEGRATIONS",
        "WRITE",
        "redeliverWebhook",
        _delivery,
        "mutation($input: DeliveryIdInput!) { redeliverWebhook(input: $input) { delivery { id } errors { code } } }",
    ),
]

"""Links to orders from other areas: ServiceRequest.order (createServiceRequest's orderId) and
PendingPayment.order, each shown only to a reader of the order."""

from __future__ import annotations

from typing import Any

from tests.factories_shop import make_shop_world, place, snapshot

CREATE = """
mutation($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) { serviceRequest { number order { number status } } errors { code field } }
}
"""


def _request(world: Any, order_id: str, key: str) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": world.org_id,
            "billingAccountId": world.account_id,
            "category": "OTHER",
            "subject": "Livraison",
            "description": "Le colis n'est pas arrivé.",
            "orderId": order_id,
            "idempotencyKey": key,
        }
    }


async def test_a_service_request_names_an_order_of_its_account(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    order = await place(gql, world, world.commercial)

    result = await gql(CREATE, _request(world, order["id"], "sr-1"), token=world.commercial.token)

    payload = result["data"]["createServiceRequest"]
    assert payload["errors"] == []
    assert payload["serviceRequest"]["order"] == {"number": order["number"], "status": "ACKNOWLEDGED"}


async def test_an_order_of_another_organisation_is_not_found(gql: Any, sessionmaker: Any) -> None:
    world = await make_shop_world(sessionmaker)
    other = await make_shop_world(sessionmaker, name="Other")
    foreign = await place(gql, other, other.commercial)
    before = await snapshot(sessionmaker)

    result = await gql(CREATE, _request(world, foreign["id"], "sr-2"), token=world.commercial.token)

    assert result["data"]["createServiceRequest"] == {
        "serviceRequest": None,
        "errors": [{"code": "NOT_FOUND", "field": ["input", "orderId"]}],
    }
    assert await snapshot(sessionmaker) == before

"""createServiceRequest with contractId, and ServiceRequest.contract (scope-checked like the other links)."""

from __future__ import annotations

from tests.factories import make_account, make_organisation
from tests.factories_contracts import make_contract
from tests.factories_service_requests import make_sr_world, snapshot
from tests.factories_service_requests_gql import gid, incident_input

CREATE = (
    "mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { "
    "serviceRequest { number billingAccount { number } contract { number status } } errors { code field } } }"
)


async def test_a_request_about_a_contract_links_it_and_takes_its_billing_account(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        contract = await make_contract(session, world.account, number="CT-SR-1")
    variables = {"input": {**incident_input(world, contractId=gid("Contract", contract.id)), "billingAccountId": None}}

    response = await gql(CREATE, variables, token=world.creator.token)

    payload = response["data"]["createServiceRequest"]
    assert payload["errors"] == []
    assert payload["serviceRequest"]["contract"] == {"number": "CT-SR-1", "status": "ACTIVE"}
    assert payload["serviceRequest"]["billingAccount"] == {"number": world.account.number}


async def _refused(gql, sessionmaker, world, token, contract_id) -> None:  # type: ignore[no-untyped-def]
    before = await snapshot(sessionmaker)
    response = await gql(CREATE, {"input": incident_input(world, contractId=contract_id)}, token=token)
    assert response["data"]["createServiceRequest"] == {
        "serviceRequest": None,
        "errors": [{"code": "NOT_FOUND", "field": ["input", "contractId"]}],
    }
    assert await snapshot(sessionmaker) == before


async def test_a_contract_of_another_organisation_is_unknown(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        other = await make_organisation(session, name="Other")
        foreign = await make_contract(session, await make_account(session, other))
    await _refused(gql, sessionmaker, world, world.creator.token, gid("Contract", foreign.id))
    await _refused(gql, sessionmaker, world, world.creator.token, gid("Contract", 987654321))


async def test_a_contract_of_another_billing_account_is_unknown(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_contract(session, world.other_account)
    # The request is about world.account's line: a contract of the other account does not fit it.
    await _refused(gql, sessionmaker, world, world.creator.token, gid("Contract", elsewhere.id))

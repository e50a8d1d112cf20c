"""serviceRequestUpdated through the app's schema and event broker: changes from the back office
and from GraphQL reach subscribers in scope, access is asked again at every event."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import delete

from guichet.domain import models
from guichet.domain.service_requests import services
from guichet.domain.service_requests.categories import Category
from guichet.resolvers.context import build_context
from tests.conftest import TEST_NOW
from tests.factories import make_member
from tests.factories_service_requests import back_office, make_sr_world, open_request, uow_of
from tests.factories_service_requests_gql import COMMENT, gid

UPDATED = """
subscription($id: ID!) { serviceRequestUpdated(organisationId: $id) { number status canComment
  comments { totalCount } } }
"""


async def _subscribe(app: Any, variables: dict[str, Any], token: str | None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    context = build_context(app.state.guichet, None, headers=headers)
    return await app.state.schema.subscribe(UPDATED, variable_values=variables, context_value=context)


async def _next(stream: Any) -> dict[str, Any]:
    result = await asyncio.wait_for(anext(stream), timeout=20)
    assert not result.errors, result.errors
    return result.data["serviceRequestUpdated"]  # type: ignore[no-any-return, index]


async def test_a_subscriber_hears_the_back_office_and_a_colleagues_comment(app, gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    stream = await _subscribe(app, {"id": gid("Organisation", world.org.id)}, world.creator.token)
    try:
        first = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)  # let the subscription register before the first change

        await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})
        acknowledged = await first
        answer = await gql(
            COMMENT,
            {"input": {"serviceRequestId": gid("ServiceRequest", request.id), "body": "Merci"}},
            token=world.colleague.token,
        )
        commented = await _next(stream)

        assert acknowledged == {
            "number": request.number,
            "status": "ACKNOWLEDGED",
            "canComment": True,
            "comments": {"totalCount": 0},
        }
        assert answer["data"]["addServiceRequestComment"]["errors"] == []
        assert commented == {
            "number": request.number,
            "status": "ACKNOWLEDGED",
            "canComment": True,
            "comments": {"totalCount": 1},
        }
    finally:
        await stream.aclose()


async def test_a_scoped_subscriber_hears_only_requests_of_its_accounts(app, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    without = await services.create_service_request(
        uow_of(sessionmaker),
        actor=world.actor,
        new=services.NewRequest(Category.INFORMATION, "Horaires", "Vos horaires ?", "no-account"),
        categories_file=None,
        now=TEST_NOW,
    )
    inside = await open_request(sessionmaker, world)
    stream = await _subscribe(app, {"id": gid("Organisation", world.org.id)}, world.colleague.token)
    try:
        received = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)

        await back_office(http, {"number": without.request.number, "status": "ACKNOWLEDGED"})
        await back_office(http, {"number": inside.number, "status": "ACKNOWLEDGED"})

        # The first message the scoped contact hears is about its own account's request.
        assert (await received)["number"] == inside.number
    finally:
        await stream.aclose()


async def test_a_subscriber_whose_role_is_removed_hears_nothing_more(app, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    stream = await _subscribe(app, {"id": gid("Organisation", world.org.id)}, world.colleague.token)
    try:
        received = asyncio.ensure_future(_next(stream))
        await asyncio.sleep(0.2)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                delete(models.RoleAssignment).where(models.RoleAssignment.contact_id == world.colleague.contact_id)
            )

        await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})
        await asyncio.sleep(0.5)  # let the subscriber take that change while the role is gone
        async with sessionmaker() as session, session.begin():
            session.add(
                models.RoleAssignment(
                    organisation_id=world.org.id,
                    contact_id=world.colleague.contact_id,
                    role="FINANCE",
                    billing_account_id=world.account.id,
                )
            )
        await back_office(http, {"number": request.number, "status": "IN_PROGRESS"})

        # The change made while the role was gone never reached the subscriber.
        assert (await received)["status"] == "IN_PROGRESS"
    finally:
        await stream.aclose()


async def test_subscribers_without_read_are_refused(app, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        admin = await make_member(session, world.org, roles=[("ADMIN", None)])

    codes = []
    for token in (admin.token, None):
        stream = await _subscribe(app, {"id": gid("Organisation", world.org.id)}, token)
        try:
            result = await asyncio.wait_for(anext(stream), timeout=20)
        finally:
            await stream.aclose()
        assert result.data is None
        codes.append([e.extensions["code"] for e in result.errors])

    assert codes == [["FORBIDDEN"], ["UNAUTHENTICATED"]]

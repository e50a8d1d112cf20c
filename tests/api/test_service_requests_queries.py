"""The shared list: scope by billing account, the filters of ServiceRequestFilter, batched children."""

from __future__ import annotations

from typing import Any

from guichet.domain.service_requests import queries, services
from guichet.domain.service_requests.categories import Category
from guichet.domain.service_requests.queries import Criteria
from guichet.domain.service_requests.services import NewRequest
from tests.conftest import TEST_NOW
from tests.factories_service_requests import make_sr_world, open_request, uow_of


async def _numbers(sessionmaker: Any, world: Any, account_ids: frozenset[int] | None, **criteria: Any) -> list[str]:
    statement = queries.list_statement(
        organisation_id=world.org.id, account_ids=account_ids, criteria=Criteria(**criteria)
    ).order_by(queries.ServiceRequest.id)
    async with sessionmaker() as session:
        return [r.number for r in (await session.execute(statement)).scalars()]


async def _no_account_request(sessionmaker: Any, world: Any) -> str:
    outcome = await services.create_service_request(
        uow_of(sessionmaker),
        actor=world.actor,
        new=NewRequest(Category.INFORMATION, "Horaires", "Quelles sont vos heures d'ouverture ?", "k-none"),
        categories_file=None,
        now=TEST_NOW,
    )
    return outcome.request.number


async def test_colleagues_see_the_requests_of_their_accounts_and_only_admins_see_those_without_one(
    sessionmaker,
) -> None:
    world = await make_sr_world(sessionmaker)
    other = await make_sr_world(sessionmaker, name="Other")
    on_account = (await open_request(sessionmaker, world)).number
    without = await _no_account_request(sessionmaker, world)
    await open_request(sessionmaker, other)

    whole = await _numbers(sessionmaker, world, None)
    scoped = await _numbers(sessionmaker, world, frozenset({world.account.id}))
    elsewhere = await _numbers(sessionmaker, world, frozenset({world.other_account.id}))

    assert (whole, scoped, elsewhere) == ([on_account, without], [on_account], [])


async def test_the_filters_narrow_the_list(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    incident = (await open_request(sessionmaker, world)).number
    claim = (await open_request(sessionmaker, world, category=Category.BILLING_CLAIM)).number
    await services.cancel(
        uow_of(sessionmaker),
        actor=world.actor,
        service_request_id=(await open_request(sessionmaker, world)).id,
        reason=None,
        now=TEST_NOW,
    )

    assert await _numbers(sessionmaker, world, None, statuses=["SUBMITTED"]) == [incident, claim]
    assert await _numbers(sessionmaker, world, None, categories=["BILLING_CLAIM"]) == [claim]
    assert len(await _numbers(sessionmaker, world, None, line_number=world.line.number)) == 2
    assert await _numbers(sessionmaker, world, None, created_by_contact_id=world.colleague.contact_id) == []
    assert len(await _numbers(sessionmaker, world, None, search="coupée")) == 3
    assert await _numbers(sessionmaker, world, None, search=claim.lower()) == [claim]
    assert await _numbers(sessionmaker, world, None, search="100%_") == []


async def test_children_of_many_requests_are_read_together_by_request_id(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    ids = [(await open_request(sessionmaker, world)).id for _ in range(3)]

    async with sessionmaker() as session:
        lines = await queries.lines_by_request(session, ids)
        history = await queries.history_by_request(session, ids)
        files = await queries.attachments_by_request(session, ids)

    assert {i: [line.id for line in lines[i]] for i in ids} == {i: [world.line.id] for i in ids}
    assert {i: [h.status for h in history[i]] for i in ids} == {i: ["SUBMITTED"] for i in ids}
    assert files == {i: [] for i in ids}

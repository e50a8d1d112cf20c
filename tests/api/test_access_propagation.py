"""Access changes reach every server process: the watcher delivers and applies them incrementally
(PostgreSQL), and a process that missed the notification still decides on fresh rows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from guichet.domain.clock import FixedClock
from guichet.domain.ids import to_global_id
from guichet.hooks import start_policy_runtime
from guichet.policies.store import announce, load_access, replace_access
from guichet.server import build_state, create_app
from tests.conftest import GraphQLClient
from tests.factories import make_member, make_organisation

MEMBERS = "query($id: ID!) { organisation(id: $id) { members(first: 5) { totalCount } } }"
UPDATE = "mutation($input: UpdateMemberAccessInput!) { updateMemberAccess(input: $input) { errors { code } } }"


async def test_a_watcher_message_reaches_another_process_and_is_applied_incrementally(settings, clock) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    first, second = build_state(settings, clock), build_state(settings, clock)
    stops = [await start_policy_runtime(first), await start_policy_runtime(second)]
    try:
        async with first.sessionmaker() as session, session.begin():
            org = await make_organisation(session)
            member = await make_member(session, org, roles=[("FINANCE", None)])
        receiver = second.policy_runtime
        async with second.sessionmaker() as session:
            held = (await load_access(session, [member.contact_id]))[member.contact_id]
        receiver.engine.sync(held)  # the second process has served this contact once
        assert not receiver.engine.scope(held, "INVOICES", "READ").empty
        templates_before = receiver.engine.enforcer.get_policy()

        async with first.sessionmaker() as session, session.begin():
            changed = await replace_access(session, organisation_id=org.id, contact_id=member.contact_id, roles=[])
        assert changed

        for _ in range(100):
            if receiver.messages_applied:
                break
            await asyncio.sleep(0.05)
        assert receiver.watcher.received >= 1 and receiver.messages_applied >= 1
        assert receiver.engine.holds(member.contact_id) == frozenset()  # its rules were replaced, not reloaded
        assert receiver.engine.enforce(f"c:{member.contact_id}", org.id, "INVOICES", "READ") is False
        assert receiver.engine.enforcer.get_policy() == templates_before
    finally:
        for stop in stops:
            await stop()
        await first.engine.dispose()
        await second.engine.dispose()


async def test_a_rolled_back_change_announces_nothing(settings, clock) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    state = build_state(settings, clock)
    stop = await start_policy_runtime(state)
    try:
        watcher = state.policy_runtime.watcher
        async with state.sessionmaker() as session:
            async with session.begin():
                await announce(session, [1])
                await session.rollback()
        async with state.sessionmaker() as session, session.begin():
            await announce(session, [2])
        for _ in range(100):
            if watcher.received:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert watcher.received == 1
    finally:
        await stop()
        await state.engine.dispose()


async def test_a_process_that_missed_the_notification_enforces_the_revocation_on_its_next_request(
    app: Any, settings, clock: FixedClock, sessionmaker
) -> None:
    """Bound on staleness: 0 s. Each request re-reads the viewer's rows before deciding."""
    import httpx

    second = create_app(settings, clock=clock)
    async with second.router.lifespan_context(second):
        watcher = second.state.guichet.policy_runtime.watcher
        if watcher is not None:
            await watcher.stop()  # this process will miss every notification
        async with sessionmaker() as session, session.begin():
            org = await make_organisation(session)
            admin = await make_member(session, org, primary_admin=True)
            member = await make_member(session, org, roles=[("MANAGEMENT", None)])
        transports = [httpx.ASGITransport(app=a) for a in (app, second)]
        async with (
            httpx.AsyncClient(transport=transports[0], base_url="http://guichet.test") as one,
            httpx.AsyncClient(transport=transports[1], base_url="http://guichet.test") as two,
        ):
            via_first, via_second = GraphQLClient(one), GraphQLClient(two)
            org_id = {"id": to_global_id("Organisation", org.id)}
            assert "errors" not in await via_second(MEMBERS, org_id, token=member.token)

            revoked = await via_first(
                UPDATE,
                {"input": {"contactId": to_global_id("Contact", member.contact_id), "roles": []}},
                token=admin.token,
            )
            assert revoked == {"data": {"updateMemberAccess": {"errors": []}}}

            refused = await via_second(MEMBERS, org_id, token=member.token)
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

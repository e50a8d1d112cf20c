"""The fixed cost of a signed-in request: two SQL statements before any list is read.

One statement finds the bearer token's live session and person; one reads the organisation
together with the viewer's active contact there and that contact's roles, grants and denials.
The same two statements are paid again by every request, so a change of access made elsewhere
is enforced on the very next request.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.api.test_dashboard_statements import counting
from tests.factories import make_account, make_member, make_organisation
from tests.factories_access import set_permissions

ORGANISATION_NAME = "query Org($id: ID!) { organisation(id: $id) { name } }"


async def test_organisation_name_for_a_member_costs_two_statements(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Sotra Logistique")
        account = await make_account(session, org)
        member = await make_member(session, org, roles=[("FINANCE", account.id), ("COMMERCIAL", None)])
        await set_permissions(
            session, org, member.contact_id, grants=[("PAYMENTS", "READ")], denials=[("SCHEDULES", "READ")]
        )
    variables = {"id": to_global_id("Organisation", org.id)}
    await gql(ORGANISATION_NAME, variables, token=member.token)  # warm start-up caches

    with counting(app.state.guichet.engine) as statements:
        result = await gql(ORGANISATION_NAME, variables, token=member.token)

    assert result == {"data": {"organisation": {"name": org.name}}}
    assert len(statements) == 2, statements


async def test_a_foreign_organisation_costs_the_same_and_reads_null(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        other = await make_organisation(session)
        member = await make_member(session, org, roles=[("FINANCE", None)])
    variables = {"id": to_global_id("Organisation", other.id)}
    await gql(ORGANISATION_NAME, variables, token=member.token)

    with counting(app.state.guichet.engine) as statements:
        result = await gql(ORGANISATION_NAME, variables, token=member.token)

    assert result == {"data": {"organisation": None}}
    assert len(statements) == 2, statements


async def test_a_disabled_contact_is_refused_on_the_next_request(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org, roles=[("FINANCE", None)])
    variables = {"id": to_global_id("Organisation", org.id)}
    assert (await gql(ORGANISATION_NAME, variables, token=member.token))["data"]["organisation"] is not None

    # Another process disables the contact, without telling this one.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(models.Contact).where(models.Contact.id == member.contact_id).values(status="DISABLED")
        )

    assert await gql(ORGANISATION_NAME, variables, token=member.token) == {"data": {"organisation": None}}


async def test_a_request_after_postgresql_dropped_its_connections_succeeds(
    app, gql, sessionmaker, database_url
) -> None:
    """What a PostgreSQL restart looks like to the pool: every pooled connection is dead.

    The pool is not pinged at checkout; the request's first statement meets the dead connection,
    the pool is invalidated and that statement is retried once on a fresh connection.
    """
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server's connections")
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org, roles=[("FINANCE", None)])
    variables = {"id": to_global_id("Organisation", org.id)}
    assert (await gql(ORGANISATION_NAME, variables, token=member.token))["data"]["organisation"] is not None

    killer = create_async_engine(database_url, poolclass=NullPool)
    async with killer.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await killer.dispose()

    assert await gql(ORGANISATION_NAME, variables, token=member.token) == {"data": {"organisation": {"name": org.name}}}

"""Rule 7: a contact of organisation B reads, counts, pays or infers nothing of organisation A.

Organisation A is filled by every registered access operation's setup (tests/access_ops/, so
objects of every area are covered as areas add operations) plus an invitation and an audit event.
B's primary admin then tries every node ID of A through node, nodes, and every registered
operation with A's IDs; each answer must equal the answer for unknown IDs of the same types,
and nothing of A may change. Types resolvable by node() are taken from NODE_RESOLVERS.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import from_global_id, to_global_id
from guichet.resolvers.nodes import NODE_RESOLVERS
from tests.access_ops import OPERATIONS, World
from tests.factories import make_account, make_line, make_member, make_organisation
from tests.factories_access import make_invitation

UNKNOWN_PK = 987_654_321


@pytest.fixture
def settings(settings: Any) -> Any:
    """Every operation of every area twice (A's IDs, then unknown ones) outgrows one default bucket."""
    return settings.with_overrides(rate_capacity=100_000)


NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


def _model(type_name: str) -> Any:
    return getattr(models, type_name, None)


async def node_ids(sessionmaker: Any, organisation_id: int) -> list[str]:
    """Every global ID of the organisation's objects, for every type node() resolves."""
    ids: list[str] = []
    async with sessionmaker() as session:
        for type_name in NODE_RESOLVERS:
            model = _model(type_name)
            if model is None:
                continue
            column = model.id if type_name == "Organisation" else getattr(model, "organisation_id", None)
            if column is None:
                continue
            pks = (await session.execute(select(model.id).where(column == organisation_id))).scalars().all()
            ids += [to_global_id(type_name, pk) for pk in pks]
    return ids


async def tenant_rows(sessionmaker: Any, organisation_id: int) -> dict[str, list[str]]:
    """Every row of every table carrying organisation_id, for A (to prove nothing changed)."""
    rows: dict[str, list[str]] = {}
    async with sessionmaker() as session:
        for table in models.Base.metadata.sorted_tables:
            if "organisation_id" in table.c:
                result = await session.execute(select(table).where(table.c.organisation_id == organisation_id))
                rows[table.name] = sorted(json.dumps(list(r), default=str) for r in result.all())
    return rows


def unknown_twin(value: Any, known: set[str]) -> Any:
    """The same variables with each of A's IDs replaced by an unknown ID of the same type."""
    if isinstance(value, dict):
        return {k: unknown_twin(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [unknown_twin(v, known) for v in value]
    if isinstance(value, str) and value in known:
        decoded = from_global_id(value)
        assert decoded is not None
        return to_global_id(decoded[0], UNKNOWN_PK)
    return value


async def build(sessionmaker: Any) -> tuple[World, Any]:
    async with sessionmaker() as session, session.begin():
        org_a = await make_organisation(session, name="A")
        account = await make_account(session, org_a)
        other = await make_account(session, org_a, name="Agence")
        await make_line(session, account)
        admin_a = await make_member(session, org_a, primary_admin=True)
        world = World(org=org_a, account=account, other_account=other, admin=admin_a, actor=admin_a, role=None)
        await make_invitation(session, org_a, email="invitee@a.test", invited_by=admin_a.contact_id)
        session.add(
            models.AuditEvent(
                organisation_id=org_a.id,
                at=org_a.created_at,
                actor_contact_id=admin_a.contact_id,
                action="member.invited",
                summary="x",
                data={},
            )
        )
        org_b = await make_organisation(session, name="B")
        admin_b = await make_member(session, org_b, primary_admin=True)
    return world, admin_b


async def test_node_and_nodes_reveal_nothing_of_another_organisation(gql, sessionmaker) -> None:
    world, intruder = await build(sessionmaker)
    ids = await node_ids(sessionmaker, world.org.id)
    assert {from_global_id(i)[0] for i in ids} >= {
        "Organisation",
        "BillingAccount",
        "Line",
        "Contact",
        "Invitation",
        "AuditEvent",
    }  # type: ignore[index]

    for global_id in ids:
        foreign = await gql(NODE, {"id": global_id}, token=intruder.token)
        unknown = await gql(NODE, {"id": unknown_twin(global_id, {global_id})}, token=intruder.token)
        assert foreign == unknown == {"data": {"node": None}}, global_id
    many = await gql(NODES, {"ids": ids}, token=intruder.token)
    assert many == {"data": {"nodes": [None] * len(ids)}}
    owner = await gql(NODES, {"ids": ids}, token=world.admin.token)
    assert None not in owner["data"]["nodes"]  # the same IDs do resolve for A's own primary admin


async def test_every_operation_with_another_organisations_ids_answers_as_for_unknown_ids(gql, sessionmaker) -> None:
    world, intruder = await build(sessionmaker)
    calls = []
    for operation in OPERATIONS:
        async with sessionmaker() as session, session.begin():
            calls.append((operation, await operation.setup(session, world)))
    known = set(await node_ids(sessionmaker, world.org.id))
    before = await tenant_rows(sessionmaker, world.org.id)

    for operation, variables in calls:
        foreign = await gql(operation.document, variables, token=intruder.token)
        unknown = await gql(operation.document, unknown_twin(variables, known), token=intruder.token)
        assert foreign == unknown, (str(operation), foreign, unknown)

    assert await tenant_rows(sessionmaker, world.org.id) == before

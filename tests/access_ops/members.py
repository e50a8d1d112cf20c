"""Operations of the members area: MEMBERS READ / WRITE and AUDIT READ."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories import make_member


async def _org(session: Any, world: World) -> dict[str, Any]:
    return {"id": to_global_id("Organisation", world.org.id)}


async def _plain_member(session: Any, world: World) -> dict[str, Any]:
    target = await make_member(session, world.org, roles=[])
    return {"input": {"contactId": to_global_id("Contact", target.contact_id)}}


async def _invite(session: Any, world: World) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "email": f"invitee-{world.actor.contact_id}@example.test",
            "roles": [],
        }
    }


async def _access_of_plain_member(session: Any, world: World) -> dict[str, Any]:
    target = await make_member(session, world.org, roles=[])
    return {"input": {"contactId": to_global_id("Contact", target.contact_id), "roles": [], "denials": []}}


OPERATIONS = [
    AccessOperation(
        "MEMBERS",
        "READ",
        "members",
        _org,
        "query($id: ID!) { organisation(id: $id) { members(first: 5) { totalCount } } }",
    ),
    AccessOperation(
        "MEMBERS",
        "READ",
        "invitations",
        _org,
        "query($id: ID!) { organisation(id: $id) { invitations(first: 5) { totalCount } } }",
    ),
    AccessOperation(
        "MEMBERS",
        "WRITE",
        "inviteMember",
        _invite,
        "mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } errors { code } } }",
    ),
    AccessOperation(
        "MEMBERS",
        "WRITE",
        "updateMemberAccess",
        _access_of_plain_member,
        "mutation($input: UpdateMemberAccessInput!) { updateMemberAccess(input: $input) { contact { id } errors { code } } }",
    ),
    AccessOperation(
        "MEMBERS",
        "WRITE",
        "disableMember",
        _plain_member,
        "mutation($input: ContactIdInput!) { disableMember(input: $input) { contact { status } errors { code } } }",
    ),
    AccessOperation(
        "AUDIT",
        "READ",
        "auditEvents",
        _org,
        "query($id: ID!) { organisation(id: $id) { auditEvents(first: 5) { totalCount } } }",
    ),
]

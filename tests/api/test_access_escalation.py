"""A sub-admin never grants more than it holds, never touches an admin, never changes itself:
each attempt is refused with its code, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.factories import make_account, make_member, make_organisation
from tests.factories_access import set_permissions

INVITE = (
    "mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } errors { code field } } }"
)
UPDATE = "mutation($input: UpdateMemberAccessInput!) { updateMemberAccess(input: $input) { contact { id } errors { code field } } }"
DISABLE = "mutation($input: ContactIdInput!) { disableMember(input: $input) { contact { id } errors { code field } } }"


async def snapshot(sessionmaker: Any) -> dict[str, list[tuple[Any, ...]]]:
    async with sessionmaker() as session:
        return {
            "roles": sorted(
                (
                    await session.execute(
                        select(
                            models.RoleAssignment.contact_id,
                            models.RoleAssignment.role,
                            models.RoleAssignment.billing_account_id,
                        )
                    )
                ).all(),
                key=str,
            ),
            "permissions": sorted(
                (
                    await session.execute(
                        select(
                            models.ContactPermission.contact_id,
                            models.ContactPermission.module,
                            models.ContactPermission.action,
                            models.ContactPermission.effect,
                        )
                    )
                ).all()
            ),
            "contacts": sorted(
                (
                    await session.execute(
                        select(models.Contact.id, models.Contact.status, models.Contact.is_primary_admin)
                    )
                ).all()
            ),
            "invitations": sorted((await session.execute(select(models.Invitation.id))).all()),
            "outbox": sorted((await session.execute(select(models.OutboxEmail.id))).all()),
        }


@pytest.fixture
async def world(sessionmaker: Any) -> dict[str, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        first = await make_account(session, org)
        second = await make_account(session, org, name="Agence")
        primary = await make_member(session, org, primary_admin=True)
        sub = await make_member(session, org, roles=[("ADMIN", None), ("FINANCE", first.id)])
        other_sub = await make_member(session, org, roles=[("ADMIN", None)])
        member = await make_member(session, org, roles=[("FINANCE", first.id)])
    return {
        "org": org,
        "first": first,
        "second": second,
        "primary": primary,
        "sub": sub,
        "other_sub": other_sub,
        "member": member,
    }


def invite(world: dict[str, Any], roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world["org"].id),
            "email": "n@example.test",
            "roles": roles,
        }
    }


def account(world: dict[str, Any], name: str) -> str:
    return to_global_id("BillingAccount", world[name].id)


def contact(world: dict[str, Any], name: str) -> str:
    return to_global_id("Contact", world[name].contact_id)


ATTEMPTS = {
    "invite-admin": (INVITE, lambda w: invite(w, [{"role": "ADMIN"}]), "inviteMember", "CANNOT_MANAGE_ADMIN"),
    "invite-role-it-lacks": (
        INVITE,
        lambda w: invite(w, [{"role": "COMMERCIAL"}]),
        "inviteMember",
        "ROLE_NOT_GRANTABLE",
    ),
    "invite-wider-scope": (INVITE, lambda w: invite(w, [{"role": "FINANCE"}]), "inviteMember", "ROLE_NOT_GRANTABLE"),
    "invite-other-account": (
        INVITE,
        lambda w: invite(w, [{"role": "FINANCE", "billingAccountId": account(w, "second")}]),
        "inviteMember",
        "ROLE_NOT_GRANTABLE",
    ),
    "grant-admin": (
        UPDATE,
        lambda w: {"input": {"contactId": contact(w, "member"), "roles": [{"role": "ADMIN"}]}},
        "updateMemberAccess",
        "CANNOT_MANAGE_ADMIN",
    ),
    "widen-scope": (
        UPDATE,
        lambda w: {"input": {"contactId": contact(w, "member"), "roles": [{"role": "FINANCE"}]}},
        "updateMemberAccess",
        "ROLE_NOT_GRANTABLE",
    ),
    "grant-module-it-lacks": (
        UPDATE,
        lambda w: {"input": {"contactId": contact(w, "member"), "grants": [{"module": "SHOP", "actions": ["WRITE"]}]}},
        "updateMemberAccess",
        "ROLE_NOT_GRANTABLE",
    ),
    "grant-module-held-on-one-account-only": (
        UPDATE,
        lambda w: {
            "input": {"contactId": contact(w, "member"), "grants": [{"module": "INVOICES", "actions": ["PAY"]}]}
        },
        "updateMemberAccess",
        "ROLE_NOT_GRANTABLE",
    ),
    "grant-members-write": (
        UPDATE,
        lambda w: {
            "input": {"contactId": contact(w, "member"), "grants": [{"module": "MEMBERS", "actions": ["WRITE"]}]}
        },
        "updateMemberAccess",
        "ROLE_NOT_GRANTABLE",
    ),
    "grant-integrations-write": (
        UPDATE,
        lambda w: {
            "input": {"contactId": contact(w, "member"), "grants": [{"module": "INTEGRATIONS", "actions": ["WRITE"]}]}
        },
        "updateMemberAccess",
        "ROLE_NOT_GRANTABLE",
    ),
    "change-own-access": (
        UPDATE,
        lambda w: {"input": {"contactId": contact(w, "sub"), "roles": [{"role": "ADMIN"}]}},
        "updateMemberAccess",
        "FORBIDDEN",
    ),
    "change-another-admin": (
        UPDATE,
        lambda w: {"input": {"contactId": contact(w, "other_sub"), "roles": []}},
        "updateMemberAccess",
        "CANNOT_MANAGE_ADMIN",
    ),
    "disable-primary-admin": (
        DISABLE,
        lambda w: {"input": {"contactId": contact(w, "primary")}},
        "disableMember",
        "CANNOT_MANAGE_ADMIN",
    ),
    "disable-another-admin": (
        DISABLE,
        lambda w: {"input": {"contactId": contact(w, "other_sub")}},
        "disableMember",
        "CANNOT_MANAGE_ADMIN",
    ),
    "disable-itself": (DISABLE, lambda w: {"input": {"contactId": contact(w, "sub")}}, "disableMember", "FORBIDDEN"),
}


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
async def test_sub_admin_escalation_is_refused_and_changes_nothing(gql, sessionmaker, world, attempt: str) -> None:
    document, variables, field, code = ATTEMPTS[attempt]
    before = await snapshot(sessionmaker)

    result = await gql(document, variables(world), token=world["sub"].token)

    assert "errors" not in result, result
    payload = result["data"][field]
    assert [e["code"] for e in payload["errors"]] == [code]
    assert await snapshot(sessionmaker) == before


async def test_the_primary_admin_cannot_demote_itself(gql, sessionmaker, world) -> None:
    before = await snapshot(sessionmaker)

    result = await gql(
        UPDATE, {"input": {"contactId": contact(world, "primary"), "roles": []}}, token=world["primary"].token
    )

    assert [e["code"] for e in result["data"]["updateMemberAccess"]["errors"]] == ["FORBIDDEN"]
    assert await snapshot(sessionmaker) == before


async def test_sub_admin_grants_what_it_holds_and_primary_admin_manages_sub_admins(gql, sessionmaker, world) -> None:
    allowed = await gql(
        INVITE,
        invite(world, [{"role": "FINANCE", "billingAccountId": account(world, "first")}]),
        token=world["sub"].token,
    )
    demoted = await gql(
        UPDATE, {"input": {"contactId": contact(world, "other_sub"), "roles": []}}, token=world["primary"].token
    )

    assert allowed["data"]["inviteMember"]["errors"] == []
    assert demoted["data"]["updateMemberAccess"]["errors"] == []
    async with sessionmaker() as session:
        roles = (
            await session.execute(
                select(models.RoleAssignment).where(models.RoleAssignment.contact_id == world["other_sub"].contact_id)
            )
        ).all()
    assert roles == []


async def test_an_invitation_dies_when_its_inviter_can_no_longer_grant_it(gql, sessionmaker, world) -> None:
    invited = await gql(
        INVITE,
        invite(world, [{"role": "FINANCE", "billingAccountId": account(world, "first")}]),
        token=world["sub"].token,
    )
    assert invited["data"]["inviteMember"]["errors"] == []
    await gql(
        UPDATE,
        {"input": {"contactId": contact(world, "sub"), "roles": [{"role": "ADMIN"}]}},
        token=world["primary"].token,
    )
    async with sessionmaker() as session:
        body = (
            await session.execute(
                select(models.OutboxEmail.body_text).where(models.OutboxEmail.to_address == "n@example.test")
            )
        ).scalar_one()
    token = body.split("token=")[1].split()[0]

    result = await gql(
        "mutation($input: TokenPasswordInput!) { acceptInvitation(input: $input) { session { token } errors { code } } }",
        {"input": {"token": token, "password": "Bienvenue#2026"}},
    )

    assert result["data"]["acceptInvitation"] == {"session": None, "errors": [{"code": "TOKEN_INVALID"}]}


async def test_a_member_given_members_write_long_ago_cannot_pass_it_on(gql, sessionmaker, world) -> None:
    async with sessionmaker() as session, session.begin():
        await set_permissions(session, world["org"], world["member"].contact_id, grants=[("MEMBERS", "WRITE")])
        other = await make_member(session, world["org"], roles=[("FINANCE", world["first"].id)])
    before = await snapshot(sessionmaker)

    result = await gql(
        UPDATE,
        {
            "input": {
                "contactId": to_global_id("Contact", other.contact_id),
                "grants": [{"module": "MEMBERS", "actions": ["WRITE"]}],
            }
        },
        token=world["member"].token,
    )

    assert result["data"]["updateMemberAccess"] == {
        "contact": None,
        "errors": [{"code": "ROLE_NOT_GRANTABLE", "field": ["input", "grants", "0"]}],
    }
    assert await snapshot(sessionmaker) == before


async def test_only_the_primary_admin_grants_members_and_integrations_write(gql, sessionmaker, world) -> None:
    result = await gql(
        UPDATE,
        {
            "input": {
                "contactId": contact(world, "member"),
                "grants": [
                    {"module": "MEMBERS", "actions": ["WRITE"]},
                    {"module": "INTEGRATIONS", "actions": ["WRITE"]},
                ],
            }
        },
        token=world["primary"].token,
    )

    assert result["data"]["updateMemberAccess"]["errors"] == []
    async with sessionmaker() as session:
        grants = (
            await session.execute(
                select(models.ContactPermission.module, models.ContactPermission.action).where(
                    models.ContactPermission.contact_id == world["member"].contact_id
                )
            )
        ).all()
    assert sorted(grants) == [("INTEGRATIONS", "WRITE"), ("MEMBERS", "WRITE")]

"""Members administration through the API: invitations, acceptance, access changes, disablement."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from tests.factories import PASSWORD, make_account, make_member, make_organisation
from tests.factories_access import make_invitation, set_permissions
from tests.http_bodies import without_cost

INVITE = """
mutation($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { id email status roles { role billingAccount { number } } invitedBy { email } expiresAt }
    errors { code field message }
  }
}"""
ACCEPT = """
mutation($input: TokenPasswordInput!) {
  acceptInvitation(input: $input) { session { token viewer { email } } errors { code field } }
}"""
RESEND = (
    "mutation($input: InvitationIdInput!) { resendInvitation(input: $input) { invitation { status } errors { code } } }"
)
REVOKE = (
    "mutation($input: InvitationIdInput!) { revokeInvitation(input: $input) { invitation { status } errors { code } } }"
)
UPDATE = """
mutation($input: UpdateMemberAccessInput!) {
  updateMemberAccess(input: $input) {
    contact { roles { role billingAccount { number } } grants { module actions } denials { module actions }
              permissions { module actions } }
    errors { code field }
  }
}"""
DISABLE = "mutation($input: ContactIdInput!) { disableMember(input: $input) { contact { status } errors { code } } }"
ENABLE = "mutation($input: ContactIdInput!) { enableMember(input: $input) { contact { status } errors { code } } }"
ORG = "query($id: ID!) { organisation(id: $id) { name } }"
MEMBERS = """
query($id: ID!, $filter: MemberFilter) {
  organisation(id: $id) { members(first: 50, filter: $filter) { totalCount edges { node { email status roles { role } } } } }
}"""
INVITATIONS = """
query($id: ID!, $status: [InvitationStatus!]) {
  organisation(id: $id) { invitations(first: 20, status: $status) { totalCount edges { node { email status } } } }
}"""
AUDIT = """
query($id: ID!) { organisation(id: $id) { auditEvents(first: 50) { edges { node { action summary subjectId actor { email } } } } } }
"""


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def _world(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        admin = await make_member(session, org, primary_admin=True)
    return org, account, admin


async def _outbox(sessionmaker, to: str) -> list[models.OutboxEmail]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(models.OutboxEmail).where(models.OutboxEmail.to_address == to))).scalars()
        )


def _token(body: str) -> str:
    match = re.search(r"http://guichet\.test/accept-invitation\?token=([A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


async def test_admin_invites_a_member_who_accepts_and_signs_in(gql, sessionmaker) -> None:
    org, account, admin = await _world(sessionmaker)
    variables = {
        "input": {
            "organisationId": gid("Organisation", org.id),
            "email": "New.Person@Example.test",
            "firstName": "Awa",
            "roles": [{"role": "FINANCE", "billingAccountId": gid("BillingAccount", account.id)}],
        }
    }

    invited = (await gql(INVITE, variables, token=admin.token))["data"]["inviteMember"]

    assert invited["errors"] == []
    assert invited["invitation"]["email"] == "new.person@example.test"
    assert invited["invitation"]["status"] == "PENDING"
    assert invited["invitation"]["roles"] == [{"role": "FINANCE", "billingAccount": {"number": account.number}}]
    assert invited["invitation"]["invitedBy"] == {"email": admin.email}
    assert invited["invitation"]["expiresAt"].startswith("2026-12-02T10:00:00")
    [mail] = await _outbox(sessionmaker, "new.person@example.test")
    token = _token(mail.body_text)
    async with sessionmaker() as session:
        stored = (await session.execute(select(models.Invitation))).scalar_one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64

    accepted = (await gql(ACCEPT, {"input": {"token": token, "password": "Bienvenue#2026"}}))["data"][
        "acceptInvitation"
    ]

    assert accepted["errors"] == []
    me = await gql(
        "query($id: ID!) { organisation(id: $id) { me { email roles { role billingAccount { number } } } } }",
        {"id": gid("Organisation", org.id)},
        token=accepted["session"]["token"],
    )
    assert me["data"]["organisation"]["me"] == {
        "email": "new.person@example.test",
        "roles": [{"role": "FINANCE", "billingAccount": {"number": account.number}}],
    }
    again = (await gql(ACCEPT, {"input": {"token": token, "password": "Bienvenue#2026"}}))["data"]["acceptInvitation"]
    assert again["errors"] == [{"code": "TOKEN_INVALID", "field": ["input", "token"]}]
    listed = await gql(INVITATIONS, {"id": gid("Organisation", org.id)}, token=admin.token)
    assert listed["data"]["organisation"]["invitations"]["edges"][0]["node"]["status"] == "ACCEPTED"


async def test_a_person_with_a_password_must_give_it_to_accept(gql, sessionmaker) -> None:
    org, _account, _admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_organisation(session)
        existing = await make_member(session, elsewhere, roles=[("FINANCE", None)])
        _invitation, token = await make_invitation(session, org, email=existing.email, roles=[("COMMERCIAL", None)])

    wrong = await gql(ACCEPT, {"input": {"token": token, "password": "Autre#Mot2026"}})
    right = await gql(ACCEPT, {"input": {"token": token, "password": PASSWORD}})

    assert wrong["data"]["acceptInvitation"]["errors"] == [
        {"code": "INVALID_CREDENTIALS", "field": ["input", "password"]}
    ]
    assert right["data"]["acceptInvitation"]["errors"] == []
    result = await gql(ORG, {"id": gid("Organisation", org.id)}, token=existing.token)
    assert result["data"]["organisation"] is not None


async def test_a_new_person_needs_a_strong_password(gql, sessionmaker) -> None:
    org, _account, _admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        _invitation, token = await make_invitation(session, org, email="weak@example.test")

    result = await gql(ACCEPT, {"input": {"token": token, "password": "weak"}})

    assert result["data"]["acceptInvitation"]["errors"] == [{"code": "WEAK_PASSWORD", "field": ["input", "password"]}]


async def test_resend_kills_the_old_token_and_revoke_kills_the_new(gql, sessionmaker) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        invitation, old_token = await make_invitation(session, org, email="x@example.test", invited_by=admin.contact_id)
    variables = {"input": {"invitationId": gid("Invitation", invitation.id)}}

    resent = await gql(RESEND, variables, token=admin.token)

    assert resent["data"]["resendInvitation"] == {"invitation": {"status": "PENDING"}, "errors": []}
    new_token = _token((await _outbox(sessionmaker, "x@example.test"))[-1].body_text)
    assert new_token != old_token
    old = await gql(ACCEPT, {"input": {"token": old_token, "password": "Bienvenue#2026"}})
    assert old["data"]["acceptInvitation"]["errors"][0]["code"] == "TOKEN_INVALID"

    revoked = await gql(REVOKE, variables, token=admin.token)

    assert revoked["data"]["revokeInvitation"] == {"invitation": {"status": "REVOKED"}, "errors": []}
    new = await gql(ACCEPT, {"input": {"token": new_token, "password": "Bienvenue#2026"}})
    assert new["data"]["acceptInvitation"]["errors"][0]["code"] == "TOKEN_INVALID"


@pytest.mark.parametrize("operation", ["resendInvitation", "revokeInvitation"])
async def test_another_organisations_invitation_answers_byte_identical_to_an_unknown_id(
    http, sessionmaker, operation: str
) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        other = await make_organisation(session)
        other_admin = await make_member(session, other, primary_admin=True)
        foreign, _ = await make_invitation(session, other, email="x@example.test", invited_by=other_admin.contact_id)
    document = (
        f"mutation($input: InvitationIdInput!) {{ {operation}(input: $input) "
        "{ invitation { id status } errors { code message field } } }"
    )

    bodies = []
    for pk in (foreign.id, foreign.id + 1000):
        response = await http.post(
            "/graphql",
            json={"query": document, "variables": {"input": {"invitationId": gid("Invitation", pk)}}},
            headers={"Authorization": f"Bearer {admin.token}"},
        )
        bodies.append(without_cost(response.content))

    assert bodies[0] == bodies[1]
    assert bodies[0] == (
        b'{"data":{"%s":{"invitation":null,"errors":[{"code":"NOT_FOUND","message":"Not found.",'
        b'"field":["input","invitationId"]}]}}}' % operation.encode()
    )
    async with sessionmaker() as session:
        stored = await session.get(models.Invitation, foreign.id)
    assert (stored.status, stored.token_hash) == ("PENDING", foreign.token_hash)


async def test_invitations_expire_after_seven_days(gql, sessionmaker, clock) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        _old, token = await make_invitation(
            session, org, email="late@example.test", created_at=clock.current - timedelta(days=8)
        )
        await make_invitation(session, org, email="fresh@example.test", created_at=clock.current - timedelta(days=6))

    expired = await gql(INVITATIONS, {"id": gid("Organisation", org.id), "status": ["EXPIRED"]}, token=admin.token)
    pending = await gql(INVITATIONS, {"id": gid("Organisation", org.id), "status": ["PENDING"]}, token=admin.token)
    accepted = await gql(ACCEPT, {"input": {"token": token, "password": "Bienvenue#2026"}})

    assert expired["data"]["organisation"]["invitations"]["edges"] == [
        {"node": {"email": "late@example.test", "status": "EXPIRED"}}
    ]
    assert pending["data"]["organisation"]["invitations"]["edges"] == [
        {"node": {"email": "fresh@example.test", "status": "PENDING"}}
    ]
    assert accepted["data"]["acceptInvitation"]["errors"][0]["code"] == "TOKEN_INVALID"


async def test_members_and_pending_invitations_are_already_members(gql, sessionmaker) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, org, roles=[("FINANCE", None)])
        await make_invitation(session, org, email="pending@example.test")

    for email in (member.email.upper(), "pending@example.test"):
        variables = {"input": {"organisationId": gid("Organisation", org.id), "email": email, "roles": []}}
        result = await gql(INVITE, variables, token=admin.token)
        assert result["data"]["inviteMember"]["errors"][0]["code"] == "ALREADY_MEMBER"
        assert result["data"]["inviteMember"]["errors"][0]["field"] == ["input", "email"]


async def test_grants_and_denials_change_what_the_member_may_do_on_its_next_request(gql, sessionmaker) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, org, roles=[("MANAGEMENT", None)])
    members_query = {"id": gid("Organisation", org.id)}
    assert "errors" not in await gql(MEMBERS, members_query, token=member.token)
    variables = {
        "input": {
            "contactId": gid("Contact", member.contact_id),
            "grants": [{"module": "SHOP", "actions": ["READ"]}],
            "denials": [{"module": "MEMBERS", "actions": ["READ"]}],
        }
    }

    result = (await gql(UPDATE, variables, token=admin.token))["data"]["updateMemberAccess"]

    assert result["errors"] == []
    contact = result["contact"]
    assert contact["grants"] == [{"module": "SHOP", "actions": ["READ"]}]
    assert contact["denials"] == [{"module": "MEMBERS", "actions": ["READ"]}]
    assert {"module": "SHOP", "actions": ["READ"]} in contact["permissions"]
    assert all(p["module"] != "MEMBERS" for p in contact["permissions"])
    refused = await gql(MEMBERS, members_query, token=member.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] == {"organisation": None}


async def test_a_disabled_member_loses_access_at_once_and_comes_back_when_enabled(gql, sessionmaker) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, org, roles=[("FINANCE", None)])
    org_query = {"id": gid("Organisation", org.id)}
    variables = {"input": {"contactId": gid("Contact", member.contact_id)}}

    disabled = await gql(DISABLE, variables, token=admin.token)

    assert disabled["data"]["disableMember"] == {"contact": {"status": "DISABLED"}, "errors": []}
    # Its only membership is disabled, so its sessions ended: the bearer is refused outright.
    for query, variables_ in ((ORG, org_query), ("{ viewer { email } }", None)):
        refused = await gql(query, variables_, token=member.token, status=401)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]

    enabled = await gql(ENABLE, variables, token=admin.token)

    assert enabled["data"]["enableMember"] == {"contact": {"status": "ACTIVE"}, "errors": []}
    async with sessionmaker() as session:
        contact = await session.get(models.Contact, member.contact_id)
    assert contact is not None and contact.status == "ACTIVE"


async def test_members_filters(gql, sessionmaker) -> None:
    org, account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await make_member(session, org, roles=[("FINANCE", account.id)], email="compta@acme.test")
        await make_member(session, org, roles=[("COMMERCIAL", None)], email="ventes@acme.test")
        await make_member(session, org, roles=[("COMMERCIAL", None)], email="ancien@acme.test", status="DISABLED")
    org_id = gid("Organisation", org.id)

    async def emails(filter):  # type: ignore[no-untyped-def]
        data = await gql(MEMBERS, {"id": org_id, "filter": filter}, token=admin.token)
        return sorted(e["node"]["email"] for e in data["data"]["organisation"]["members"]["edges"])

    assert await emails({"role": ["FINANCE"]}) == sorted([admin.email, "compta@acme.test"])
    assert await emails({"status": ["DISABLED"]}) == ["ancien@acme.test"]
    assert await emails({"search": "VENTES"}) == ["ventes@acme.test"]
    assert await emails({"role": ["COMMERCIAL"], "status": ["ACTIVE"], "search": "acme"}) == ["ventes@acme.test"]


async def _searched(gql, sessionmaker, emails: list[str], search: str) -> list[str]:  # type: ignore[no-untyped-def]
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        for email in emails:
            await make_member(session, org, roles=[("FINANCE", None)], email=email)
    data = await gql(MEMBERS, {"id": gid("Organisation", org.id), "filter": {"search": search}}, token=admin.token)
    return sorted(e["node"]["email"] for e in data["data"]["organisation"]["members"]["edges"])


async def test_a_member_search_matches_an_underscore_literally(gql, sessionmaker) -> None:
    found = await _searched(gql, sessionmaker, ["jean_dupont@acme.test", "jeanXdupont@acme.test"], "jean_dupont")

    assert found == ["jean_dupont@acme.test"]


async def test_a_member_search_matches_a_percent_sign_literally(gql, sessionmaker) -> None:
    found = await _searched(gql, sessionmaker, ["remise100%@acme.test", "remise1000@acme.test"], "100%")

    assert found == ["remise100%@acme.test"]


async def test_the_audit_trail_records_changes_and_refusals(gql, sessionmaker) -> None:
    org, _account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, org, roles=[("COMMERCIAL", None)])
    org_id = gid("Organisation", org.id)
    await gql(INVITE, {"input": {"organisationId": org_id, "email": "a@example.test", "roles": []}}, token=admin.token)
    await gql(UPDATE, {"input": {"contactId": gid("Contact", member.contact_id), "roles": []}}, token=admin.token)
    await gql(DISABLE, {"input": {"contactId": gid("Contact", member.contact_id)}}, token=admin.token)
    async with sessionmaker() as session, session.begin():
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    refused = await gql(AUDIT, {"id": org_id}, token=finance.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    trail = await gql(AUDIT, {"id": org_id}, token=admin.token)

    events = [e["node"] for e in trail["data"]["organisation"]["auditEvents"]["edges"]]
    assert [e["action"] for e in events] == [
        "access.denied",
        "member.disabled",
        "member.access_changed",
        "member.invited",
    ]
    assert events[0]["actor"] == {"email": finance.email}
    assert events[0]["summary"] == "AUDIT READ refused"
    assert events[1]["subjectId"] == gid("Contact", member.contact_id)
    assert all(e["actor"] is not None for e in events)


async def test_member_data_of_a_page_costs_the_same_queries_for_5_and_for_40(gql, sessionmaker, app) -> None:
    from sqlalchemy import event

    org, account, admin = await _world(sessionmaker)
    query = """query($id: ID!, $n: Int) { organisation(id: $id) { members(first: $n) { edges { node {
      email roles { role billingAccount { number } } grants { module } denials { module } permissions { module } } } } } }"""
    async with sessionmaker() as session, session.begin():
        for i in range(40):
            m = await make_member(session, org, roles=[("FINANCE", account.id if i % 2 else None)], with_session=False)
            await set_permissions(session, org, m.contact_id, grants=[("SHOP", "READ")])
    statements: list[str] = []
    engine = app.state.guichet.engine.sync_engine

    def count(*_args):  # type: ignore[no-untyped-def]
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for n in (5, 40):
            statements.clear()
            result = await gql(query, {"id": gid("Organisation", org.id), "n": n}, token=admin.token)
            assert "errors" not in result, result
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1]


async def test_accepting_an_invitation_signs_the_rest_of_the_request_in_as_the_new_member(gql, sessionmaker) -> None:
    org, account, admin = await _world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        _, token = await make_invitation(
            session, org, email="joiner@example.test", roles=[("FINANCE", None)], invited_by=admin.contact_id
        )

    result = await gql(
        """mutation($input: TokenPasswordInput!) { acceptInvitation(input: $input) {
             session { viewer { email organisations { name me { email roles { role } } } } } errors { code } } }""",
        {"input": {"token": token, "password": "Bienvenue#2026"}},
    )

    assert "errors" not in result, result
    viewer = result["data"]["acceptInvitation"]["session"]["viewer"]
    assert viewer["email"] == "joiner@example.test"
    assert viewer["organisations"] == [
        {"name": org.name, "me": {"email": "joiner@example.test", "roles": [{"role": "FINANCE"}]}}
    ]

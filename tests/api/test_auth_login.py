"""login and logout: sessions, identical refusals, throttling, hashes, and what the logs never show."""

from __future__ import annotations

import logging
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.tokens import token_hash
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_auth import make_invited_contact
from tests.http_bodies import without_cost

LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    session { token expiresAt viewer { email firstName organisations { name } } }
    errors { code message field }
  }
}
"""
VIEWER = "{ viewer { email } }"
LOGOUT = "mutation { logout { ok errors { code } } }"


async def _member(sessionmaker, **kwargs):
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        return org, await make_member(session, org, roles=[("FINANCE", None)], **kwargs)


async def _attempts(sessionmaker, email: str | None = None) -> int:
    """Failed attempts counted (for one e-mail when given, else every key: e-mails and client addresses)."""
    statement = select(func.count()).select_from(models.LoginAttempt)
    if email is not None:
        statement = statement.where(models.LoginAttempt.email == email)
    async with sessionmaker() as session:
        return (await session.execute(statement)).scalar_one()


async def test_login_opens_a_session_that_signs_requests_in(gql, sessionmaker) -> None:
    org, member = await _member(sessionmaker, with_session=False)

    result = await gql(LOGIN, {"email": f"  {member.email.upper()} ", "password": PASSWORD})

    payload = result["data"]["login"]
    assert payload["errors"] == []
    session = payload["session"]
    assert session["expiresAt"] == "2026-11-25T22:00:00+00:00"  # 12 hours after TEST_NOW
    assert session["viewer"] == {"email": member.email, "firstName": "Test", "organisations": [{"name": org.name}]}
    assert (await gql(VIEWER, token=session["token"]))["data"]["viewer"] == {"email": member.email}
    async with sessionmaker() as db:
        stored = (await db.execute(select(models.Session.token_hash))).scalars().all()
    assert stored == [token_hash(session["token"])]  # only the hash is kept


async def test_each_login_gets_a_new_token(gql, sessionmaker) -> None:
    _, member = await _member(sessionmaker)

    first = await gql(LOGIN, {"email": member.email, "password": PASSWORD})
    second = await gql(LOGIN, {"email": member.email, "password": PASSWORD})

    assert first["data"]["login"]["session"]["token"] != second["data"]["login"]["session"]["token"]


async def test_wrong_password_unknown_email_and_no_password_answer_byte_identical(gql, http, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org)
        invited = await make_invited_contact(session, org, email="invited@example.test")

    bodies = []
    for email, password in [
        (member.email, "Wrong#Pass1"),
        ("nobody@example.test", "Wrong#Pass1"),
        (invited.email, "Wrong#Pass1"),
    ]:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}}
        )
        # Byte for byte, once the cost (the anonymous bucket's level, whatever the e-mail) is left out.
        bodies.append(without_cost(response.content))

    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0] == (
        b'{"data":{"login":{"session":null,"errors":[{"code":"INVALID_CREDENTIALS",'
        b'"message":"The e-mail address or the password is incorrect.","field":null}]}}}'
    )


async def test_refusal_is_in_french_when_asked(gql) -> None:
    result = await gql(LOGIN, {"email": "nobody@example.test", "password": "x"}, lang="fr-FR,fr;q=0.9,en;q=0.5")

    assert result["data"]["login"]["errors"] == [
        {"code": "INVALID_CREDENTIALS", "message": "L'adresse e-mail ou le mot de passe est incorrect.", "field": None}
    ]


async def test_malformed_email_is_a_validation_error(gql, sessionmaker) -> None:
    for lang, message in [
        (None, "This is not a valid e-mail address."),
        ("fr", "Cette adresse e-mail n'est pas valide."),
    ]:
        result = await gql(LOGIN, {"email": "not-an-address", "password": PASSWORD}, lang=lang)
        assert result["data"]["login"] == {
            "session": None,
            "errors": [{"code": "VALIDATION", "message": message, "field": ["input", "email"]}],
        }
    assert await _attempts(sessionmaker) == 0


async def test_five_aliased_failures_in_one_request_throttle_even_the_right_password(gql, sessionmaker, clock) -> None:
    _, member = await _member(sessionmaker)
    aliases = "\n".join(
        f'a{i}: login(input: {{email: "{member.email}", password: "Wrong#Pass{i}"}}) {{ errors {{ code }} }}'
        for i in range(5)
    )

    batch = await gql(f"mutation {{ {aliases} }}")

    assert [batch["data"][f"a{i}"]["errors"][0]["code"] for i in range(5)] == ["INVALID_CREDENTIALS"] * 5
    assert await _attempts(sessionmaker, member.email) == 5
    refused = await gql(LOGIN, {"email": member.email, "password": PASSWORD})
    assert refused["data"]["login"] == {
        "session": None,
        "errors": [
            {
                "code": "TOO_MANY_ATTEMPTS",
                "message": "Too many attempts. Please try again in 15 minutes.",
                "field": None,
            }
        ],
    }
    clock.current += timedelta(minutes=6)
    refused_fr = await gql(LOGIN, {"email": member.email, "password": PASSWORD}, lang="fr")
    assert (
        refused_fr["data"]["login"]["errors"][0]["message"] == "Trop de tentatives. Veuillez réessayer dans 9 minutes."
    )
    assert await _attempts(sessionmaker, member.email) == 5  # throttled tries do not extend the block

    clock.current += timedelta(minutes=9)
    freed = await gql(LOGIN, {"email": member.email, "password": PASSWORD})

    assert freed["data"]["login"]["errors"] == []
    assert freed["data"]["login"]["session"]["viewer"]["email"] == member.email


async def test_sixth_aliased_login_in_the_same_request_is_already_throttled(gql, sessionmaker) -> None:
    _, member = await _member(sessionmaker)
    aliases = "\n".join(
        f'a{i}: login(input: {{email: "{member.email}", password: "{"Wrong#1" if i < 5 else PASSWORD}"}}) '
        "{ session { token } errors { code } }"
        for i in range(6)
    )

    result = await gql(f"mutation {{ {aliases} }}")

    assert result["data"]["a5"] == {"session": None, "errors": [{"code": "TOO_MANY_ATTEMPTS"}]}


async def test_throttling_one_email_leaves_others_alone(gql, sessionmaker) -> None:
    _, victim = await _member(sessionmaker)
    _, other = await _member(sessionmaker)
    for _ in range(5):
        await gql(LOGIN, {"email": victim.email, "password": "Wrong#Pass1"})

    result = await gql(LOGIN, {"email": other.email, "password": PASSWORD})

    assert result["data"]["login"]["errors"] == []


async def test_logout_ends_the_session(gql, sessionmaker) -> None:
    _, member = await _member(sessionmaker)
    other_device = (await gql(LOGIN, {"email": member.email, "password": PASSWORD}))["data"]["login"]["session"]

    result = await gql(LOGOUT, token=member.token)

    assert result == {"data": {"logout": {"ok": True, "errors": []}}}
    for document in (VIEWER, LOGOUT):
        refused = await gql(document, token=member.token, status=401)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    # Only this session ended.
    assert (await gql(VIEWER, token=other_device["token"]))["data"]["viewer"] == {"email": member.email}


async def test_logout_without_a_session_is_unauthenticated(gql) -> None:
    result = await gql(LOGOUT, lang="fr")

    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        ("Veuillez vous connecter.", "UNAUTHENTICATED")
    ]


async def test_expired_session_no_longer_signs_in(gql, sessionmaker, clock) -> None:
    _, member = await _member(sessionmaker, with_session=False)
    token = (await gql(LOGIN, {"email": member.email, "password": PASSWORD}))["data"]["login"]["session"]["token"]

    clock.current += timedelta(hours=12)

    refused = await gql(VIEWER, token=token, status=401)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


async def test_stored_hash_is_argon2id_and_weaker_hashes_are_upgraded_at_login(gql, sessionmaker) -> None:
    _, member = await _member(sessionmaker)
    weaker = PasswordHasher(time_cost=1, memory_cost=16, parallelism=2).hash(PASSWORD)
    async with sessionmaker() as session, session.begin():
        person = await session.get(models.Person, member.person_id)
        person.password_hash = weaker

    result = await gql(LOGIN, {"email": member.email, "password": PASSWORD})

    assert result["data"]["login"]["errors"] == []
    async with sessionmaker() as session:
        stored = (await session.get(models.Person, member.person_id)).password_hash
    assert stored.startswith("$argon2id$v=19$")
    assert stored != weaker
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_logs_show_login_events_but_never_password_or_token(gql, sessionmaker, caplog) -> None:
    _, member = await _member(sessionmaker, with_session=False)
    caplog.set_level(logging.INFO)

    await gql(LOGIN, {"email": member.email, "password": "Wrong#Secret42"})
    ok = await gql(LOGIN, {"email": member.email, "password": PASSWORD})
    token = ok["data"]["login"]["session"]["token"]
    await gql(LOGOUT, token=token)

    text = caplog.text
    assert "auth.login.failed" in text and "auth.login.succeeded" in text and "auth.logout" in text
    for secret in ("Wrong#Secret42", PASSWORD, token, token_hash(token)):
        assert secret not in text

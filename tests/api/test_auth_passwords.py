"""Forgotten password (requestPasswordReset / resetPassword) and changePassword."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from guichet.domain import models
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_auth import STRONG_PASSWORD, mailed_token, make_invited_contact, outbox
from tests.http_bodies import without_cost

REQUEST = (
    "mutation($email: String!) { requestPasswordReset(input: {email: $email}) { ok errors { code message field } } }"
)
RESET = """
mutation($token: String!, $password: String!) {
  resetPassword(input: {token: $token, password: $password}) { ok errors { code message field } }
}
"""
CHANGE = """
mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) { ok errors { code message field } }
}
"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code } }
}
"""
VIEWER = "{ viewer { email } }"
OK = {"ok": True, "errors": []}


async def _member(sessionmaker):
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        return await make_member(session, org, roles=[("FINANCE", None)])


async def _password_hash(sessionmaker, person_id: int) -> str | None:
    async with sessionmaker() as session:
        return (await session.get(models.Person, person_id)).password_hash


async def _login(gql, email: str, password: str) -> dict:
    return (await gql(LOGIN, {"email": email, "password": password}))["data"]["login"]


async def _reset_token(gql, sessionmaker, email: str, lang: str | None = None) -> str:
    assert (await gql(REQUEST, {"email": email}, lang=lang))["data"]["requestPasswordReset"] == OK
    return await mailed_token(sessionmaker, email, "reset-password")


async def test_reset_by_mailed_link_sets_the_password_and_ends_every_session(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    other_device = (await _login(gql, member.email, PASSWORD))["session"]["token"]

    token = await _reset_token(gql, sessionmaker, member.email)
    result = await gql(RESET, {"token": token, "password": STRONG_PASSWORD})

    assert result["data"]["resetPassword"] == OK
    for old in (member.token, other_device):
        refused = await gql(VIEWER, token=old, status=401)
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert (await _login(gql, member.email, PASSWORD))["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert (await _login(gql, member.email, STRONG_PASSWORD))["errors"] == []
    [request_mail, notice] = await outbox(sessionmaker, member.email)
    assert request_mail.subject == "Reset your Guichet password"
    assert "valid for 1 hour" in request_mail.body_text
    assert notice.subject == "Your Guichet password was changed"
    async with sessionmaker() as session:
        stored = (await session.execute(select(models.OneTimeToken.token_hash))).scalars().all()
    assert token not in stored  # only its hash


async def test_reset_mail_is_in_the_request_language(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)

    await _reset_token(gql, sessionmaker, member.email, lang="fr")

    [mail] = await outbox(sessionmaker, member.email)
    assert mail.subject == "Réinitialisez votre mot de passe Guichet"
    assert "valable 1 heure" in mail.body_text


async def test_reset_link_comes_from_the_configured_url_not_the_host_header(gql, http, sessionmaker) -> None:
    member = await _member(sessionmaker)

    await http.post(
        "/graphql", json={"query": REQUEST, "variables": {"email": member.email}}, headers={"Host": "evil.example"}
    )

    assert await mailed_token(sessionmaker, member.email, "reset-password")  # checks http://guichet.test/...


async def test_unknown_or_passwordless_email_answers_ok_and_sends_nothing(gql, http, sessionmaker) -> None:
    member = await _member(sessionmaker)
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        invited = await make_invited_contact(session, org, email="invited@example.test")

    bodies = {
        email: without_cost(
            (await http.post("/graphql", json={"query": REQUEST, "variables": {"email": email}})).content
        )
        for email in (member.email, "nobody@example.test", invited.email)
    }

    assert len(set(bodies.values())) == 1
    assert [m.to_address for m in await outbox(sessionmaker)] == [member.email]


async def test_reset_request_with_malformed_email_is_a_validation_error(gql, sessionmaker) -> None:
    result = await gql(REQUEST, {"email": "nope@"}, lang="fr")

    assert result["data"]["requestPasswordReset"] == {
        "ok": False,
        "errors": [
            {"code": "VALIDATION", "message": "Cette adresse e-mail n'est pas valide.", "field": ["input", "email"]}
        ],
    }
    assert await outbox(sessionmaker) == []


async def test_reset_requests_beyond_five_in_a_window_send_nothing_more(gql, sessionmaker, clock) -> None:
    member = await _member(sessionmaker)

    for _ in range(7):
        assert (await gql(REQUEST, {"email": member.email}))["data"]["requestPasswordReset"] == OK

    assert len(await outbox(sessionmaker, member.email)) == 5
    clock.current += timedelta(minutes=15)
    await gql(REQUEST, {"email": member.email})
    assert len(await outbox(sessionmaker, member.email)) == 6


TOKEN_INVALID = {
    "ok": False,
    "errors": [
        {
            "code": "TOKEN_INVALID",
            "message": "This link is invalid, has expired or has already been used.",
            "field": ["input", "token"],
        }
    ],
}


async def test_reset_token_works_once(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    token = await _reset_token(gql, sessionmaker, member.email)
    assert (await gql(RESET, {"token": token, "password": STRONG_PASSWORD}))["data"]["resetPassword"] == OK

    again = await gql(RESET, {"token": token, "password": "Autre#Passe77"})

    assert again["data"]["resetPassword"] == TOKEN_INVALID
    assert (await _login(gql, member.email, STRONG_PASSWORD))["errors"] == []


async def test_reset_token_expires_after_one_hour(gql, sessionmaker, clock) -> None:
    member = await _member(sessionmaker)
    token = await _reset_token(gql, sessionmaker, member.email)
    before = await _password_hash(sessionmaker, member.person_id)

    clock.current += timedelta(minutes=61)
    result = await gql(RESET, {"token": token, "password": STRONG_PASSWORD}, lang="fr")

    assert result["data"]["resetPassword"] == {
        "ok": False,
        "errors": [
            {
                "code": "TOKEN_INVALID",
                "message": "Ce lien n'est pas valide, a expiré ou a déjà été utilisé.",
                "field": ["input", "token"],
            }
        ],
    }
    assert await _password_hash(sessionmaker, member.person_id) == before
    assert (await gql(VIEWER, token=member.token))["data"]["viewer"] == {"email": member.email}


async def test_using_a_reset_token_kills_the_other_outstanding_ones(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    first = await _reset_token(gql, sessionmaker, member.email)
    second = await _reset_token(gql, sessionmaker, member.email)

    assert (await gql(RESET, {"token": second, "password": STRONG_PASSWORD}))["data"]["resetPassword"] == OK

    assert (await gql(RESET, {"token": first, "password": "Autre#Passe77"}))["data"]["resetPassword"] == TOKEN_INVALID


async def test_unknown_token_is_invalid(gql, sessionmaker) -> None:
    result = await gql(RESET, {"token": "made-up-token", "password": STRONG_PASSWORD})

    assert result["data"]["resetPassword"] == TOKEN_INVALID


@pytest.mark.parametrize(
    ("password", "en", "fr"),
    [
        ("Ab1!", "at least 8 characters", "8 caractères au moins"),
        ("ABCDEFG1!", "a lower-case letter", "une lettre minuscule"),
        ("abcdefg1!", "an upper-case letter", "une lettre majuscule"),
        ("Abcdefgh!", "a digit", "un chiffre"),
        ("Abcdefgh1", "a special character", "un caractère spécial"),
        (
            "abcdefgh",
            "an upper-case letter, a digit, a special character",
            "une lettre majuscule, un chiffre, un caractère spécial",
        ),
    ],
)
async def test_weak_new_password_is_refused_naming_what_is_missing_and_the_token_stays_usable(
    gql, sessionmaker, password: str, en: str, fr: str
) -> None:
    member = await _member(sessionmaker)
    token = await _reset_token(gql, sessionmaker, member.email)
    before = await _password_hash(sessionmaker, member.person_id)

    english = await gql(RESET, {"token": token, "password": password})
    french = await gql(RESET, {"token": token, "password": password}, lang="fr")

    assert english["data"]["resetPassword"] == {
        "ok": False,
        "errors": [
            {"code": "WEAK_PASSWORD", "message": f"The password must contain {en}.", "field": ["input", "password"]}
        ],
    }
    assert french["data"]["resetPassword"]["errors"][0]["message"] == f"Le mot de passe doit contenir {fr}."
    assert await _password_hash(sessionmaker, member.person_id) == before
    assert (await gql(RESET, {"token": token, "password": STRONG_PASSWORD}))["data"]["resetPassword"] == OK


async def test_reset_logs_the_request_and_its_use_without_token_or_password(gql, sessionmaker, caplog) -> None:
    member = await _member(sessionmaker)
    caplog.set_level(logging.INFO)

    token = await _reset_token(gql, sessionmaker, member.email)
    await gql(RESET, {"token": token, "password": STRONG_PASSWORD})

    assert "auth.reset.requested" in caplog.text and "auth.reset.completed" in caplog.text
    assert token not in caplog.text and STRONG_PASSWORD not in caplog.text and "?token=" not in caplog.text


async def test_change_password_keeps_this_session_and_ends_the_others(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    other_device = (await _login(gql, member.email, PASSWORD))["session"]["token"]

    result = await gql(CHANGE, {"current": PASSWORD, "new": STRONG_PASSWORD}, token=member.token)

    assert result["data"]["changePassword"] == OK
    assert (await gql(VIEWER, token=member.token))["data"]["viewer"] == {"email": member.email}
    refused = await gql(VIEWER, token=other_device, status=401)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert (await _login(gql, member.email, STRONG_PASSWORD))["errors"] == []
    assert [m.subject for m in await outbox(sessionmaker, member.email)] == ["Your Guichet password was changed"]


async def test_change_password_with_a_wrong_current_password_changes_nothing(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    before = await _password_hash(sessionmaker, member.person_id)

    result = await gql(CHANGE, {"current": "Wrong#Pass1", "new": STRONG_PASSWORD}, token=member.token, lang="fr")

    assert result["data"]["changePassword"] == {
        "ok": False,
        "errors": [
            {
                "code": "INVALID_CREDENTIALS",
                "message": "Le mot de passe actuel est incorrect.",
                "field": ["input", "currentPassword"],
            }
        ],
    }
    assert await _password_hash(sessionmaker, member.person_id) == before
    assert await outbox(sessionmaker) == []


async def test_change_password_refuses_a_weak_new_password(gql, sessionmaker) -> None:
    member = await _member(sessionmaker)

    result = await gql(CHANGE, {"current": PASSWORD, "new": "abcdefgh1!"}, token=member.token)

    assert result["data"]["changePassword"] == {
        "ok": False,
        "errors": [
            {
                "code": "WEAK_PASSWORD",
                "message": "The password must contain an upper-case letter.",
                "field": ["input", "newPassword"],
            }
        ],
    }


async def test_change_password_needs_a_session(gql) -> None:
    result = await gql(CHANGE, {"current": PASSWORD, "new": STRONG_PASSWORD})

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_forwarded_for_header_from_an_untrusted_peer_does_not_escape_the_token_throttle(http) -> None:
    for n in range(20):
        await http.post(
            "/graphql",
            json={"query": RESET, "variables": {"token": f"guess-{n}", "password": STRONG_PASSWORD}},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )

    response = await http.post(
        "/graphql",
        json={"query": RESET, "variables": {"token": "guess-x", "password": STRONG_PASSWORD}},
        headers={"X-Forwarded-For": "198.51.100.250"},
    )

    assert [e["code"] for e in response.json()["data"]["resetPassword"]["errors"]] == ["TOO_MANY_ATTEMPTS"]

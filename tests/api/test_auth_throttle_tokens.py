"""acceptInvitation checks a password under the login throttle; bad invitation, activation and reset
tokens are throttled per client address (behind a trusted proxy: the X-Forwarded-For client)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.auth import rules
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_access import make_invitation
from tests.factories_throttle import count_verifications

ACCEPT = """
mutation($input: TokenPasswordInput!) {
  acceptInvitation(input: $input) { session { token } errors { code message field } }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code message field } }
}"""
TOKEN_MUTATIONS = {
    "acceptInvitation": "mutation($input: TokenPasswordInput!) { acceptInvitation(input: $input) "
    "{ session { token } errors { code message field } } }",
    "activateAccount": "mutation($input: TokenPasswordInput!) { activateAccount(input: $input) "
    "{ session { token } errors { code message field } } }",
    "resetPassword": "mutation($input: TokenPasswordInput!) { resetPassword(input: $input) "
    "{ ok errors { code message field } } }",
}
TOO_MANY = {
    "en": "Too many attempts. Please try again in 15 minutes.",
    "fr": "Trop de tentatives. Veuillez réessayer dans 15 minutes.",
}


@pytest.fixture
def settings(settings: Any) -> Any:
    # The test client connects from 127.0.0.1: trust it as a proxy, so X-Forwarded-For names clients.
    return settings.with_overrides(forwarded_allow_ips="127.0.0.1")


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _invited_existing_person(sessionmaker: Any) -> tuple[Any, str]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        elsewhere = await make_organisation(session)
        existing = await make_member(session, elsewhere, roles=[("FINANCE", None)])
        _invitation, token = await make_invitation(session, org, email=existing.email, roles=[("COMMERCIAL", None)])
    return existing, token


async def test_accept_invitation_checks_a_known_password_under_the_login_throttle(app, http, sessionmaker) -> None:
    existing, token = await _invited_existing_person(sessionmaker)
    hasher = count_verifications(app)
    for n in range(5):
        wrong = await post(http, ACCEPT, {"input": {"token": token, "password": f"Autre#Mot{n}"}})
        assert wrong["acceptInvitation"]["errors"][0]["code"] == "INVALID_CREDENTIALS"

    right = await post(http, ACCEPT, {"input": {"token": token, "password": PASSWORD}})
    login = await post(http, LOGIN, {"email": existing.email, "password": PASSWORD}, accept_language="fr")

    assert right["acceptInvitation"] == {
        "session": None,
        "errors": [{"code": "TOO_MANY_ATTEMPTS", "message": TOO_MANY["en"], "field": None}],
    }
    assert login["login"] == {
        "session": None,
        "errors": [{"code": "TOO_MANY_ATTEMPTS", "message": TOO_MANY["fr"], "field": None}],
    }
    assert len(hasher.verified) == 5
    async with sessionmaker() as session:
        status = (await session.execute(select(models.Invitation.status))).scalar_one()
    assert status == "PENDING"


async def test_failed_logins_and_failed_acceptances_share_one_budget(http, sessionmaker) -> None:
    existing, token = await _invited_existing_person(sessionmaker)
    for n in range(3):
        await post(http, LOGIN, {"email": existing.email, "password": f"Wrong#Pass{n}"})
    for n in range(2):
        await post(http, ACCEPT, {"input": {"token": token, "password": f"Autre#Mot{n}"}})

    right = await post(http, ACCEPT, {"input": {"token": token, "password": PASSWORD}})

    assert right["acceptInvitation"]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_a_successful_acceptance_counts_no_failure(http, sessionmaker) -> None:
    existing, token = await _invited_existing_person(sessionmaker)

    accepted = await post(http, ACCEPT, {"input": {"token": token, "password": PASSWORD}})

    assert accepted["acceptInvitation"]["errors"] == []
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(models.LoginAttempt))).scalar_one() == 0


@pytest.mark.parametrize("mutation", sorted(TOKEN_MUTATIONS))
async def test_bad_tokens_are_throttled_per_client_address(http, sessionmaker, mutation: str) -> None:
    document = TOKEN_MUTATIONS[mutation]
    attacker = {"x_forwarded_for": "203.0.113.7"}
    for n in range(rules.TOKEN_FAILURES_PER_IP):
        bad = await post(http, document, {"input": {"token": f"guess-{n}", "password": "Bienvenue#2026"}}, **attacker)
        assert [e["code"] for e in bad[mutation]["errors"]] == ["TOKEN_INVALID"]

    refused = {
        lang: await post(
            http,
            document,
            {"input": {"token": "guess-x", "password": "Bienvenue#2026"}},
            accept_language=lang,
            **attacker,
        )
        for lang in ("en", "fr")
    }
    other_client = await post(
        http, document, {"input": {"token": "guess-y", "password": "Bienvenue#2026"}}, x_forwarded_for="198.51.100.4"
    )

    for lang, data in refused.items():
        assert data[mutation]["errors"] == [{"code": "TOO_MANY_ATTEMPTS", "message": TOO_MANY[lang], "field": None}]
    assert [e["code"] for e in other_client[mutation]["errors"]] == ["TOKEN_INVALID"]


async def test_concurrent_bad_tokens_from_one_address_count_exactly(http, sessionmaker) -> None:
    document = TOKEN_MUTATIONS["resetPassword"]

    results = await asyncio.gather(
        *(
            post(
                http,
                document,
                {"input": {"token": f"guess-{n}", "password": "Bienvenue#2026"}},
                x_forwarded_for="203.0.113.9",
            )
            for n in range(30)
        )
    )

    codes = Counter(r["resetPassword"]["errors"][0]["code"] for r in results)
    assert codes == {
        "TOKEN_INVALID": rules.TOKEN_FAILURES_PER_IP,
        "TOO_MANY_ATTEMPTS": 30 - rules.TOKEN_FAILURES_PER_IP,
    }

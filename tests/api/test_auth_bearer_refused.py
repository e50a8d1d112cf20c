"""An Authorization header that signs no one in is refused outright: 401, WWW-Authenticate: Bearer and
one top-level UNAUTHENTICATED error, for any operation; no header at all stays anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guichet.domain import models
from tests.factories import PASSWORD, make_member, make_organisation
from tests.http_bodies import graphql_body

REFUSED = {
    "en": {
        "errors": [
            {
                "message": "The Authorization header holds no valid session (expired, ended or malformed): "
                "sign in again, or send the request without it.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    },
    "fr": {
        "errors": [
            {
                "message": "L'en-tête Authorization ne porte aucune session valide (expirée, terminée ou mal "
                "formée) : reconnectez-vous, ou envoyez la requête sans cet en-tête.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    },
}
VIEWER = "{ viewer { email } }"
ORGANISATION = 'query { organisation(id: "T3JnYW5pc2F0aW9uOjE") { name } }'
LOGIN = (
    "mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) "
    "{ session { token } errors { code } } }"
)


async def _member(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        return await make_member(session, org, roles=[("FINANCE", None)])


async def _ended(sessionmaker, member, how: str, clock) -> str:  # type: ignore[no-untyped-def]
    """An Authorization header value that once was, or never was, a live session."""
    if how == "garbage":
        return "Bearer not-a-session-token"
    if how == "not-bearer":
        return f"Token {member.token}"
    if how == "bare-token":
        return member.token
    if how == "empty-bearer":
        return "Bearer "
    async with sessionmaker() as session, session.begin():
        row = (await session.execute(models.Session.__table__.select())).first()
        stored = await session.get(models.Session, row.id)
        if how == "revoked":
            stored.revoked_at = clock.now()
        else:  # expired
            stored.expires_at = clock.now() - timedelta(seconds=1)
    return f"Bearer {member.token}"


@pytest.mark.parametrize("how", ["garbage", "not-bearer", "bare-token", "empty-bearer", "revoked", "expired"])
@pytest.mark.parametrize(
    ("document", "variables"),
    [(VIEWER, {}), (ORGANISATION, {}), (LOGIN, {"email": "someone@example.test", "password": PASSWORD})],
    ids=["viewer", "organisation", "login"],
)
async def test_an_invalid_authorization_header_answers_401_for_any_operation(
    http, sessionmaker, clock, how: str, document: str, variables: dict
) -> None:  # type: ignore[type-arg]
    member = await _member(sessionmaker)
    header = await _ended(sessionmaker, member, how, clock)

    response = await http.post(
        "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": header}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == REFUSED["en"]
    assert response.headers["x-request-id"]


async def test_the_refusal_is_in_french_and_also_applies_to_get_queries(http, sessionmaker) -> None:
    response = await http.get(
        "/graphql",
        params={"query": VIEWER},
        headers={"Authorization": "Bearer stale", "Accept-Language": "fr"},
    )

    assert response.status_code == 401
    assert response.json() == REFUSED["fr"]


async def test_no_header_is_anonymous_and_a_live_bearer_signs_in(http, sessionmaker) -> None:
    member = await _member(sessionmaker)

    anonymous = await http.post("/graphql", json={"query": VIEWER})
    signed_in = await http.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"bearer {member.token}"})

    assert (anonymous.status_code, graphql_body(anonymous)) == (200, {"data": {"viewer": None}})
    assert (signed_in.status_code, graphql_body(signed_in)) == (200, {"data": {"viewer": {"email": member.email}}})


async def test_dropping_the_stale_header_lets_the_client_sign_in_again(http, sessionmaker) -> None:
    member = await _member(sessionmaker)
    variables = {"email": member.email, "password": PASSWORD}

    stale = await http.post(
        "/graphql", json={"query": LOGIN, "variables": variables}, headers={"Authorization": "Bearer stale"}
    )
    fresh = await http.post("/graphql", json={"query": LOGIN, "variables": variables})

    assert stale.status_code == 401
    assert fresh.status_code == 200 and fresh.json()["data"]["login"]["errors"] == []

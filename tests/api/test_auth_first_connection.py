"""First connection of a contact named on the back-office feed: requestFirstConnection, activateAccount."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guichet.domain import models
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_auth import STRONG_PASSWORD, mailed_token, make_invited_contact, outbox
from tests.http_bodies import without_cost

REQUEST = (
    "mutation($email: String!) { requestFirstConnection(input: {email: $email}) { ok errors { code message field } } }"
)
ACTIVATE = """
mutation($token: String!, $password: String!, $first: String, $last: String) {
  activateAccount(input: {token: $token, password: $password, firstName: $first, lastName: $last}) {
    session { token expiresAt viewer { email firstName lastName organisations { name } } }
    errors { code message field }
  }
}
"""
RESET = "mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, password: $p}) { ok errors { code } } }"
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code } }
}
"""
OK = {"ok": True, "errors": []}


async def _invited(sessionmaker, email: str = "awa.kone@acme.example"):
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="ACME Côte d'Ivoire")
        return org, await make_invited_contact(session, org, email=email, primary_admin=True)


async def _statuses(sessionmaker, person_id: int) -> list[str]:
    async with sessionmaker() as session:
        return list(
            (await session.execute(select(models.Contact.status).where(models.Contact.person_id == person_id)))
            .scalars()
            .all()
        )


async def _activation_token(gql, sessionmaker, email: str, lang: str | None = None) -> str:
    assert (await gql(REQUEST, {"email": email}, lang=lang))["data"]["requestFirstConnection"] == OK
    return await mailed_token(sessionmaker, email, "activate")


async def test_first_connection_mails_a_link_that_activates_and_signs_in(gql, sessionmaker) -> None:
    org, invited = await _invited(sessionmaker)

    assert (await gql(REQUEST, {"email": " Awa.Kone@ACME.example"}))["data"]["requestFirstConnection"] == OK
    token = await mailed_token(sessionmaker, invited.email, "activate")
    result = await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD, "first": " Awa ", "last": "Koné"})

    payload = result["data"]["activateAccount"]
    assert payload["errors"] == []
    assert payload["session"]["viewer"] == {
        "email": invited.email,
        "firstName": "Awa",
        "lastName": "Koné",
        "organisations": [{"name": org.name}],
    }
    assert await _statuses(sessionmaker, invited.person_id) == ["ACTIVE"]
    viewer = await gql("{ viewer { email } }", token=payload["session"]["token"])
    assert viewer["data"]["viewer"] == {"email": invited.email}
    login = await gql(LOGIN, {"email": invited.email, "password": STRONG_PASSWORD})
    assert login["data"]["login"]["errors"] == []
    async with sessionmaker() as session:
        events = (await session.execute(select(models.AuditEvent.action))).scalars().all()
    assert events == ["member.activated"]


async def test_activation_mail_is_in_the_request_language(gql, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)

    await _activation_token(gql, sessionmaker, invited.email, lang="fr")

    [mail] = await outbox(sessionmaker, invited.email)
    assert mail.subject == "Activez votre accès Guichet"
    assert "valable 7 jours" in mail.body_text


async def test_unknown_email_and_people_with_a_password_get_ok_and_no_mail(gql, http, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org)

    bodies = {
        email: without_cost(
            (await http.post("/graphql", json={"query": REQUEST, "variables": {"email": email}})).content
        )
        for email in (invited.email, "nobody@example.test", member.email)
    }

    assert len(set(bodies.values())) == 1
    assert [m.to_address for m in await outbox(sessionmaker)] == [invited.email]


async def test_malformed_email_is_a_validation_error(gql, sessionmaker) -> None:
    result = await gql(REQUEST, {"email": "awa at acme"})

    assert result["data"]["requestFirstConnection"] == {
        "ok": False,
        "errors": [
            {"code": "VALIDATION", "message": "This is not a valid e-mail address.", "field": ["input", "email"]}
        ],
    }


async def test_activation_token_works_once(gql, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)
    token = await _activation_token(gql, sessionmaker, invited.email)
    assert (await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD}))["data"]["activateAccount"][
        "errors"
    ] == []

    again = await gql(ACTIVATE, {"token": token, "password": "Autre#Passe77"})

    assert again["data"]["activateAccount"] == {
        "session": None,
        "errors": [
            {
                "code": "TOKEN_INVALID",
                "message": "This link is invalid, has expired or has already been used.",
                "field": ["input", "token"],
            }
        ],
    }
    assert (await gql(LOGIN, {"email": invited.email, "password": STRONG_PASSWORD}))["data"]["login"]["errors"] == []


async def test_activation_token_expires_after_seven_days(gql, sessionmaker, clock) -> None:
    _, invited = await _invited(sessionmaker)
    token = await _activation_token(gql, sessionmaker, invited.email)

    clock.current += timedelta(days=7, seconds=1)
    result = await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD}, lang="fr")

    assert result["data"]["activateAccount"]["errors"] == [
        {
            "code": "TOKEN_INVALID",
            "message": "Ce lien n'est pas valide, a expiré ou a déjà été utilisé.",
            "field": ["input", "token"],
        }
    ]
    assert await _statuses(sessionmaker, invited.person_id) == ["INVITED"]
    # A new request gives a fresh link.
    fresh = await _activation_token(gql, sessionmaker, invited.email)
    assert (await gql(ACTIVATE, {"token": fresh, "password": STRONG_PASSWORD}))["data"]["activateAccount"][
        "errors"
    ] == []


async def test_weak_password_keeps_the_contact_invited_and_the_token_usable(gql, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)
    token = await _activation_token(gql, sessionmaker, invited.email)

    weak = await gql(ACTIVATE, {"token": token, "password": "motdepasse"}, lang="fr")

    assert weak["data"]["activateAccount"] == {
        "session": None,
        "errors": [
            {
                "code": "WEAK_PASSWORD",
                "message": "Le mot de passe doit contenir une lettre majuscule, un chiffre, un caractère spécial.",
                "field": ["input", "password"],
            }
        ],
    }
    assert await _statuses(sessionmaker, invited.person_id) == ["INVITED"]
    assert (await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD}))["data"]["activateAccount"][
        "errors"
    ] == []


async def test_tokens_only_serve_their_own_purpose(gql, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)
    token = await _activation_token(gql, sessionmaker, invited.email)

    result = await gql(RESET, {"t": token, "p": STRONG_PASSWORD})

    assert result["data"]["resetPassword"] == {"ok": False, "errors": [{"code": "TOKEN_INVALID"}]}
    assert await _statuses(sessionmaker, invited.person_id) == ["INVITED"]


async def test_activation_of_a_person_with_contacts_in_two_organisations_activates_both(gql, sessionmaker) -> None:
    org, invited = await _invited(sessionmaker)
    async with sessionmaker() as session, session.begin():
        second = await make_organisation(session, name="Globex")
        session.add(
            models.Contact(
                organisation_id=second.id, person_id=invited.person_id, status="INVITED", created_at=org.created_at
            )
        )
    token = await _activation_token(gql, sessionmaker, invited.email)

    result = await gql(ACTIVATE, {"token": token, "password": STRONG_PASSWORD})

    names = [o["name"] for o in result["data"]["activateAccount"]["session"]["viewer"]["organisations"]]
    assert sorted(names) == sorted([org.name, second.name])
    assert await _statuses(sessionmaker, invited.person_id) == ["ACTIVE", "ACTIVE"]


async def test_factory_password_is_not_accepted_before_activation(gql, sessionmaker) -> None:
    _, invited = await _invited(sessionmaker)

    result = await gql(LOGIN, {"email": invited.email, "password": PASSWORD})

    assert result["data"]["login"] == {"session": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}

"""The security log through the app: failed and throttled logins, refused accesses, refused webhooks and
queued e-mails each make one line with who, where, what and the request id, and no secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from guichet import logs
from guichet.domain.ids import to_global_id
from tests.conftest import TEST_NOW
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_payments import send_webhook

LOGIN = (
    "mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) "
    "{ session { token } errors { code } } }"
)
INVOICES = "query($id: ID!) { organisation(id: $id) { invoices(first: 5) { totalCount } } }"


def lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    """The fields of the captured records of `event`, as the key=value formatter writes them."""
    found = []
    for record in caplog.records:
        if getattr(record, "event", None) == event:
            line = logs.KeyValueFormatter().format(record)
            found.append({"line": line, **logs.fields_of(record)})
    return found


async def test_a_failed_login_logs_who_from_where_and_the_request_id_but_not_the_password(
    http, sessionmaker, caplog
) -> None:
    caplog.set_level(logging.INFO)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, await make_organisation(session))

    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": member.email, "password": "Wrong#Secret42"}},
        headers={"X-Request-Id": "req-login-1"},
    )

    [failed] = lines(caplog, "auth.login.failed")
    assert response.headers["x-request-id"] == "req-login-1"
    assert (failed["email"], failed["ip"], failed["request_id"]) == (member.email, "127.0.0.1", "req-login-1")
    assert failed["line"].startswith("ts=") and "level=info" in failed["line"]
    assert "Wrong#Secret42" not in caplog.text and "Wrong#Secret42" not in failed["line"]


async def test_a_throttled_login_is_logged(http, sessionmaker, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, await make_organisation(session))
    for n in range(6):
        await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": member.email, "password": f"Wrong#{n}"}}
        )

    [throttled] = lines(caplog, "auth.login.throttled")

    assert throttled["email"] == member.email


async def test_a_refused_access_names_actor_organisation_module_action_time_and_request(
    http, sessionmaker, caplog
) -> None:
    caplog.set_level(logging.INFO)
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org, roles=[("COMMERCIAL", None)])

    response = await http.post(
        "/graphql",
        json={"query": INVOICES, "variables": {"id": to_global_id("Organisation", org.id)}},
        headers={"Authorization": f"Bearer {member.token}", "X-Request-Id": "req-refused-1"},
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    [refused] = lines(caplog, "access.refused")
    assert {k: refused[k] for k in ("actor", "organisation", "module", "action", "request_id", "principal")} == {
        "actor": f"contact:{member.contact_id}",
        "organisation": org.id,
        "module": "INVOICES",
        "action": "READ",
        "request_id": "req-refused-1",
        "principal": f"person:{member.person_id}",
    }
    assert refused["ts"].startswith("20")
    assert member.token not in caplog.text


async def test_a_refused_bearer_is_logged_without_the_token(http, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = await http.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"Authorization": "Bearer stale-t0ken-value"}
    )

    assert response.status_code == 401
    [refused] = lines(caplog, "auth.bearer.refused")
    assert (refused["ip"], refused["request_id"]) == ("127.0.0.1", response.headers["x-request-id"])
    assert "stale-t0ken-value" not in caplog.text


async def test_a_refused_webhook_is_logged_without_its_body(http, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = await send_webhook(
        http, "orange-money", {"reference": "GP-SECRETREF", "status": "SUCCEEDED"}, at=TEST_NOW, secret="wrong"
    )

    assert response.status_code == 400
    [refused] = lines(caplog, "webhook.refused")
    assert (refused["provider"], refused["status"]) == ("orange-money", 400)
    assert refused["request_id"] == response.headers["x-request-id"]
    assert "GP-SECRETREF" not in caplog.text


async def test_a_refused_back_office_webhook_is_logged(http, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = await http.post("/webhooks/back-office/service-requests", content=b'{"eventId": "x"}')

    assert response.status_code == 400
    [refused] = lines(caplog, "webhook.refused")
    assert (refused["provider"], refused["status"]) == ("back-office", 400)


async def test_each_queued_e_mail_is_one_line_without_its_link(gql, sessionmaker, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, await make_organisation(session))

    await gql(
        "mutation($email: String!) { requestPasswordReset(input: {email: $email}) { ok } }", {"email": member.email}
    )

    [queued] = lines(caplog, "mail.queued")
    assert queued["to"] == member.email and queued["subject"] == "Reset your Guichet password"
    assert "token=" not in caplog.text
    assert PASSWORD not in caplog.text

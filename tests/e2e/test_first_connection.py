"""A contact named on a back-office feed connects for the first time, over real HTTP and real SMTP.

`guichet db upgrade` and `guichet import` run as commands, `guichet serve` as a real process
delivering e-mail to a local SMTP server; the activation link is read from the delivered message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.support import guichet_env, plain_text, run_guichet, running_server, smtp_server

pytestmark = pytest.mark.e2e

FEED = Path(__file__).parent.parent / "fixtures" / "feeds" / "basic.json"
PASSWORD = "Premi3re#Connexion"

REQUEST = "mutation($email: String!) { requestFirstConnection(input: {email: $email}) { ok errors { code } } }"
ACTIVATE = """
mutation($token: String!, $password: String!) {
  activateAccount(input: {token: $token, password: $password, firstName: "Kofi", lastName: "Mensah"}) {
    session { token viewer { email } } errors { code message }
  }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code message } }
}"""
VIEWER = "{ viewer { email firstName organisations { name kind } } }"


def test_a_feed_contact_activates_from_the_emailed_link_then_signs_in(tmp_path: Path) -> None:
    with smtp_server() as (smtp_port, mailbox):
        env = guichet_env(
            f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
            {"GUICHET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"},
        )
        upgraded = run_guichet("db", "upgrade", env=env, cwd=tmp_path)
        assert upgraded.returncode == 0, upgraded.stderr
        imported = run_guichet("import", str(FEED), env=env, cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr

        with running_server(env, cwd=tmp_path) as server:
            requested = server.graphql(REQUEST, {"email": "compta@acme.ci"})
            assert requested == {"data": {"requestFirstConnection": {"ok": True, "errors": []}}}

            message = mailbox.wait_for("compta@acme.ci")
            links = re.findall(r"http://guichet\.e2e/activate\?token=([A-Za-z0-9_\-]+)", plain_text(message))
            assert len(links) == 1, plain_text(message)

            activated = server.graphql(ACTIVATE, {"token": links[0], "password": PASSWORD})
            payload = activated["data"]["activateAccount"]
            assert payload["errors"] == [], payload
            assert payload["session"]["viewer"] == {"email": "compta@acme.ci"}

            reused = server.graphql(ACTIVATE, {"token": links[0], "password": PASSWORD})
            assert [e["code"] for e in reused["data"]["activateAccount"]["errors"]] == ["TOKEN_INVALID"]

            login = server.graphql(LOGIN, {"email": "compta@acme.ci", "password": PASSWORD})
            session = login["data"]["login"]
            assert session["errors"] == [], session

            viewer = server.graphql(VIEWER, token=session["session"]["token"])
            assert viewer == {
                "data": {
                    "viewer": {
                        "email": "compta@acme.ci",
                        "firstName": "Kofi",
                        "organisations": [{"name": "ACME Côte d'Ivoire", "kind": "BUSINESS"}],
                    }
                }
            }


def test_serve_demo_from_an_empty_folder_lets_the_finance_login_read_its_organisation(tmp_path: Path) -> None:
    # What `make run` does: no secrets set, demo mode creates them and ./guichet.db in the working folder.
    env = {k: v for k, v in guichet_env("unused").items() if not k.startswith("GUICHET_")}

    with running_server(env, extra_args=["--demo"], cwd=tmp_path, ready_timeout=120) as server:
        login = server.graphql(LOGIN, {"email": "finance@acme.example", "password": "Guichet#2026"})
        token = login["data"]["login"]["session"]["token"]
        viewer = server.graphql("{ viewer { organisations { name billingAccounts { totalCount } } } }", token=token)

    assert viewer == {
        "data": {"viewer": {"organisations": [{"name": "ACME Côte d'Ivoire", "billingAccounts": {"totalCount": 3}}]}}
    }
    assert (tmp_path / "guichet.db").exists() and (tmp_path / ".guichet-secret").exists()

"""`guichet serve` logs one JSON line per event: its own security events, the e-mails it queues, and
uvicorn's access lines, each with the request id, and never a link signature, a token or a password."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import guichet_env, run_guichet, running_server

pytestmark = pytest.mark.e2e

FEED = Path(__file__).parent.parent / "fixtures" / "feeds" / "basic.json"
SIGNATURE = "Zk9uZ2F0aGVzaWduYXR1cmUxMjM0NTY3ODkw"
LOGIN = (
    "mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) "
    "{ errors { code } } }"
)


def _lines(log: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def test_serve_writes_structured_lines_with_request_ids_and_no_secrets(tmp_path: Path) -> None:
    env = guichet_env(f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}", {"GUICHET_LOG_FORMAT": "json"})
    assert run_guichet("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert run_guichet("import", str(FEED), env=env, cwd=tmp_path).returncode == 0

    with running_server(env, cwd=tmp_path) as server:
        server.graphql(LOGIN, {"email": "compta@acme.ci", "password": "Wrong#Secret42"})
        server.graphql('mutation { requestFirstConnection(input: {email: "compta@acme.ci"}) { ok } }')
        download = httpx.get(
            f"{server.base_url}/invoices/1.9999999999.{SIGNATURE}.pdf", headers={"X-Request-Id": "req-pdf-1"}
        )
        assert download.status_code == 403
        time.sleep(0.5)  # let the access line reach the log file
        log = server.log()

    lines = _lines(log)  # every line is one JSON object
    assert all(
        {"ts", "level", "logger", "msg", "request_id", "principal", "organisation"} <= set(line) for line in lines
    )
    [failed] = [line for line in lines if line.get("event") == "auth.login.failed"]
    assert failed["email"] == "compta@acme.ci" and failed["request_id"] != "-"
    [queued] = [line for line in lines if line.get("event") == "mail.queued"]
    assert queued["to"] == "compta@acme.ci"
    [access] = [line for line in lines if line["logger"] == "uvicorn.access" and "/invoices/" in line["msg"]]
    assert access["request_id"] == "req-pdf-1"
    assert "/invoices/1.9999999999.[REDACTED].pdf" in access["msg"]
    for secret in (SIGNATURE, "Wrong#Secret42", "token="):
        assert secret not in log

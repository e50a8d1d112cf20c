"""The activation link of a real e-mail, opened in headless Chromium, activates the access.

`guichet serve` runs as a real process delivering to a local SMTP server; Chromium (driven over
the DevTools protocol) opens the mailed link, fills the page's form and submits it, under the
page's own CSP. Skipped where Chromium is not installed (`.ci/run` installs Debian's chromium).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.support import free_port, guichet_env, plain_text, run_guichet, running_server, smtp_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed"),
]

FEED = Path(__file__).parent.parent / "fixtures" / "feeds" / "basic.json"
PASSWORD = "Navigat3ur#Guichet"
REQUEST = "mutation($email: String!) { requestFirstConnection(input: {email: $email}) { ok } }"
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { viewer { firstName } } errors { code } }
}"""


class Page:
    """One Chromium tab over the DevTools protocol: navigate, evaluate, and the console's errors."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.errors: list[str] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == call_id:
                return dict(message.get("result", {}))
            self._note(message)

    def _note(self, message: dict[str, Any]) -> None:
        if message.get("method") == "Log.entryAdded" and message["params"]["entry"]["level"] == "error":
            entry = message["params"]["entry"]
            if not entry.get("url", "").endswith("/favicon.ico"):  # browsers ask for it on their own
                self.errors.append(f"{entry['text']} {entry.get('url', '')}")
        if message.get("method") == "Runtime.exceptionThrown":
            self.errors.append(message["params"]["exceptionDetails"]["text"])

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)


@contextlib.contextmanager
def chromium_page() -> Iterator[Page]:
    assert CHROMIUM is not None
    port = free_port()
    profile = tempfile.mkdtemp(prefix="guichet-chromium-")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        target = None
        while target is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                target = next((p for p in pages if p["type"] == "page"), None)
            time.sleep(0.2)
        assert target is not None, "Chromium did not open its DevTools port"
        with connect(target["webSocketDebuggerUrl"], max_size=None) as socket:
            page = Page(socket)
            for domain in ("Page", "Runtime", "Log"):
                page.send(f"{domain}.enable")
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_mailed_activation_link_activates_the_access_in_a_browser(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with smtp_server() as (smtp_port, mailbox):
        env = guichet_env(
            f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
            {"GUICHET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "GUICHET_PUBLIC_URL": base_url},
        )
        assert run_guichet("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
        assert run_guichet("import", str(FEED), env=env, cwd=tmp_path).returncode == 0
        with running_server(env, port=port, cwd=tmp_path) as server:
            server.graphql(REQUEST, {"email": "compta@acme.ci"})
            [link] = re.findall(
                rf"{re.escape(base_url)}/activate\?token=[A-Za-z0-9_\-]+",
                plain_text(mailbox.wait_for("compta@acme.ci")),
            )

            with chromium_page() as page:
                page.send("Page.navigate", {"url": link})
                page.wait_for("document.readyState === 'complete' && !!document.getElementById('guichet-link-form')")
                address = page.wait_for("location.search === '' && location.href")
                page.evaluate(
                    "document.getElementById('firstName').value = 'Kofi';"
                    f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                    f"document.getElementById('confirmation').value = {json.dumps(PASSWORD)};"
                    "document.querySelector('#guichet-link-form button[type=submit]').click()"
                )
                status = page.wait_for(
                    "document.getElementById('guichet-link-status').className.includes('success')"
                    " && document.getElementById('guichet-link-status').textContent"
                )
                errors = page.errors

            login = server.graphql(LOGIN, {"email": "compta@acme.ci", "password": PASSWORD})

    assert address == f"{base_url}/activate"  # the token left the address bar
    assert status.startswith("Your access is active.")
    assert errors == []  # no CSP violation, no script error
    assert login["data"]["login"] == {"session": {"viewer": {"firstName": "Kofi"}}, "errors": []}

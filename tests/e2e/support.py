"""Real processes for end-to-end tests: the `guichet` command, a server on a free port, a local SMTP sink.

Every server started here is stopped when its context ends, whatever the test did.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
GUICHET = Path(sys.executable).parent / "guichet"
SECRET_KEY = "e2e-secret-key-0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "e2e-webhook-secret"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def guichet_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a production-like Guichet process: explicit secrets, no demo mode."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(
        {
            "GUICHET_DATABASE_URL": database_url,
            "GUICHET_SECRET_KEY": SECRET_KEY,
            "GUICHET_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "GUICHET_PUBLIC_URL": "http://guichet.e2e",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def run_guichet(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `guichet` command to completion and return its exit status and output."""
    return subprocess.run(
        [str(GUICHET), *args],
        env=dict(env),
        cwd=str(cwd or REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Server:
    """A running `guichet serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """POST a GraphQL document; fail with the server's log when the answer is not 200."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.base_url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
        )
        assert response.status_code == 200, f"{response.status_code} {response.text}\n--- server log ---\n{self.log()}"
        body = response.json()
        body.pop("extensions", None)  # the cost every response carries (tests/api/test_cost*.py)
        return body


def wait_ready(base_url: str, process: subprocess.Popen[bytes], *, path: str = "/healthz", timeout: float = 60) -> None:
    """Poll `path` until it answers 200; raise if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"guichet serve exited with status {process.returncode}")
        try:
            if httpx.get(f"{base_url}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url}{path} did not answer 200 within {timeout} s")


def stop(process: subprocess.Popen[bytes], *, grace: float = 10) -> None:
    """Ask the server to stop (SIGTERM: uvicorn shuts down cleanly), kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


@contextlib.contextmanager
def running_server(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    cwd: Path | None = None,
    ready_timeout: float = 60,
) -> Iterator[Server]:
    """Start `guichet serve --port P [--workers N]`, wait for /healthz, and always stop it afterwards."""
    port = port or free_port()
    log_file = tempfile.NamedTemporaryFile(prefix="guichet-serve-", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log_file.name)
    process = subprocess.Popen(
        [str(GUICHET), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra_args],
        env=dict(env),
        cwd=str(cwd or REPO),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    log_file.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(base_url, process, timeout=ready_timeout)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}\n--- server log ---\n{log_path.read_text(errors='replace')}") from None
        yield Server(process, base_url, log_path)
    finally:
        stop(process)
        log_path.unlink(missing_ok=True)


@dataclass
class Mailbox:
    """What a local SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, *, timeout: float = 30) -> EmailMessage:
        """The first message to `to`; raise TimeoutError if none arrives in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages:
                    if to.lower() in str(message["To"]).lower():
                        return message
            time.sleep(0.2)
        raise TimeoutError(f"no e-mail to {to} within {timeout} s")


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a message, where OPERATIONS.md puts token links."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text/plain part"
    return str(part.get_content())


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on a free local port collecting every message; stopped afterwards."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@contextlib.contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own (so parallel runs never meet), dropped afterwards;
    the test is skipped when the suite runs without PostgreSQL."""
    import pytest
    from sqlalchemy.engine import make_url

    from tests.conftest import POSTGRES_URL, _pg_execute

    if not POSTGRES_URL:
        pytest.skip("GUICHET_TEST_POSTGRES_URL is not set")
    name = f"guichet_e2e_{label}_{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def migrated_database(label: str, folder: Path) -> Iterator[str]:
    """A fresh database migrated by `guichet db upgrade`, dropped afterwards: PostgreSQL when the
    suite has it, SQLite in `folder` otherwise."""
    from tests.conftest import POSTGRES_URL

    with contextlib.ExitStack() as stack:
        if POSTGRES_URL:
            database_url = stack.enter_context(postgres_database(label))
        else:
            database_url = f"sqlite+aiosqlite:///{folder / 'guichet.db'}"
        upgraded = run_guichet("db", "upgrade", env=guichet_env(database_url))
        assert upgraded.returncode == 0, upgraded.stderr
        yield database_url


@dataclass
class MailedServer:
    """A `guichet serve` process on a fresh migrated database, sending its e-mails to a local sink."""

    server: Server
    mailbox: Mailbox
    database_url: str
    env: dict[str, str]


@contextlib.contextmanager
def mailed_server(label: str, folder: Path, extra: Mapping[str, str] | None = None) -> Iterator[MailedServer]:
    """A server on `migrated_database(label, folder)` with GUICHET_SMTP_URL set to an SMTP sink."""
    with migrated_database(label, folder) as database_url, smtp_server() as (smtp_port, mailbox):
        env = guichet_env(database_url, {"GUICHET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", **(extra or {})})
        with running_server(env) as server:
            yield MailedServer(server, mailbox, database_url, env)

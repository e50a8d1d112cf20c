"""Shared fixtures: a fresh migrated database per test on SQLite (always) and PostgreSQL (when
GUICHET_TEST_POSTGRES_URL is set), the ASGI app on it, and a GraphQL client."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from guichet.domain.clock import FixedClock
from guichet.execution import executor as fast_execution
from guichet.migrate import upgrade
from guichet.server import create_app
from guichet.settings import Settings

# The differential test: every query the compiled executor answers during the suite is executed
# again by graphql-core and compared as JSON (guichet/execution/executor.py); any difference fails
# the test that sent it (fastpath_agrees below). Set here, before any app or server process starts.
os.environ.setdefault("GUICHET_FASTPATH_VERIFY", "1")

POSTGRES_URL = os.environ.get("GUICHET_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
TEST_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _pg_admin_url() -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_execute(sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) with a sync driver-free call."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(_pg_admin_url())
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    if not POSTGRES_URL:
        yield None
        return
    name = f"guichet_tpl_{uuid.uuid4().hex[:10]}"
    _pg_execute(f'CREATE DATABASE "{name}"')
    upgrade(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "guichet.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    assert POSTGRES_URL and postgres_template
    name = f"guichet_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        files_dir=str(tmp_path / "files"),
        secret_key="test-secret-key-0123456789abcdef0123456789",
        webhook_secret="test-webhook-secret",
        public_url="http://guichet.test",
        password_hash_profile="test",
        # Generous limits: the suite shares a small machine, and these tests are about behaviour,
        # not time (the limits themselves: tests/unit/test_execution_timeout.py, test_settings.py).
        request_timeout_seconds=60.0,
        statement_timeout_seconds=60.0,
    )


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[Any]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        # The outgoing-webhook loop would write behind the tests' backs (fan-out, overdue events):
        # tests that deliver drive its worker by hand (tests/factories_webhooks.manual_worker).
        state = application.state.guichet
        if state.webhook_loop is not None:
            await state.webhook_loop.stop()
            state.webhook_loop = None
        yield application


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as client:
        yield client


class GraphQLClient:
    """Posts GraphQL documents to the app, with an optional bearer token and language."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        lang: str | None = None,
        extensions: bool = False,
        status: int = 200,
    ) -> dict[str, Any]:
        """The response body; its `extensions` (the cost every response carries) only when asked."""
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if lang:
            headers["Accept-Language"] = lang
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == status, response.text
        body = response.json()
        if not extensions:
            body.pop("extensions", None)
        return body


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
def sessionmaker(app: Any) -> Any:
    return app.state.guichet.sessionmaker


@pytest.fixture(autouse=True)
def fastpath_agrees() -> Iterator[None]:
    """Fail the test if the compiled executor answered any of its queries unlike graphql-core."""
    fast_execution.MISMATCHES.clear()
    yield
    found = list(fast_execution.MISMATCHES)
    fast_execution.MISMATCHES.clear()
    assert not found, f"compiled execution differs from graphql-core: {found}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The compiled executor's coverage over the queries this run sent (in this process)."""
    requests: dict[str, int] = {}
    documents: dict[str, set[str]] = {}
    for (text, outcome), count in fast_execution.COVERAGE.items():
        kind = outcome if outcome == "fast" else outcome.split(":")[0]
        requests[kind] = requests.get(kind, 0) + count
        documents.setdefault(text, set()).add(kind)
    total = sum(requests.values())
    if not total:
        return
    reasons = sorted(
        {o for (_, o), c in fast_execution.COVERAGE.items() if c and o != "fast"},
    )
    terminalreporter.write_line(
        f"compiled execution: {requests.get('fast', 0)} of {total} query requests answered by their plan "
        f"({requests.get('fallback', 0)} re-executed by graphql-core after an error, "
        f"{requests.get('unsupported', 0)} not covered); "
        f"{sum(1 for kinds in documents.values() if 'fast' in kinds)} of {len(documents)} documents planned; "
        f"why not: {', '.join(reasons) or '-'}"
    )

"""The policy runtime for the app's lifetime: the enforcer, its watcher and template refresh.

start() runs in the app's lifespan (guichet/hooks.py): it loads the role templates from
casbin_rule through the adapter, builds the PolicyEngine and the runtime (AppState.enforcer and
AppState.policy_runtime), and on PostgreSQL starts the LISTEN/NOTIFY watcher.

Staleness bounds: the rules of a contact are re-read from the database before every request's
first decision about it (they ride on the membership lookup), so a missed notification never
leaves a revoked contact allowed (bound: 0 s). Watcher messages refresh the contacts a process
holds as soon as they arrive; template rows are re-checked every TEMPLATE_CHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from guichet.db import asyncpg_dsn
from guichet.policies.engine import PolicyEngine
from guichet.policies.store import load_access, load_key_access, load_templates, template_fingerprint
from guichet.policies.watcher import PostgresWatcher

log = logging.getLogger("guichet.policies")

TEMPLATE_CHECK_SECONDS = 15.0


class PolicyRuntime:
    """Applies announced changes to the engine, incrementally, from the database's rows."""

    def __init__(self, engine: PolicyEngine, sessionmaker: async_sessionmaker[AsyncSession], db_engine: object) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.db_engine = db_engine
        self.watcher: PostgresWatcher | None = None
        self.messages_applied = 0
        self._templates_seen: tuple[int, int] | None = None

    async def refresh_contacts(self, contact_ids: list[int]) -> None:
        """Re-read the named contacts this process holds and replace their rules."""
        held = [c for c in contact_ids if self.engine.holds(c) is not None]
        if not held:
            return
        async with self.sessionmaker() as session:
            access = await load_access(session, held)
        for contact_id in held:
            if contact_id in access:
                self.engine.sync(access[contact_id])
            else:
                self.engine.forget(contact_id)

    async def refresh_keys(self, key_ids: list[int]) -> None:
        """Re-read the named API keys this process holds; a revoked or expired key loses its rules."""
        held = [k for k in key_ids if self.engine.holds(k, "k") is not None]
        if not held:
            return
        async with self.sessionmaker() as session:
            access = await load_key_access(session, held, datetime.now(UTC))
        for key_id in held:
            if key_id in access:
                self.engine.sync(access[key_id])
            else:
                self.engine.forget(key_id, "k")

    async def refresh_templates(self) -> None:
        templates = await load_templates(self.db_engine)  # type: ignore[arg-type]
        self.engine.replace_templates(templates)
        async with self.sessionmaker() as session:
            self._templates_seen = await template_fingerprint(session)

    async def check_templates(self) -> None:
        """Reload the templates when casbin_rule changed since they were read (missed notification)."""
        async with self.sessionmaker() as session:
            seen = await template_fingerprint(session)
        if seen != self._templates_seen:
            await self.refresh_templates()

    async def handle(self, payload: str) -> None:
        """Apply one watcher message: {"contacts": [ids], "keys": [ids], "templates": bool}."""
        message = json.loads(payload)
        contacts = [int(c) for c in message.get("contacts", [])]
        await self.refresh_contacts(contacts)
        await self.refresh_keys([int(k) for k in message.get("keys", [])])
        if message.get("templates"):
            await self.refresh_templates()
        self.messages_applied += 1

    async def resync(self) -> None:
        """After a lost connection: refresh everything this process holds."""
        await self.refresh_contacts(self.engine.held_contacts())
        await self.refresh_keys(self.engine.held_keys())
        await self.refresh_templates()


async def _every(seconds: float, action: Callable[[], Awaitable[None]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await action()
        except Exception:
            log.exception("periodic policy check failed")


async def start(
    database_url: str, db_engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[PolicyRuntime, Callable[[], Awaitable[None]]]:
    """Build the enforcer (runtime.engine) and its watcher; return the runtime and the closer stopping them."""
    templates = await load_templates(db_engine)
    if not templates:
        log.critical("casbin_rule holds no role template: every access will be refused (run `guichet db upgrade`)")
    engine = PolicyEngine(templates)
    runtime = PolicyRuntime(engine, sessionmaker, db_engine)
    async with sessionmaker() as session:
        runtime._templates_seen = await template_fingerprint(session)
    if db_engine.dialect.name == "postgresql":
        runtime.watcher = PostgresWatcher(asyncpg_dsn(database_url), runtime.handle, runtime.resync)
        await runtime.watcher.start()
    checker = asyncio.create_task(_every(TEMPLATE_CHECK_SECONDS, runtime.check_templates))

    async def stop() -> None:
        checker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checker
        if runtime.watcher is not None:
            await runtime.watcher.stop()

    return runtime, stop

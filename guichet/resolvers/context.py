"""The per-request Context every resolver receives."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from guichet.app_state import AppState
from guichet.db import fetch_first
from guichet.domain import models
from guichet.domain.clock import Clock
from guichet.domain.tokens import token_hash
from guichet.i18n import negotiate_locale
from guichet.logs import set_principal
from guichet.policies.authz import Authorizer, Decision
from guichet.policies.rules import ContactAccess
from guichet.policies.store import authenticate_key
from guichet.resolvers.loaders import Loaders
from guichet.settings import Settings

# The bearer token's live session and its person, built once with bound parameters (a request
# pays no statement construction), over the tables' columns: a Core statement, so no ORM compile
# state nor ORM object is built on every request.
_sessions, _persons = models.Session.__table__, models.Person.__table__
_VIEWER_STATEMENT = (
    select(_sessions.c.id, _persons.c.id, _persons.c.email, _persons.c.first_name, _persons.c.last_name)
    .join_from(_sessions, _persons, _persons.c.id == _sessions.c.person_id)
    .where(
        _sessions.c.token_hash == bindparam("token_hash"),
        _sessions.c.revoked_at.is_(None),
        _sessions.c.expires_at > bindparam("now"),
    )
)


@dataclass(frozen=True)
class SignedIn:
    """The signed-in person and the session that proved it."""

    person_id: int
    session_id: int
    email: str
    first_name: str | None
    last_name: str | None


# A bearer token starting so is an API key's secret (ACCESS.md rule 14), never a session token.
API_KEY_PREFIX = "gk_"
# lastUsedAt is written at most once a minute (OPERATIONS.md): one UPDATE a minute per busy key.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class KeyPrincipal:
    """The API key that authenticated this request: a principal of its organisation, no person."""

    api_key_id: int
    organisation_id: int
    name: str
    access: ContactAccess
    allowed_document_ids: tuple[str, ...] | None


Principal = SignedIn | KeyPrincipal


@dataclass
class Context:
    """One request: who asks, in which language, its read session, loaders and access decisions."""

    request: Request | None
    app: AppState
    locale: str
    request_id: str
    bearer_token: str | None
    # An Authorization header was sent (well-formed or not): if it signs no one in, the request is refused.
    has_authorization: bool = False
    loaders: Loaders = field(init=False)
    # What each field's declared permission decided, by the field's path (schema.permissions.decided).
    decisions: dict[tuple[str | int, ...], Decision] = field(default_factory=dict)
    _viewer_task: asyncio.Future[Principal | None] | None = None
    _read_session: AsyncSession | None = None
    _read_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _authz: Authorizer | None = None
    # Filled by the request; read by the HTTP layer (e.g. Set-Cookie) when needed.
    response_headers: dict[str, str] = field(default_factory=dict)
    # The HTTP sub-response (status and headers strawberry copies to the answer); None over WebSocket.
    http_response: Any = None
    # The operation's price and the principal's bucket after its debit (schema/cost.py).
    cost: Any = None
    # The graphql-transport-ws connection_init payload (strawberry sets it on subscription sockets).
    connection_params: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def clock(self) -> Clock:
        return self.app.clock

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return self.app.sessionmaker

    def now(self) -> datetime:
        return self.app.clock.now()

    @property
    def client_ip(self) -> str | None:
        """The client's address (a trusted proxy's X-Forwarded-For already applied by server.py), for throttles and logs."""
        request = self.request
        return request.client.host if request is not None and request.client is not None else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """The request's read session; one query at a time, since sibling fields run concurrently."""
        async with self._read_lock:
            if self._read_session is None:
                self._read_session = self.app.read_sessionmaker()
            yield self._read_session

    @asynccontextmanager
    async def uow(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: a fresh session in a transaction committed once, rolled back on error."""
        async with self.app.sessionmaker() as session, session.begin():
            yield session

    async def close(self) -> None:
        if self._read_session is not None:
            await self._read_session.close()
            self._read_session = None

    async def refresh(self) -> None:
        """Act as a new request (a subscription event on a long-lived socket): drop the read
        session, the loaders, the viewer and the memoised access decisions."""
        async with self._read_lock:
            if self._read_session is not None:
                await self._read_session.close()
                self._read_session = None
        self.loaders = Loaders(self)
        self.decisions.clear()
        self._authz = None
        self._viewer_task = None

    async def principal(self) -> Principal | None:
        """Who asks: the signed-in person or the API key of the bearer token (looked up once per request)."""
        if self._viewer_task is None:
            self._viewer_task = asyncio.ensure_future(self._load_viewer())
        return await asyncio.shield(self._viewer_task)

    async def viewer(self) -> SignedIn | None:
        """The signed-in person, from the bearer token's live session; None for an API key."""
        found = await self.principal()
        return found if isinstance(found, SignedIn) else None

    async def api_key(self) -> KeyPrincipal | None:
        """The API key of the bearer token, when it is a usable one."""
        found = await self.principal()
        return found if isinstance(found, KeyPrincipal) else None

    @property
    def presents_api_key(self) -> bool:
        """Whether the bearer token is shaped as an API key (a refused one answers UNAUTHENTICATED)."""
        return bool(self.bearer_token and self.bearer_token.startswith(API_KEY_PREFIX))

    async def _load_key(self, secret: str) -> KeyPrincipal | None:
        """The usable key of this secret (fresh every request: a revocation anywhere holds at once)."""
        now = self.now()
        async with self.read() as session:
            found = await authenticate_key(session, token_hash(secret), now)
        if found is None:
            return None
        key, access = found
        last = key.last_used_at
        if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
            async with self.uow() as session:
                await session.execute(update(models.ApiKey).where(models.ApiKey.id == key.id).values(last_used_at=now))
        allowed = tuple(key.allowed_document_ids) if key.allowed_document_ids is not None else None
        set_principal(f"api_key:{key.id}")
        return KeyPrincipal(key.id, key.organisation_id, key.name, access, allowed)

    async def _load_viewer(self) -> Principal | None:
        if not self.bearer_token:
            return None
        if self.presents_api_key:
            return await self._load_key(self.bearer_token)
        parameters = {"token_hash": token_hash(self.bearer_token), "now": self.now()}
        try:
            async with self.read() as session:
                row = await fetch_first(session, _VIEWER_STATEMENT, parameters)
        except DBAPIError as error:
            # The request's first statement met a connection PostgreSQL dropped (a restart): SQLAlchemy
            # has just invalidated the pool, so retry once on a fresh connection rather than fail.
            if not error.connection_invalidated:
                raise
            await self.close()
            async with self.read() as session:
                row = (await session.execute(_VIEWER_STATEMENT, parameters)).first()
        if row is None:
            return None
        session_id, person_id, email, first_name, last_name = row
        set_principal(f"person:{person_id}")
        return SignedIn(person_id, session_id, email, first_name, last_name)

    @property
    def authz(self) -> Authorizer:
        """The request's Authorizer, over the app's policy engine."""
        if self._authz is None:
            self._authz = Authorizer(self, self.app.policy_engine)
        return self._authz

    async def credentials_refused(self) -> bool:
        """True when the request sent an Authorization header that signs no one in: a malformed
        header, or a bearer that is unknown, expired or ended. No header at all is anonymous, not refused."""
        return self.has_authorization and await self.principal() is None

    def invalidate_viewer(self) -> None:
        self._viewer_task = None

    def sign_in_as(self, viewer: SignedIn) -> None:
        """The rest of this operation runs as `viewer` (just signed in by login or activateAccount),
        so fields under the returned session (viewer.organisations.me ...) see its memberships."""
        future: asyncio.Future[Principal | None] = asyncio.get_running_loop().create_future()
        future.set_result(viewer)
        set_principal(f"person:{viewer.person_id}")
        self._viewer_task = future
        self._authz = None


def bearer_from_header(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def build_context(app_state: AppState, request: Request | None, *, headers: dict[str, str]) -> Context:
    return Context(
        request=request,
        app=app_state,
        locale=negotiate_locale(headers.get("accept-language")),
        request_id=headers.get("x-request-id") or uuid.uuid4().hex,
        bearer_token=bearer_from_header(headers.get("authorization")),
        has_authorization="authorization" in headers,
    )


Info = strawberry.Info[Context, None]

"""The Starlette application: create_app(settings) wires routes, lifespan and the request context."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types.unset import UNSET
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from guichet.app_state import AppState
from guichet.db import create_engine, read_session_factory, session_factory
from guichet.domain import support
from guichet.domain.clock import Clock, SystemClock
from guichet.domain.gateways.bank_transfer import SandboxBankTransferGateway
from guichet.domain.invoices.pdf import FpdfInvoiceRenderer
from guichet.domain.passwords import PasswordHashing
from guichet.domain.payments import Gateways
from guichet.events import make_broker
from guichet.hooks import start_all, stop_all
from guichet.logs import install_context_fields
from guichet.rate_limits import make_buckets
from guichet.resolvers.context import Context, build_context
from guichet.schema.schema import build_schema
from guichet.settings import Settings
from guichet.web import contracts as contract_routes
from guichet.web import downloads, health, links, request_json, static, webhooks
from guichet.web import exports as export_routes
from guichet.web import metrics as metrics_routes
from guichet.web import orders as order_routes
from guichet.web import service_requests as service_request_routes
from guichet.web.metrics import Metrics
from guichet.web.middleware import GuichetHTTPMiddleware
from guichet.web.static import graphiql_page

log = logging.getLogger("guichet")
security_log = logging.getLogger("guichet.security")


class CredentialsRefused(Exception):
    """The request's Authorization header holds no live session."""

    def __init__(self, locale: str) -> None:
        super().__init__("credentials refused")
        self.locale = locale

    def response(self) -> Response:
        from guichet.i18n import render

        body = {
            "errors": [{"message": render("bearer_invalid", self.locale), "extensions": {"code": "UNAUTHENTICATED"}}]
        }
        return Response(
            orjson.dumps(body),
            status_code=401,
            media_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )


class TextFrameWebSocket(ASGIWebSocketAdapter):
    """Send every graphql-transport-ws message as a text frame, as the protocol requires.

    Strawberry sends bytes as binary frames, and our orjson encoder returns bytes: Python clients
    accept either, but graphql-ws (Apollo Client's) drops binary frames ("Message is missing the
    'type' property").
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GuichetGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Guichet's per-request context."""

    websocket_adapter_class = TextFrameWebSocket  # type: ignore[assignment]

    def __init__(self, app_state: AppState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app_state = app_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer HEAD like GET (Strawberry refuses it with 405); the middleware drops the body."""
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> bytes:
        """orjson: the same JSON as the standard library's, several times faster for large pages."""
        return orjson.dumps(data)

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's parsing, keeping a POST's `documentId` (GraphQL over HTTP) in the extensions."""
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and data.query is None and request.method == "POST":
            body = self.parse_json(await request.get_body())
            if isinstance(body, dict) and isinstance(body.get("documentId"), str):
                data = dataclasses.replace(
                    data, extensions={**(data.extensions or {}), "documentId": body["documentId"]}
                )
        return data

    def decode_json(self, data: str | bytes) -> object:
        """Strict and bounded (web/request_json.py); also reads graphql-transport-ws messages."""
        return request_json.decode(data)

    def parse_json(self, data: str | bytes) -> Any:
        """A request body or query parameter; 400 with a clear message when malformed (web/request_json.py)."""
        return request_json.parse(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        headers = {k.lower(): v for k, v in request.headers.items()}
        context = build_context(self.app_state, request if isinstance(request, Request) else None, headers=headers)
        if isinstance(response, Response):
            context.http_response = response  # status 429 and RateLimit headers (schema/cost.py)
        if isinstance(request, Request) and await context.credentials_refused():
            await context.close()
            security_log.warning(
                "auth.bearer.refused",
                extra={
                    "event": "auth.bearer.refused",
                    "ip": context.client_ip or "-",
                    "request_id": context.request_id,
                },
            )
            raise CredentialsRefused(context.locale)
        return context

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Answer 401 to any HTTP operation whose Authorization header signs no one in (so a client can
        tell "not signed in" from "nothing there"); sockets refuse such a bearer in connection_init."""
        try:
            return await super().run(request, context, root_value)
        except CredentialsRefused as refused:
            return refused.response()

    async def on_ws_connect(self, context: Context) -> Any:
        """Authenticate a subscription socket: the bearer in connection_init's payload
        ({"Authorization": "Bearer <token>"}) or on the upgrade request; refuse it (4403) otherwise."""
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        from guichet.i18n import negotiate_locale
        from guichet.resolvers.context import bearer_from_header

        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if isinstance(authorization, str) and authorization:
            context.bearer_token = bearer_from_header(authorization)
            context.invalidate_viewer()
        language = params.get("Accept-Language") or params.get("accept-language")
        if isinstance(language, str) and language:
            context.locale = negotiate_locale(language)
        try:
            if await context.viewer() is None:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        finally:
            await context.close()
        return UNSET

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our offline GraphiQL page (strawberry's loads from a CDN); only reached when graphiql is on."""
        return graphiql_page(request.url.path)


def area_routes() -> list[BaseRoute]:
    """The HTTP routes beside /graphql: health, static assets, metrics, PDF downloads, payment and
    support webhooks, e-mailed link pages, service-request attachments."""
    return [
        *health.routes(),
        *static.routes(),
        *metrics_routes.routes(),
        *downloads.routes(),
        *webhooks.routes(),
        *links.routes(),
        *service_request_routes.routes(),
        *order_routes.routes(),
        *contract_routes.routes(),
        *export_routes.routes(),
    ]


def build_state(settings: Settings, clock: Clock | None = None) -> AppState:
    """Every collaborator that needs no I/O; the lifespan starts the rest (start_all).

    Raise SettingsError (one line) when GUICHET_SUPPORT_CHANNELS is malformed.
    """
    engine = create_engine(settings.database_url, statement_timeout_seconds=settings.statement_timeout_seconds)
    return AppState(
        settings=settings,
        engine=engine,
        sessionmaker=session_factory(engine),
        read_sessionmaker=read_session_factory(engine),
        clock=clock or SystemClock(),
        passwords=PasswordHashing(settings.password_hash_profile),
        gateways=Gateways(bank_transfer=SandboxBankTransferGateway(settings.bank_transfer_account)),
        broker=make_broker(settings),
        support_channels=tuple(support.load_channels(settings)),
        metrics=Metrics(),
        pdf_renderer=FpdfInvoiceRenderer(),
        buckets=make_buckets(settings.database_url, settings.redis_url, settings.rate_capacity, settings.rate_restore),
    )


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The application. Raise SettingsError (one line) when GUICHET_SUPPORT_CHANNELS is malformed."""
    install_context_fields()
    state = build_state(settings, clock)
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_selections=settings.max_selections,
        introspection=settings.introspection,
        fast_path=settings.fast_path,
        max_cost=settings.max_query_cost,
        request_timeout=settings.request_timeout_seconds,
        trusted_documents=settings.trusted_documents,
    )
    # Queries over GET stay allowed (OPERATIONS.md; bearer tokens, not cookies, so no CSRF through
    # GET); strawberry refuses mutations over GET, JSON arrays (batching off) and non-JSON POST bodies.
    graphql = GuichetGraphQL(
        state,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
        multipart_uploads_enabled=False,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        closers = await start_all(state)
        try:
            yield
        finally:
            await stop_all(closers)
            await state.engine.dispose()

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *area_routes(),
    ]
    guard = Middleware(
        GuichetHTTPMiddleware,
        max_body_bytes=settings.max_body_bytes,
        metrics=state.metrics,
        routes=routes,
        hsts=settings.public_url.startswith("https://"),
        body_limits=[service_request_routes.UPLOAD_BODY_LIMIT],
    )
    middleware = [guard]
    if settings.forwarded_allow_ips:
        # Outermost, so throttles, logs and the request id all see the client behind the trusted proxy.
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.guichet = state
    app.state.schema = schema
    return app

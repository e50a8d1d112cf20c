"""The Starlette application: create_app(settings) wires routes, lifespan and the request context."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from guichet.app_state import AppState
from guichet.db import create_engine, session_factory
from guichet.domain.clock import Clock, SystemClock
from guichet.domain.passwords import PasswordHashing
from guichet.hooks import start_all, stop_all
from guichet.resolvers.context import Context, build_context
from guichet.schema.schema import build_schema
from guichet.settings import Settings

log = logging.getLogger("guichet")


class GuichetGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with Guichet's per-request context."""

    def __init__(self, app_state: AppState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app_state = app_state

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return build_context(self.app_state, request if isinstance(request, Request) else None, headers=headers)


# Each module's routes() adds its HTTP routes; a module not written yet is skipped.
ROUTE_MODULES = (
    "guichet.web.health",
    "guichet.web.static",
    "guichet.web.metrics",
    "guichet.web.downloads",
    "guichet.web.webhooks",
)


def area_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module_name in ROUTE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        routes.extend(module.routes())
    return routes


def build_state(settings: Settings, clock: Clock | None = None) -> AppState:
    engine = create_engine(settings.database_url)
    return AppState(
        settings=settings,
        engine=engine,
        sessionmaker=session_factory(engine),
        clock=clock or SystemClock(),
        passwords=PasswordHashing(settings.password_hash_profile),
    )


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    state = build_state(settings, clock)
    schema = build_schema(
        max_depth=settings.max_query_depth, max_aliases=settings.max_aliases, max_tokens=settings.max_tokens
    )
    graphql = GuichetGraphQL(
        state,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
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
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.guichet = state
    app.state.schema = schema
    return app

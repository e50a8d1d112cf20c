"""The HTTP guard in front of every route: request id, body size limit, security headers, metrics,
and a last-resort handler that masks unexpected exceptions.

One pure-ASGI middleware (no BaseHTTPMiddleware: it would buffer responses and break streaming):

- X-Request-Id: a well-formed incoming id is kept, anything else is replaced by a fresh one; the
  id is written back into the request headers so the GraphQL Context reads the same one, and echoed
  on the response (SEC-16 correlation).
- Body limit (SEC-04): a Content-Length over the limit answers 413 at once; otherwise the body is
  read (counting bytes) before the app runs, and 413 as soon as it passes the limit, so nothing is
  ever parsed from an oversized request, chunked or not.
- Security headers (SEC-38): nosniff, no-referrer, X-Frame-Options DENY, a restrictive CSP unless
  the route set its own (the GraphiQL page does), Cache-Control no-store unless the route set one,
  HSTS when the public URL is https.
- HEAD: answered like GET by the routes, with the body dropped here.
- Unexpected exceptions: logged with the request id; the client gets a JSON 500 with only
  "Unexpected error." and the request id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guichet import logs
from guichet.logs import bind_request, unbind_request
from guichet.web.metrics import Metrics

log = logging.getLogger("guichet.http")

REQUEST_ID_HEADER = "x-request-id"
# Accepting any caller-supplied id would let clients inject text into our logs.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
UNMATCHED_ROUTE = "unmatched"


def request_id_of(scope: Scope) -> str | None:
    """The request id the middleware gave this request (None outside it)."""
    state = scope.get("state") or {}
    value = state.get("request_id") if isinstance(state, dict) else getattr(state, "request_id", None)
    return value if isinstance(value, str) else None


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


class GuichetHTTPMiddleware:
    """See the module docstring. `routes` gives route templates for metric labels."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: Metrics | None = None,
        routes: Sequence[BaseRoute] = (),
        hsts: bool = False,
        body_limits: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (method, path prefix, limit): routes that take more than the default (file uploads).
        self.body_limits = tuple(body_limits)
        self.metrics = metrics
        self.routes = routes
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        scope["headers"] = [(k, v) for k, v in scope.get("headers", ()) if k != b"x-request-id"] + [
            (b"x-request-id", request_id.encode("ascii"))
        ]
        scope.setdefault("state", {})["request_id"] = request_id
        bound = bind_request(request_id)  # every log line of this request carries its id
        try:
            await self._handle(scope, receive, send, request_id)
        finally:
            unbind_request(bound)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        outcome = {"status": 500, "started": False}

        head = scope["method"] == "HEAD"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                outcome["started"] = True
                self._add_headers(MutableHeaders(scope=message), request_id)
            elif head and message["type"] == "http.response.body" and message.get("body"):
                # HEAD: GET's headers (Content-Length included), no body.
                message = {**message, "body": b""}
            await send(message)

        try:
            replay = await self._read_body(scope, receive, send_with_headers)
            if replay is not None:
                await self.app(scope, replay, send_with_headers)
        except Exception:
            log.exception(
                "unexpected error request_id=%s %s %s", request_id, scope["method"], logs.redact(scope["path"])
            )
            if outcome["started"]:
                raise
            await _json(send_with_headers, 500, {"error": "Unexpected error.", "requestId": request_id})
        finally:
            if self.metrics is not None:
                self.metrics.http_request(
                    scope["method"], self._route(scope), int(outcome["status"]), time.perf_counter() - started
                )

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Read the whole body within the limit and return a receive that replays it.

        Return None when the request was answered here (413 or 400) or the client went away.
        """
        limit = self.max_body_bytes
        for method, prefix, larger in self.body_limits:
            if scope["method"] == method and scope["path"].startswith(prefix):
                limit = larger
                break
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _json(send, 400, {"error": "Invalid Content-Length."})
                    return None
                break
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return None
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body.extend(message.get("body", b""))
            if len(body) > limit:
                await _too_large(send, limit)
                return None
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        return replay

    def _add_headers(self, headers: MutableHeaders, request_id: str) -> None:
        headers["X-Request-Id"] = request_id
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        if "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = API_CSP
        if "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"
        if self.hsts:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    def _route(self, scope: Scope) -> str:
        """The matched route's template (bounded label values), or "unmatched"."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                return getattr(route, "path", UNMATCHED_ROUTE)
        return UNMATCHED_ROUTE


async def _too_large(send: Send, limit: int) -> None:
    await _json(send, 413, {"error": f"Request body larger than {limit} bytes."})


async def _json(send: Send, status: int, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""GET /metrics in Prometheus text format: HTTP requests by route and status, GraphQL operations.

Each app owns its CollectorRegistry (tests build many apps in one process; a global registry would
refuse to register the same metric twice). Under `guichet serve --workers N` every worker process
counts on its own, so one scrape sees one worker only — unless PROMETHEUS_MULTIPROC_DIR names an
empty, writable folder before start-up: prometheus-client then writes each worker's values there
and /metrics aggregates all workers (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import re

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Operation names come from clients: only well-formed ones, and a bounded number of them, become
# label values, so a client cannot blow up the registry with random names.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_NAMES = 200
OUTCOMES = ("ok", "error", "invalid")


class Metrics:
    """The app's metrics; `http_request()` and `graphql_operation()` record, `render()` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "guichet_http_requests",
            "HTTP requests by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "guichet_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ("method", "route"),
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.graphql_operations = Counter(
            "guichet_graphql_operations",
            "GraphQL operations by name, type and outcome (ok, error: executed with errors, invalid: "
            "refused before execution).",
            ("operation", "type", "outcome"),
            registry=self.registry,
        )
        self._names: set[str] = set()

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def graphql_operation(self, name: str | None, operation_type: str, outcome: str) -> None:
        self.graphql_operations.labels(self._operation_label(name), operation_type, outcome).inc()

    def _operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "invalid_name"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


async def metrics(request: Request) -> Response:
    found: Metrics = request.app.state.guichet.metrics
    return Response(found.render(), media_type=CONTENT_TYPE_LATEST)


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET"])]

"""GraphiQL that works offline: our own page and its scripts and styles, served by Guichet itself.

Strawberry's built-in page loads React and GraphiQL from a CDN; deployments without internet access
(OPERATIONS.md) would get a blank page. server.py's view renders `graphiql_page()` instead, and the
files under assets/ are served from /graphiql/assets/<name>. With Settings.graphiql off both answer 404.
"""

from __future__ import annotations

import html
from functools import cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from guichet.web.asset_files import ASSETS_DIR, asset_response

ASSETS_PREFIX = "/graphiql/assets"
# The only files served: a closed list, so no path ever reaches the file system from the URL.
ASSET_TYPES = {
    "graphiql.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.css": "text/css; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
    "guichet-graphiql.js": "text/javascript; charset=utf-8",
    "NOTICE.txt": "text/plain; charset=utf-8",
}
# The page runs only our own scripts (no inline script, no eval); GraphiQL sets inline styles and
# embeds its fonts and icons as data: URLs; queries go to the same origin.
GRAPHIQL_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


@cache
def _page_template() -> str:
    return (ASSETS_DIR / "graphiql.html").read_text(encoding="utf-8")


def graphiql_page(endpoint: str = "/graphql") -> HTMLResponse:
    """The GraphiQL page for `endpoint`, with a CSP that lets only our own assets run."""
    body = _page_template().replace("{assets}", ASSETS_PREFIX).replace("{endpoint}", html.escape(endpoint))
    return HTMLResponse(body, headers={"Content-Security-Policy": GRAPHIQL_CSP, "Cache-Control": "no-store"})


async def asset(request: Request) -> Response:
    """Serve one GraphiQL asset; 404 for any other name or when GraphiQL is turned off."""
    if not request.app.state.guichet.settings.graphiql:
        return PlainTextResponse("Not Found", status_code=404)
    return asset_response(request, ASSET_TYPES)


def routes() -> list[Route]:
    return [Route(ASSETS_PREFIX + "/{name}", asset, methods=["GET", "HEAD"])]

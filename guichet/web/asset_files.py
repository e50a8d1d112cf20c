"""Guichet's own static files (GraphiQL, the e-mailed link pages): read once, served with an ETag.

Each caller names the files it serves and their media types; any other name is a 404, so no path
from the URL ever reaches the file system.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

ASSETS_DIR = Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def read_asset(name: str, media_type: str) -> Asset:
    """The file `name` of the assets folder, read once per process."""
    body = (ASSETS_DIR / name).read_bytes()
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def asset_response(request: Request, types: Mapping[str, str]) -> Response:
    """The asset the route's `name` parameter names when it is one of `types`; 404 otherwise."""
    name = request.path_params["name"]
    media_type = types.get(name)
    if media_type is None:
        return PlainTextResponse("Not Found", status_code=404)
    found = read_asset(name, media_type)
    headers = {"ETag": found.etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)

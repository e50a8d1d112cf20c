"""GET /contracts/schedule/<token>.csv|.pdf and /contracts/document/<token>.pdf: contract files.

The signed link (guichet.domain.contracts.files) is the only credential: it was minted for a
viewer with CONTRACTS READ and EXPORT and carries the scope that viewer had; it expires five
minutes later. A tampered, expired or malformed link answers the same bare 403.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from guichet.app_state import AppState
from guichet.domain.contracts import files
from guichet.i18n import negotiate_locale

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
_TYPES = {files.CSV: "text/csv; charset=utf-8", files.PDF: "application/pdf"}


def _refused() -> Response:
    return PlainTextResponse("Forbidden", status_code=403, headers=_NO_STORE)


def _file(content: bytes, file_format: str, name: str) -> Response:
    filename = _SAFE_FILENAME.sub("_", name) + "." + file_format.lower()
    return Response(
        content,
        media_type=_TYPES[file_format],
        headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def download_schedule(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    extension = request.path_params["ext"].upper()
    grant = files.verify_schedule(state.settings.secret_key, request.path_params["token"], state.clock.now())
    if grant is None or grant.file_format != extension or extension not in _TYPES:
        return _refused()
    async with state.sessionmaker() as session:
        organisation_name, entries = await files.load_schedule(session, grant, state.clock.today())
    if extension == files.CSV:
        return _file(files.schedule_csv(entries), files.CSV, "billing-schedule")
    locale = negotiate_locale(request.headers.get("accept-language"))
    content = await run_in_threadpool(files.schedule_pdf, organisation_name, entries, locale)
    return _file(content, files.PDF, "billing-schedule")


async def download_document(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    grant = files.verify_document(state.settings.secret_key, request.path_params["token"], state.clock.now())
    if grant is None:
        return _refused()
    async with state.sessionmaker() as session:
        document = await files.load_document(session, grant[0], grant[1], state.clock.today())
    if document is None:
        return _refused()
    locale = negotiate_locale(request.headers.get("accept-language"))
    content = await run_in_threadpool(files.contract_pdf, document, locale)
    return _file(content, files.PDF, document.contract.number)


def routes() -> list[Route]:
    return [
        Route("/contracts/schedule/{token}.{ext}", download_schedule, methods=["GET"]),
        Route("/contracts/document/{token}.pdf", download_document, methods=["GET"]),
    ]

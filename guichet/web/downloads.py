"""GET /invoices/<token>.pdf: an invoice PDF for whoever holds a valid signed link.

The link (guichet.domain.invoices.links) is the only credential: it was minted for a viewer
allowed to export that invoice and expires five minutes later. A tampered, expired or
malformed link, or one naming an invoice that no longer exists, answers the same bare 403.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from guichet.app_state import AppState
from guichet.domain.invoices import links
from guichet.domain.invoices.pdf import load_document
from guichet.i18n import negotiate_locale

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _refused() -> Response:
    return PlainTextResponse("Forbidden", status_code=403, headers=_NO_STORE)


async def download_invoice(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    invoice_id = links.verify(state.settings.secret_key, request.path_params["token"], state.clock.now())
    if invoice_id is None:
        return _refused()
    async with state.sessionmaker() as session:
        document = await load_document(session, invoice_id, state.clock.today())
    if document is None:
        return _refused()
    locale = negotiate_locale(request.headers.get("accept-language"))
    content = await run_in_threadpool(state.pdf_renderer.render, document, locale)
    filename = _SAFE_FILENAME.sub("_", document.number) + ".pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def routes() -> list[Route]:
    return [Route("/invoices/{token}.pdf", download_invoice, methods=["GET"])]

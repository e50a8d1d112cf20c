"""HTTP routes of service requests: the back-office webhook, attachment uploads and downloads.

- `POST /webhooks/back-office/service-requests`: signed like the payment webhooks (400 and
  nothing changed for a missing, wrong or stale signature or a malformed body; 413 over 16 KiB);
  404 unknown number; 409 `{"code": "INVALID_STATUS_TRANSITION"}` and nothing changed for a
  status the request cannot move to; 200 when applied or replayed (same eventId).
- `PUT /uploads/<token>`: the announced file's bytes (403 unknown, expired or used link; 413
  over 10 MiB or the announced size; 415 a Content-Type or content other than announced; 400 a
  shorter body). 200 `{"attachmentId", "size", "contentType"}`.
- `GET /attachments/<token>`: the file a signed link names, only from that link's organisation;
  anything else is a bare 403.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from guichet.app_state import AppState
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.service_requests import attachments, links
from guichet.domain.service_requests.files import FileStore
from guichet.domain.service_requests.services import apply_support_event
from guichet.domain.service_requests.webhook import parse_support_event
from guichet.web.back_office import signed_event, unit_of_work

log = logging.getLogger("guichet.webhooks")

UPLOAD_PREFIX = "/uploads/"
# The middleware's body cap for uploads: the largest file allowed, not the 64 KiB of /graphql.
UPLOAD_BODY_LIMIT = ("PUT", UPLOAD_PREFIX, attachments.MAX_FILE_BYTES)
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
_UPLOAD_STATUS = {
    ErrorCode.TOKEN_INVALID: 403,
    ErrorCode.ATTACHMENT_TOO_LARGE: 413,
    ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED: 415,
}


def file_store(state: AppState) -> FileStore:
    """The attachments' store under GUICHET_FILES_DIR."""
    return FileStore(Path(state.settings.files_dir))


async def back_office_webhook(request: Request) -> JSONResponse:
    return await signed_event(
        request,
        what="service-request",
        parse=parse_support_event,
        apply=lambda uow, event, now: apply_support_event(uow, event=event, now=now),
        status_of=lambda outcome: outcome.request.status,
    )


async def upload(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    grant = links.verify(state.settings.secret_key, links.UPLOAD, request.path_params["token"], state.clock.now())
    if grant is None:
        return JSONResponse({"code": ErrorCode.TOKEN_INVALID.value}, status_code=403, headers=_NO_STORE)
    data = await request.body()
    try:
        stored = await attachments.store_upload(
            unit_of_work(state),
            store=file_store(state),
            grant=grant,
            declared_type=request.headers.get("content-type"),
            data=data,
            now=state.clock.now(),
        )
    except DomainError as error:
        return JSONResponse({"code": error.code.value}, status_code=_UPLOAD_STATUS.get(error.code, 400))
    return JSONResponse(
        {"attachmentId": to_global_id("Attachment", stored.id), "size": stored.size, "contentType": stored.content_type}
    )


async def download(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    grant = links.verify(state.settings.secret_key, links.DOWNLOAD, request.path_params["token"], state.clock.now())
    found = None
    if grant is not None:
        found = await attachments.readable_file(unit_of_work(state), store=file_store(state), grant=grant)
    if found is None:
        return PlainTextResponse("Forbidden", status_code=403, headers=_NO_STORE)
    attachment, data = found
    fallback = _SAFE_FILENAME.sub("_", attachment.filename)
    # RFC 6266: an ASCII fallback plus the UTF-8 name (« pièce jointe.pdf » stays readable).
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.filename, safe='')}"
    return Response(
        data,
        media_type=attachment.content_type,
        headers={**_NO_STORE, "Content-Disposition": disposition},
    )


def routes() -> list[Route]:
    return [
        Route("/webhooks/back-office/service-requests", back_office_webhook, methods=["POST"]),
        Route(UPLOAD_PREFIX + "{token}", upload, methods=["PUT"]),
        Route("/attachments/{token}", download, methods=["GET"]),
    ]

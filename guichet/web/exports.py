"""GET /exports/<token>: an export's file for whoever holds its signed link (valid 7 days).

The link (guichet.domain.reporting.links) names the organisation and the export; a tampered,
expired or malformed link, or one whose export is no longer COMPLETED (cancelled, removed),
answers the same bare 403. The file is streamed from disk, never read into memory; each download
is written to the audit trail (export.downloaded: the link is the credential, so no actor).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from guichet.app_state import AppState
from guichet.domain.audit import record_event
from guichet.domain.ids import to_global_id
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting import links, transitions
from guichet.domain.reporting.files import CONTENT_TYPES, ExportStore

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


async def download_export(request: Request) -> Response:
    state: AppState = request.app.state.guichet
    now = state.clock.now()
    grant = links.verify(state.settings.secret_key, request.path_params["token"], now)
    job = None
    if grant is not None:
        async with state.sessionmaker() as session:
            job = await session.get(ExportJob, grant.attachment_id)
    if (
        job is None
        or grant is None
        or job.organisation_id != grant.organisation_id
        or transitions.effective_status(job.status, job.url_expires_at, now) != transitions.COMPLETED
        or not job.file_name
    ):
        return PlainTextResponse("Forbidden", status_code=403, headers=_NO_STORE)
    path = ExportStore(Path(state.settings.files_dir)).path(job.organisation_id, job.file_name)
    if not path.is_file():
        return PlainTextResponse("Forbidden", status_code=403, headers=_NO_STORE)
    async with state.sessionmaker() as session, session.begin():
        await record_event(
            session,
            at=now,
            organisation_id=job.organisation_id,
            actor_contact_id=None,
            action="export.downloaded",
            subject_id=to_global_id("ExportJob", job.id),
            summary=f"Export {job.kind} ({job.format}) downloaded",
            data={"principal": job.principal},
        )
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[job.format],
        filename=job.file_name,
        headers={**_NO_STORE, "X-Content-SHA256": job.sha256 or ""},
    )


def routes() -> list[Route]:
    return [Route("/exports/{token}", download_export, methods=["GET"])]

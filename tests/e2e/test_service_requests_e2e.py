"""Service requests end to end: a real `guichet serve`, a real SMTP sink, the signed back-office
webhook, an upload and its download, and the close job as a real command."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from guichet.db import create_engine, session_factory
from guichet.domain.models.service_requests import ServiceRequest
from guichet.domain.payments.webhooks import signature_header
from guichet.domain.service_requests import links
from tests.e2e.support import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    MailedServer,
    mailed_server,
    plain_text,
    run_guichet,
)
from tests.factories_service_requests import PDF, SrWorld, announce, make_sr_world, open_request
from tests.factories_service_requests_gql import CREATE, UPLOAD, gid, incident_input

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailedServer]:
    folder = Path(tmp_path_factory.mktemp("e2e-sr"))
    with mailed_server("sr", folder, {"GUICHET_FILES_DIR": str(folder / "files")}) as setup:
        yield setup


async def _in_database(setup: MailedServer, work: Any) -> Any:
    engine = create_engine(setup.database_url)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def _webhook(client: httpx.AsyncClient, setup: MailedServer, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event).encode()
    return await client.post(
        f"{setup.server.base_url}/webhooks/back-office/service-requests",
        content=body,
        headers={
            "Guichet-Signature": signature_header(body, WEBHOOK_SECRET, int(time.time())),
            "Content-Type": "application/json",
        },
    )


async def test_a_question_from_the_back_office_reaches_the_creator_by_smtp(setup: MailedServer) -> None:
    now = datetime.now(UTC)

    async def given(sessions: Any) -> tuple[SrWorld, Any]:
        world = await make_sr_world(sessions)
        return world, await open_request(sessions, world, now=now)

    world, request = await _in_database(setup, given)
    async with httpx.AsyncClient(timeout=30) as client:
        moves = [
            await _webhook(client, setup, {"eventId": f"e2e-{request.number}-{i}", "number": request.number, **body})
            for i, body in enumerate(
                (
                    {"status": "ACKNOWLEDGED"},
                    {"status": "IN_PROGRESS"},
                    {"status": "AWAITING_CUSTOMER", "comment": "Quel est le modèle du terminal ?"},
                )
            )
        ]
        refused = await _webhook(client, setup, {"eventId": "e2e-bad", "number": request.number, "status": "SUBMITTED"})

    assert [m.status_code for m in moves] == [200, 200, 200], setup.server.log()
    assert refused.status_code == 400
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        asked = [
            m
            for m in setup.mailbox.messages
            if "En attente" in str(m["Subject"]) and request.number in str(m["Subject"])
        ]
        if asked:
            break
        await asyncio.sleep(0.2)
    assert asked, setup.server.log()
    assert "Quel est le modèle du terminal ?" in plain_text(asked[0])
    assert world.creator.email in str(asked[0]["To"])


async def test_an_uploaded_file_is_served_by_its_signed_link_only(setup: MailedServer) -> None:
    async def given(sessions: Any) -> Any:
        world = await make_sr_world(sessions)
        return world, await announce(sessions, world, now=datetime.now(UTC))

    world, upload = await _in_database(setup, given)
    base = setup.server.base_url
    token = links.sign(SECRET_KEY, links.UPLOAD, upload.grant, upload.expires_at)
    download = links.download_url(base, SECRET_KEY, upload.grant, datetime.now(UTC))
    async with httpx.AsyncClient(timeout=30) as client:
        put = await client.put(f"{base}/uploads/{token}", content=PDF, headers={"Content-Type": "application/pdf"})
        got = await client.get(download)
        forged = await client.get(download[:-2] + "AA")

    assert put.status_code == 200, setup.server.log()
    assert (got.status_code, got.content) == (200, PDF)
    assert forged.status_code == 403


async def test_the_close_job_closes_a_request_resolved_8_days_ago(setup: MailedServer) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=8)

    async def given(sessions: Any) -> Any:
        world = await make_sr_world(sessions)
        request = await open_request(sessions, world)
        async with sessions() as session, session.begin():
            await session.execute(
                update(ServiceRequest)
                .where(ServiceRequest.id == request.id)
                .values(status="RESOLVED", status_changed_at=long_ago, resolved_at=long_ago, resolution_code="fixed")
            )
        return request

    request = await _in_database(setup, given)

    result = run_guichet("jobs", "close-service-requests", env=setup.env)

    assert result.returncode == 0, result.stderr
    assert request.number in result.stdout


async def _graphql(client: httpx.AsyncClient, setup: MailedServer, token: str, query: str, variables: Any) -> Any:
    response = await client.post(
        f"{setup.server.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _local(setup: MailedServer, url: str) -> str:
    return url.replace("http://guichet.e2e", setup.server.base_url, 1)


async def _mail_about(setup: MailedServer, number: str, words: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [m for m in setup.mailbox.messages if words in str(m["Subject"]) and number in str(m["Subject"])]
        if found:
            return found[0]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no e-mail about {number}: {setup.server.log()}")


async def test_a_request_opened_over_graphql_with_a_file_is_answered_by_the_back_office(setup: MailedServer) -> None:
    world: SrWorld = await _in_database(setup, make_sr_world)
    token = world.creator.token
    async with httpx.AsyncClient(timeout=30) as client:
        upload = await _graphql(
            client,
            setup,
            token,
            UPLOAD,
            {
                "input": {
                    "organisationId": gid("Organisation", world.org.id),
                    "filename": "constat.pdf",
                    "contentType": "application/pdf",
                    "size": len(PDF),
                }
            },
        )
        ticket = upload["data"]["createAttachmentUpload"]
        # Links carry GUICHET_PUBLIC_URL (http://guichet.e2e); the server answers on its own port.
        put = await client.put(
            _local(setup, ticket["uploadUrl"]), content=PDF, headers={"Content-Type": "application/pdf"}
        )
        created = await _graphql(
            client, setup, token, CREATE, {"input": incident_input(world, attachmentIds=[ticket["attachmentId"]])}
        )
        request = created["data"]["createServiceRequest"]["serviceRequest"]
        asked = await _webhook(
            client,
            setup,
            {"eventId": f"e2e-gql-{request['number']}-1", "number": request["number"], "status": "ACKNOWLEDGED"},
        )
        download = await client.get(_local(setup, request["attachments"][0]["downloadUrl"]))

    assert put.status_code == 200, setup.server.log()
    assert created["data"]["createServiceRequest"]["errors"] == []
    assert (request["status"], request["attachments"][0]["filename"]) == ("SUBMITTED", "constat.pdf")
    assert asked.status_code == 200, setup.server.log()
    assert (download.status_code, download.content) == (200, PDF)
    mail = await _mail_about(setup, request["number"], "Prise en compte")
    assert world.creator.email in str(mail["To"])

"""POST /webhooks/back-office/service-requests: the operator moves requests; refusals and replays
change nothing (OPERATIONS.md, back-office webhooks)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import select

from guichet import events
from guichet.domain import models
from guichet.domain.models.service_requests import ServiceRequestComment, ServiceRequestStatusChange
from tests.conftest import TEST_NOW
from tests.factories_service_requests import (
    WEBHOOK_PATH,
    back_office,
    emails_to,
    force_status,
    make_sr_world,
    open_request,
    signed,
    snapshot,
    status_of,
)


async def test_acknowledging_moves_the_request_records_it_and_emails_the_creator(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    response = await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})

    assert response.status_code == 200
    assert response.json() == {"ok": True, "replayed": False, "status": "ACKNOWLEDGED"}
    stored = await status_of(sessionmaker, request.id)
    assert (stored.status, stored.responded_at) == ("ACKNOWLEDGED", TEST_NOW)
    async with sessionmaker() as session:
        history = (
            await session.execute(
                select(ServiceRequestStatusChange.status, ServiceRequestStatusChange.by_contact_id)
                .where(ServiceRequestStatusChange.service_request_id == request.id)
                .order_by(ServiceRequestStatusChange.id)
            )
        ).all()
        audit = (
            (
                await session.execute(
                    select(models.AuditEvent.action).where(models.AuditEvent.organisation_id == world.org.id)
                )
            )
            .scalars()
            .all()
        )
    assert [tuple(h) for h in history] == [("SUBMITTED", world.creator.contact_id), ("ACKNOWLEDGED", None)]
    assert audit == ["service_request.created", "service_request.status_changed"]
    emails = await emails_to(sessionmaker, world.creator.email)
    assert len(emails) == 1
    assert request.number in emails[0].subject
    assert "Prise en compte" in emails[0].body_text and "Acknowledged" in emails[0].body_text


async def test_a_status_the_request_cannot_reach_is_409_and_changes_nothing(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    before = await snapshot(sessionmaker)

    response = await back_office(
        http, {"number": request.number, "status": "RESOLVED", "resolution": {"code": "fixed", "summary": "ok"}}
    )

    assert response.status_code == 409
    assert response.json() == {"code": "INVALID_STATUS_TRANSITION"}
    assert await snapshot(sessionmaker) == before


async def test_a_final_request_refuses_every_status_with_409(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "CANCELLED", at=TEST_NOW)
    before = await snapshot(sessionmaker)

    answers = [
        (await back_office(http, {"number": request.number, "status": status, "reason": "r"})).status_code
        for status in ("ACKNOWLEDGED", "IN_PROGRESS", "AWAITING_CUSTOMER", "REJECTED", "CLOSED")
    ]

    assert answers == [409] * 5
    assert await snapshot(sessionmaker) == before


async def test_an_unknown_number_is_404_and_changes_nothing(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    await open_request(sessionmaker, world)
    before = await snapshot(sessionmaker)

    response = await back_office(http, {"number": "SR-00000000", "status": "ACKNOWLEDGED"})

    assert response.status_code == 404
    assert await snapshot(sessionmaker) == before


async def test_a_replayed_event_id_answers_200_and_changes_nothing(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    event = {"eventId": "bo-1", "number": request.number, "status": "ACKNOWLEDGED", "comment": "Nous regardons."}
    first = await back_office(http, event)
    after_first = await snapshot(sessionmaker)

    same = await back_office(http, event)
    re_signed_later = await back_office(http, event, at=TEST_NOW + timedelta(seconds=90))

    assert first.json()["replayed"] is False
    assert (same.status_code, re_signed_later.status_code) == (200, 200)
    assert same.json() == {"ok": True, "replayed": True, "status": "ACKNOWLEDGED"}
    assert await snapshot(sessionmaker) == after_first


async def test_forged_stale_or_missing_signatures_are_400_and_change_nothing(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    before = await snapshot(sessionmaker)
    event = {"eventId": "bo-2", "number": request.number, "status": "ACKNOWLEDGED"}

    forged = await back_office(http, event, secret="guess")
    stale = await back_office(http, event, at=TEST_NOW - timedelta(minutes=5, seconds=1))
    missing = await http.post(WEBHOOK_PATH, content=json.dumps(event).encode())
    body, headers = signed(event, at=TEST_NOW)
    altered = await http.post(WEBHOOK_PATH, content=body.replace(b"ACKNOWLEDGED", b"REJECTED"), headers=headers)

    assert [r.status_code for r in (forged, stale, missing, altered)] == [400, 400, 400, 400]
    assert await snapshot(sessionmaker) == before


async def test_resolved_needs_a_resolution_and_rejected_a_reason(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    before = await snapshot(sessionmaker)

    no_resolution = await back_office(http, {"number": request.number, "status": "RESOLVED"})
    no_reason = await back_office(http, {"number": request.number, "status": "REJECTED"})
    unknown_status = await back_office(http, {"number": request.number, "status": "SUBMITTED"})
    nothing = await back_office(http, {"number": request.number})

    assert [r.status_code for r in (no_resolution, no_reason, unknown_status, nothing)] == [400, 400, 400, 400]
    assert await snapshot(sessionmaker) == before


async def test_rejection_keeps_the_reason_and_is_final(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    response = await back_office(http, {"number": request.number, "status": "REJECTED", "reason": "Hors contrat"})

    stored = await status_of(sessionmaker, request.id)
    assert response.status_code == 200
    assert (stored.status, stored.rejection_reason, stored.closed_at) == ("REJECTED", "Hors contrat", TEST_NOW)


async def test_a_question_is_a_public_support_comment_and_pauses_the_clock(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)

    response = await back_office(
        http,
        {
            "number": request.number,
            "status": "AWAITING_CUSTOMER",
            "comment": "Pouvez-vous redémarrer le terminal ?",
            "authorName": "Awa, service client",
        },
    )

    assert response.status_code == 200
    stored = await status_of(sessionmaker, request.id)
    assert (stored.status, stored.paused_since) == ("AWAITING_CUSTOMER", TEST_NOW)
    async with sessionmaker() as session:
        comments = (
            await session.execute(
                select(
                    ServiceRequestComment.body,
                    ServiceRequestComment.author_name,
                    ServiceRequestComment.from_support,
                    ServiceRequestComment.author_contact_id,
                )
            )
        ).all()
    assert [tuple(c) for c in comments] == [("Pouvez-vous redémarrer le terminal ?", "Awa, service client", True, None)]
    [email] = await emails_to(sessionmaker, world.creator.email)
    assert "Pouvez-vous redémarrer le terminal ?" in email.body_text


async def test_a_comment_alone_is_kept_and_emailed_without_moving_the_request(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    response = await back_office(http, {"number": request.number, "comment": "Un technicien passe demain."})

    assert response.json() == {"ok": True, "replayed": False, "status": "SUBMITTED"}
    [email] = await emails_to(sessionmaker, world.creator.email)
    assert request.number in email.subject and "Un technicien passe demain." in email.body_text
    assert (await status_of(sessionmaker, request.id)).responded_at == TEST_NOW


async def test_the_back_office_resolves_with_a_resolution_and_closes(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    answers = [
        (await back_office(http, body)).status_code
        for body in (
            {"number": request.number, "status": "ACKNOWLEDGED"},
            {"number": request.number, "status": "IN_PROGRESS"},
            {
                "number": request.number,
                "status": "RESOLVED",
                "resolution": {"code": "fixed", "summary": "Relais remplacé"},
            },
            {"number": request.number, "status": "CLOSED"},
        )
    ]

    stored = await status_of(sessionmaker, request.id)
    assert answers == [200, 200, 200, 200]
    assert (stored.status, stored.resolution_code, stored.resolution_summary) == ("CLOSED", "fixed", "Relais remplacé")
    assert (stored.resolved_at, stored.closed_at) == (TEST_NOW, TEST_NOW)
    assert len(await emails_to(sessionmaker, world.creator.email)) == 4


async def test_a_move_is_published_to_the_organisations_subscribers(app, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    broker = app.state.guichet.broker

    async with broker.listen(events.service_requests_topic(world.org.id)) as queue:
        await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})
        message = await asyncio.wait_for(queue.get(), timeout=10)

    assert message == {"kind": "service_request", "id": request.id, "org": world.org.id}


async def test_the_same_event_delivered_three_times_at_once_is_applied_once(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    event = {"eventId": "bo-race", "number": request.number, "status": "ACKNOWLEDGED", "comment": "Reçu."}

    answers = await asyncio.gather(*(back_office(http, event) for _ in range(3)))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.json()["replayed"] for a in answers) == [False, True, True]
    after = await snapshot(sessionmaker)
    assert (after.events, after.comments, after.history, after.emails) == (1, 1, 2, 1)

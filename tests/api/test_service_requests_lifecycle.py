"""The customer's side of a service request: create, comment, cancel, confirm, reopen, and the job.

Services are called as the GraphQL mutations will call them; the back office moves requests
through its webhook.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from guichet.cli.main import cli
from guichet.domain.errors import DomainError
from guichet.domain.models.service_requests import ServiceRequestComment, ServiceRequestLine
from guichet.domain.service_requests import services
from guichet.domain.service_requests.categories import Category, categories_of, import_category_settings
from guichet.domain.service_requests.services import NewRequest
from tests.conftest import TEST_NOW
from tests.factories_service_requests import (
    back_office,
    emails_to,
    force_status,
    make_sr_world,
    open_request,
    snapshot,
    status_of,
    uow_of,
)


def _new(world: Any, **changes: Any) -> NewRequest:
    values: dict[str, Any] = {
        "category": Category.INCIDENT,
        "subject": "Ligne coupée",
        "description": "Plus d'appels entrants.",
        "idempotency_key": "k-1",
        "billing_account_id": world.account.id,
        "line_ids": (world.line.id,),
    }
    values.update(changes)
    return NewRequest(**values)


async def _create(sessionmaker: Any, world: Any, actor: Any = None, **changes: Any) -> services.Outcome:
    return await services.create_service_request(
        uow_of(sessionmaker), actor=actor or world.actor, new=_new(world, **changes), categories_file=None, now=TEST_NOW
    )


async def _refusal(call: Any) -> tuple[str, list[str] | None]:
    with pytest.raises(DomainError) as raised:
        await call
    return raised.value.code.value, raised.value.field


async def test_a_request_opens_submitted_with_a_number_lines_and_sla_due_dates(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)

    outcome = await _create(sessionmaker, world)

    request = outcome.request
    assert request.number.startswith("SR-") and len(request.number) == 11 and request.number[3:].isdigit()
    assert (request.status, request.billing_account_id, request.created_by_contact_id) == (
        "SUBMITTED",
        world.account.id,
        world.creator.contact_id,
    )
    assert (request.response_hours, request.resolution_hours) == (4, 24)
    async with sessionmaker() as session:
        lines = (await session.execute(select(ServiceRequestLine.line_id))).scalars().all()
    assert lines == [world.line.id]


async def test_the_same_idempotency_key_answers_the_same_request_once(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    first = await _create(sessionmaker, world)
    after_first = await snapshot(sessionmaker)

    again = await _create(sessionmaker, world)
    different = await _refusal(_create(sessionmaker, world, subject="Autre chose"))

    assert (again.request.id, again.replayed) == (first.request.id, True)
    assert different == ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    assert await snapshot(sessionmaker) == after_first


async def test_two_creations_at_once_under_one_key_make_one_request(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)

    outcomes = await asyncio.gather(*(_create(sessionmaker, world) for _ in range(4)))

    assert len({o.request.id for o in outcomes}) == 1
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]


async def test_validation_names_the_field_the_category_requires(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    before = await snapshot(sessionmaker)

    no_line = await _refusal(_create(sessionmaker, world, line_ids=()))
    no_invoice = await _refusal(
        _create(sessionmaker, world, category=Category.BILLING_CLAIM, line_ids=(), idempotency_key="k2")
    )
    no_subject = await _refusal(_create(sessionmaker, world, subject="  ", idempotency_key="k3"))

    assert no_line == ("VALIDATION", ["input", "lineIds"])
    assert no_invoice == ("VALIDATION", ["input", "invoiceId"])
    assert no_subject == ("VALIDATION", ["input", "subject"])
    assert await snapshot(sessionmaker) == before


async def test_lines_invoices_and_accounts_outside_the_scope_look_unknown(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    other = await make_sr_world(sessionmaker, name="Other")
    scoped = world.colleague_actor  # FINANCE over world.account only

    foreign_line = await _refusal(_create(sessionmaker, world, line_ids=(other.line.id,)))
    other_account = await _refusal(_create(sessionmaker, world, scoped, billing_account_id=world.other_account.id))
    no_account = await _refusal(
        _create(sessionmaker, world, scoped, category=Category.OTHER, billing_account_id=None, line_ids=())
    )
    foreign_invoice = await _refusal(
        _create(sessionmaker, world, category=Category.BILLING_CLAIM, line_ids=(), invoice_id=other.invoice.id)
    )

    assert foreign_line == ("NOT_FOUND", ["input", "lineIds", "0"])
    assert other_account == ("NOT_FOUND", ["input", "billingAccountId"])
    assert no_account == ("VALIDATION", ["input", "billingAccountId"])
    assert foreign_invoice == ("NOT_FOUND", ["input", "invoiceId"])


async def test_a_colleague_in_scope_acts_on_the_request_and_one_out_of_scope_cannot_see_it(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    elsewhere = services.Actor(world.org.id, world.colleague.contact_id, frozenset({world.other_account.id}))
    other_org = await make_sr_world(sessionmaker, name="Other")

    commented = await services.add_comment(
        uow_of(sessionmaker), actor=world.colleague_actor, service_request_id=request.id, body="Idem ici", now=TEST_NOW
    )
    hidden = await _refusal(
        services.cancel(uow_of(sessionmaker), actor=elsewhere, service_request_id=request.id, reason=None, now=TEST_NOW)
    )
    foreign = await _refusal(
        services.cancel(
            uow_of(sessionmaker), actor=other_org.actor, service_request_id=request.id, reason=None, now=TEST_NOW
        )
    )

    assert commented.request.status == "SUBMITTED"
    assert hidden == foreign == ("NOT_FOUND", ["input", "serviceRequestId"])


async def test_answering_a_question_puts_the_request_back_in_progress_and_resumes_the_clock(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    await back_office(http, {"number": request.number, "status": "AWAITING_CUSTOMER", "comment": "Quel modèle ?"})

    outcome = await services.add_comment(
        uow_of(sessionmaker),
        actor=world.actor,
        service_request_id=request.id,
        body="Un Nokia 105.",
        now=TEST_NOW + timedelta(hours=3),
    )

    assert (outcome.request.status, outcome.request.paused_since, outcome.request.paused_seconds) == (
        "IN_PROGRESS",
        None,
        3 * 3600,
    )
    async with sessionmaker() as session:
        comments = (
            await session.execute(
                select(ServiceRequestComment.author_name, ServiceRequestComment.from_support).order_by(
                    ServiceRequestComment.id
                )
            )
        ).all()
    assert [tuple(c) for c in comments] == [("Service client", True), ("Test User", False)]


async def test_a_comment_on_a_final_request_is_refused_with_service_request_closed(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await services.cancel(
        uow_of(sessionmaker), actor=world.actor, service_request_id=request.id, reason="Doublon", now=TEST_NOW
    )
    before = await snapshot(sessionmaker)

    refusal = await _refusal(
        services.add_comment(
            uow_of(sessionmaker), actor=world.actor, service_request_id=request.id, body="?", now=TEST_NOW
        )
    )

    assert refusal == ("SERVICE_REQUEST_CLOSED", ["input", "serviceRequestId"])
    assert await snapshot(sessionmaker) == before


async def test_cancelling_after_the_resolution_is_an_invalid_transition(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "RESOLVED", at=TEST_NOW, resolved_at=TEST_NOW)

    refusal = await _refusal(
        services.cancel(
            uow_of(sessionmaker), actor=world.actor, service_request_id=request.id, reason=None, now=TEST_NOW
        )
    )

    assert refusal == ("INVALID_STATUS_TRANSITION", ["input", "serviceRequestId"])


async def test_confirming_a_resolution_closes_the_request_and_keeps_the_resolution(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "RESOLVED", at=TEST_NOW, resolved_at=TEST_NOW, resolution_code="fixed")

    outcome = await services.confirm_resolution(
        uow_of(sessionmaker), actor=world.actor, service_request_id=request.id, now=TEST_NOW + timedelta(days=1)
    )

    assert (outcome.request.status, outcome.request.resolution_code) == ("CLOSED", "fixed")
    assert services.abilities(outcome.request, TEST_NOW).can_comment is False


async def test_reopening_within_seven_days_goes_back_in_progress_and_after_is_refused(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    early = await open_request(sessionmaker, world)
    late = await open_request(sessionmaker, world)
    for request in (early, late):
        await force_status(
            sessionmaker, request.id, "RESOLVED", at=TEST_NOW, resolved_at=TEST_NOW, resolution_code="fixed"
        )
    when = TEST_NOW + timedelta(days=6)

    reopened = await services.reopen(
        uow_of(sessionmaker), actor=world.actor, service_request_id=early.id, comment="Toujours en panne", now=when
    )
    expired = await _refusal(
        services.reopen(
            uow_of(sessionmaker),
            actor=world.actor,
            service_request_id=late.id,
            comment="Encore",
            now=TEST_NOW + timedelta(days=7),
        )
    )

    assert (reopened.request.status, reopened.request.resolved_at, reopened.request.resolution_code) == (
        "IN_PROGRESS",
        None,
        None,
    )
    assert expired == ("REOPEN_WINDOW_EXPIRED", ["input", "serviceRequestId"])
    abilities = services.abilities(await status_of(sessionmaker, late.id), when)
    assert (abilities.can_reopen, abilities.can_confirm_resolution, abilities.reopen_deadline) == (
        True,
        True,
        TEST_NOW + timedelta(days=7),
    )


async def test_each_status_change_of_the_customer_emails_the_creator(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    await services.cancel(
        uow_of(sessionmaker), actor=world.actor, service_request_id=request.id, reason="Doublon", now=TEST_NOW
    )

    [email] = await emails_to(sessionmaker, world.creator.email)
    assert email.subject == f"Demande {request.number} : Annulée / Service request {request.number}: Cancelled"


async def test_organisation_hours_from_the_feed_override_the_defaults(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await import_category_settings(
            session,
            organisation_id=world.org.id,
            entries=[{"category": "INCIDENT", "responseHours": 1, "resolutionHours": 6}],
            path="organisations[0].serviceRequestCategories",
        )

    outcome = await _create(sessionmaker, world)

    assert (outcome.request.response_hours, outcome.request.resolution_hours) == (1, 6)
    other = await make_sr_world(sessionmaker, name="Other")
    async with sessionmaker() as session:
        hours = {c.category: c.response_hours for c in await categories_of(session, organisation_id=other.org.id)}
    assert hours[Category.INCIDENT] == 4


def _run_cli(database_url: str, files_dir: str, *args: str) -> Any:
    return CliRunner().invoke(
        cli, list(args), env={"GUICHET_DATABASE_URL": database_url, "GUICHET_FILES_DIR": files_dir}
    )


async def test_the_job_closes_resolved_after_7_days_and_unanswered_after_14(
    sessionmaker, database_url, settings
) -> None:
    world = await make_sr_world(sessionmaker)
    resolved_old = await open_request(sessionmaker, world)
    resolved_new = await open_request(sessionmaker, world)
    waiting_old = await open_request(sessionmaker, world)
    waiting_new = await open_request(sessionmaker, world)
    old, recent = TEST_NOW - timedelta(days=8), TEST_NOW - timedelta(days=6)
    await force_status(sessionmaker, resolved_old.id, "RESOLVED", at=old, resolved_at=old, resolution_code="fixed")
    await force_status(
        sessionmaker, resolved_new.id, "RESOLVED", at=recent, resolved_at=recent, resolution_code="fixed"
    )
    await force_status(sessionmaker, waiting_old.id, "AWAITING_CUSTOMER", at=TEST_NOW - timedelta(days=15))
    await force_status(sessionmaker, waiting_new.id, "AWAITING_CUSTOMER", at=TEST_NOW - timedelta(days=13))

    result = await asyncio.to_thread(
        _run_cli, database_url, settings.files_dir, "jobs", "close-service-requests", "--as-of", "2026-11-25"
    )
    again = await asyncio.to_thread(
        _run_cli, database_url, settings.files_dir, "jobs", "close-service-requests", "--as-of", "2026-11-25"
    )

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"close-service-requests as of 2026-11-25: 1 resolved closed ({resolved_old.number}), "
        f"1 unanswered closed ({waiting_old.number}), 0 unattached uploads deleted\n"
    )
    assert (
        again.output
        == "close-service-requests as of 2026-11-25: 0 resolved closed, 0 unanswered closed, 0 unattached uploads deleted\n"
    )
    states = [await status_of(sessionmaker, r.id) for r in (resolved_old, resolved_new, waiting_old, waiting_new)]
    assert [(s.status, s.resolution_code) for s in states] == [
        ("CLOSED", "fixed"),
        ("RESOLVED", "fixed"),
        ("CLOSED", "no_response"),
        ("AWAITING_CUSTOMER", None),
    ]


async def test_two_jobs_at_once_close_each_request_once(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    ids = []
    for _ in range(5):
        request = await open_request(sessionmaker, world)
        await force_status(sessionmaker, request.id, "RESOLVED", at=TEST_NOW - timedelta(days=8), resolved_at=TEST_NOW)
        ids.append(request.id)

    reports = await asyncio.gather(
        *(services.close_stale(uow_of(sessionmaker), as_of=TEST_NOW, now=TEST_NOW) for _ in range(2))
    )

    assert sum(len(r.closed_resolved) for r in reports) == 5
    assert len(await emails_to(sessionmaker, world.creator.email)) == 5

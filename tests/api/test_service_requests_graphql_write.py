"""The customer's service-request mutations over GraphQL: upload, create, comment, cancel, confirm,
reopen. Each refusal names its code and field and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from guichet.domain.service_requests import links
from tests.conftest import TEST_NOW
from tests.factories import make_member
from tests.factories_service_requests import (
    PDF,
    PNG,
    back_office,
    emails_to,
    force_status,
    make_sr_world,
    open_request,
    snapshot,
)
from tests.factories_service_requests_gql import (
    CANCEL,
    COMMENT,
    CONFIRM,
    CREATE,
    REOPEN,
    UPLOAD,
    gid,
    incident_input,
)


def _upload_input(
    world: Any, *, filename: str = "constat.pdf", content_type: str = "application/pdf", size: int = len(PDF)
) -> dict[str, Any]:
    return {
        "organisationId": gid("Organisation", world.org.id),
        "filename": filename,
        "contentType": content_type,
        "size": size,
    }


async def _uploaded(gql: Any, http: Any, world: Any, token: str, data: bytes = PDF) -> str:
    """An attachment announced with createAttachmentUpload and PUT to its link; its ID."""
    response = await gql(UPLOAD, {"input": _upload_input(world, size=len(data))}, token=token)
    payload = response["data"]["createAttachmentUpload"]
    put = await http.put(
        payload["uploadUrl"].removeprefix("http://guichet.test"),
        content=data,
        headers={"Content-Type": "application/pdf"},
    )
    assert put.status_code == 200, put.text
    return payload["attachmentId"]


async def test_an_upload_is_announced_with_a_link_valid_60_minutes(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)

    response = await gql(UPLOAD, {"input": _upload_input(world)}, token=world.creator.token)

    payload = response["data"]["createAttachmentUpload"]
    assert payload["errors"] == []
    assert payload["expiresAt"] == (TEST_NOW + timedelta(minutes=60)).isoformat()
    token = payload["uploadUrl"].removeprefix("http://guichet.test/uploads/")
    grant = links.verify("test-secret-key-0123456789abcdef0123456789", links.UPLOAD, token, TEST_NOW)
    assert grant is not None and gid("Attachment", grant.attachment_id) == payload["attachmentId"]
    assert grant.organisation_id == world.org.id


async def test_an_upload_too_large_or_of_another_type_is_refused_and_nothing_is_kept(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    before = await snapshot(sessionmaker)

    large = await gql(UPLOAD, {"input": _upload_input(world, size=10 * 1024 * 1024 + 1)}, token=world.creator.token)
    exe = await gql(
        UPLOAD,
        {"input": _upload_input(world, filename="a.exe", content_type="application/x-msdownload")},
        token=world.creator.token,
    )

    assert large["data"]["createAttachmentUpload"] == {
        "attachmentId": None,
        "uploadUrl": None,
        "expiresAt": None,
        "errors": [
            {"code": "ATTACHMENT_TOO_LARGE", "field": ["input", "size"], "message": "A file may not exceed 10 MB."}
        ],
    }
    assert [e["code"] for e in exe["data"]["createAttachmentUpload"]["errors"]] == ["ATTACHMENT_TYPE_NOT_ALLOWED"]
    assert await snapshot(sessionmaker) == before


async def test_a_png_put_as_the_announced_pdf_is_refused(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    response = await gql(UPLOAD, {"input": _upload_input(world, size=len(PNG))}, token=world.creator.token)
    url = response["data"]["createAttachmentUpload"]["uploadUrl"]

    put = await http.put(
        url.removeprefix("http://guichet.test"), content=PNG, headers={"Content-Type": "application/pdf"}
    )

    assert put.status_code == 415


async def test_a_request_is_created_submitted_with_its_file_and_emails_nothing_yet(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    attachment_id = await _uploaded(gql, http, world, world.creator.token)

    response = await gql(
        CREATE,
        {"input": incident_input(world, attachmentIds=[attachment_id], priority="HIGH")},
        token=world.creator.token,
    )

    payload = response["data"]["createServiceRequest"]
    assert payload["errors"] == []
    request = payload["serviceRequest"]
    assert request["number"].startswith("SR-") and len(request["number"]) == 11
    assert (request["status"], request["category"], request["priority"]) == ("SUBMITTED", "INCIDENT", "HIGH")
    assert request["lines"] == [{"number": world.line.number}]
    assert request["createdBy"] == {"email": world.creator.email}
    assert [(a["filename"], a["size"]) for a in request["attachments"]] == [("constat.pdf", len(PDF))]
    assert [h["status"] for h in request["statusHistory"]] == ["SUBMITTED"]
    assert (request["canComment"], request["canCancel"], request["canConfirmResolution"], request["canReopen"]) == (
        True,
        True,
        False,
        False,
    )
    assert request["sla"]["responseDueAt"] == (TEST_NOW + timedelta(hours=4)).isoformat()


async def test_the_same_idempotency_key_answers_the_same_request(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    variables = {"input": incident_input(world)}

    first = await gql(CREATE, variables, token=world.creator.token)
    again = await gql(CREATE, variables, token=world.creator.token)
    changed = await gql(CREATE, {"input": {**variables["input"], "subject": "Autre"}}, token=world.creator.token)

    assert (
        again["data"]["createServiceRequest"]["serviceRequest"]["id"]
        == first["data"]["createServiceRequest"]["serviceRequest"]["id"]
    )
    assert [e["code"] for e in changed["data"]["createServiceRequest"]["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_a_missing_line_or_invoice_names_the_field_and_creates_nothing(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    before = await snapshot(sessionmaker)

    no_line = await gql(CREATE, {"input": incident_input(world, lineIds=[])}, token=world.creator.token)
    no_invoice = await gql(
        CREATE,
        {"input": incident_input(world, category="BILLING_CLAIM", lineIds=None)},
        token=world.creator.token,
        lang="fr",
    )

    assert no_line["data"]["createServiceRequest"] == {
        "serviceRequest": None,
        "errors": [
            {"code": "VALIDATION", "field": ["input", "lineIds"], "message": "This category needs the line concerned."}
        ],
    }
    assert no_invoice["data"]["createServiceRequest"]["errors"] == [
        {
            "code": "VALIDATION",
            "field": ["input", "invoiceId"],
            "message": "Cette catégorie nécessite la facture concernée.",
        }
    ]
    assert await snapshot(sessionmaker) == before


async def test_a_contact_scoped_to_an_account_opens_requests_only_there(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    before = await snapshot(sessionmaker)

    other = await gql(
        CREATE,
        {
            "input": incident_input(
                world, billingAccountId=gid("BillingAccount", world.other_account.id), lineIds=None, category="OTHER"
            )
        },
        token=world.colleague.token,
    )
    none = await gql(
        CREATE,
        {"input": incident_input(world, billingAccountId=None, lineIds=None, category="OTHER")},
        token=world.colleague.token,
    )

    assert [(e["code"], e["field"]) for e in other["data"]["createServiceRequest"]["errors"]] == [
        ("NOT_FOUND", ["input", "billingAccountId"])
    ]
    assert [(e["code"], e["field"]) for e in none["data"]["createServiceRequest"]["errors"]] == [
        ("VALIDATION", ["input", "billingAccountId"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_a_reader_without_write_is_forbidden_and_nothing_changes(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        manager = await make_member(session, world.org, roles=[("MANAGEMENT", None)])
    before = await snapshot(sessionmaker)

    created = await gql(CREATE, {"input": incident_input(world)}, token=manager.token)
    commented = await gql(
        COMMENT, {"input": {"serviceRequestId": gid("ServiceRequest", request.id), "body": "?"}}, token=manager.token
    )

    for response in (created, commented):
        assert response["data"] is None
        assert [(e["extensions"]["code"], e["extensions"]["action"]) for e in response["errors"]] == [
            ("FORBIDDEN", "WRITE")
        ]
    after = await snapshot(sessionmaker)
    # Only the two refusals are recorded (access.denied in the audit trail).
    assert (replace(after, audit=0), after.audit) == (replace(before, audit=0), before.audit + 2)


async def test_answering_a_question_puts_the_request_back_in_progress(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    await back_office(http, {"number": request.number, "status": "AWAITING_CUSTOMER", "comment": "Quel modèle ?"})
    attachment_id = await _uploaded(gql, http, world, world.colleague.token)

    response = await gql(
        COMMENT,
        {
            "input": {
                "serviceRequestId": gid("ServiceRequest", request.id),
                "body": "Un Galaxy A15.",
                "attachmentIds": [attachment_id],
            }
        },
        token=world.colleague.token,
    )

    assert response["data"]["addServiceRequestComment"] == {
        "serviceRequest": {
            "status": "IN_PROGRESS",
            "comments": {
                "totalCount": 2,
                "edges": [
                    {"node": {"body": "Quel modèle ?", "attachments": []}},
                    {"node": {"body": "Un Galaxy A15.", "attachments": [{"filename": "constat.pdf"}]}},
                ],
            },
            "canComment": True,
        },
        "errors": [],
    }


async def test_a_comment_on_a_closed_request_is_refused_and_nothing_changes(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "CLOSED", at=TEST_NOW)
    before = await snapshot(sessionmaker)

    response = await gql(
        COMMENT,
        {"input": {"serviceRequestId": gid("ServiceRequest", request.id), "body": "Encore ?"}},
        token=world.creator.token,
    )

    assert response["data"]["addServiceRequestComment"] == {
        "serviceRequest": None,
        "errors": [
            {
                "code": "SERVICE_REQUEST_CLOSED",
                "field": ["input", "serviceRequestId"],
                "message": "This request is closed: open a new request that refers to it.",
            }
        ],
    }
    assert await snapshot(sessionmaker) == before


async def test_cancelling_before_resolution_is_final_and_emails_the_creator(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)

    response = await gql(
        CANCEL,
        {"input": {"serviceRequestId": gid("ServiceRequest", request.id), "reason": "Résolu seul"}},
        token=world.creator.token,
    )

    assert response["data"]["cancelServiceRequest"] == {
        "serviceRequest": {
            "status": "CANCELLED",
            "closedAt": TEST_NOW.isoformat(),
            "canCancel": False,
            "canComment": False,
            "statusHistory": [{"status": "SUBMITTED", "note": None}, {"status": "CANCELLED", "note": "Résolu seul"}],
        },
        "errors": [],
    }
    assert [request.number in e.subject for e in await emails_to(sessionmaker, world.creator.email)] == [True]


async def test_cancelling_a_resolved_request_is_an_invalid_transition_and_nothing_changes(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "RESOLVED", at=TEST_NOW, resolved_at=TEST_NOW)
    before = await snapshot(sessionmaker)

    response = await gql(
        CANCEL, {"input": {"serviceRequestId": gid("ServiceRequest", request.id)}}, token=world.creator.token
    )

    assert [(e["code"], e["field"]) for e in response["data"]["cancelServiceRequest"]["errors"]] == [
        ("INVALID_STATUS_TRANSITION", ["input", "serviceRequestId"])
    ]
    assert await snapshot(sessionmaker) == before


async def test_confirming_a_resolution_closes_the_request_with_its_resolution(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    await back_office(
        http,
        {"number": request.number, "status": "RESOLVED", "resolution": {"code": "fixed", "summary": "SIM changée"}},
    )

    response = await gql(
        CONFIRM, {"input": {"serviceRequestId": gid("ServiceRequest", request.id)}}, token=world.creator.token
    )

    assert response["data"]["confirmServiceRequestResolution"] == {
        "serviceRequest": {
            "status": "CLOSED",
            "resolution": {"code": "fixed", "summary": "SIM changée"},
            "canReopen": False,
            "reopenDeadline": None,
        },
        "errors": [],
    }


async def test_reopening_goes_back_in_progress_and_after_seven_days_is_refused(
    gql, app, http, sessionmaker, clock
) -> None:
    world = await make_sr_world(sessionmaker)
    fresh, stale = await open_request(sessionmaker, world), await open_request(sessionmaker, world)
    for request in (fresh, stale):
        await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    await back_office(
        http, {"number": fresh.number, "status": "RESOLVED", "resolution": {"code": "fixed", "summary": "OK"}}
    )
    await force_status(
        sessionmaker,
        stale.id,
        "RESOLVED",
        at=TEST_NOW - timedelta(days=8),
        resolved_at=TEST_NOW - timedelta(days=8),
        resolution_code="fixed",
        resolution_summary="OK",
    )
    before = await snapshot(sessionmaker)

    late = await gql(
        REOPEN,
        {"input": {"serviceRequestId": gid("ServiceRequest", stale.id), "comment": "Toujours coupé"}},
        token=world.creator.token,
    )
    unchanged = await snapshot(sessionmaker)
    reopened = await gql(
        REOPEN,
        {"input": {"serviceRequestId": gid("ServiceRequest", fresh.id), "comment": "Toujours coupé"}},
        token=world.creator.token,
    )

    assert [(e["code"], e["field"]) for e in late["data"]["reopenServiceRequest"]["errors"]] == [
        ("REOPEN_WINDOW_EXPIRED", ["input", "serviceRequestId"])
    ]
    assert unchanged == before
    assert reopened["data"]["reopenServiceRequest"] == {
        "serviceRequest": {
            "status": "IN_PROGRESS",
            "resolution": None,
            "canReopen": False,
            "comments": {"edges": [{"node": {"body": "Toujours coupé"}}]},
        },
        "errors": [],
    }


async def test_an_unknown_or_foreign_request_id_answers_not_found(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    other = await make_sr_world(sessionmaker, name="Other")
    foreign = await open_request(sessionmaker, other)
    before = await snapshot(sessionmaker)

    answers = [
        await gql(CANCEL, {"input": {"serviceRequestId": request_id}}, token=world.creator.token)
        for request_id in (gid("ServiceRequest", foreign.id), gid("ServiceRequest", 987654321), gid("Invoice", 1))
    ]

    assert [a["data"]["cancelServiceRequest"]["errors"][0]["code"] for a in answers] == ["NOT_FOUND"] * 3
    assert answers[0] == answers[1]
    assert await snapshot(sessionmaker) == before


async def test_six_files_on_one_comment_are_too_many_and_nothing_is_attached(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    files = [await _uploaded(gql, http, world, world.creator.token) for _ in range(6)]
    before = await snapshot(sessionmaker)

    response = await gql(
        COMMENT,
        {"input": {"serviceRequestId": gid("ServiceRequest", request.id), "body": "Pièces", "attachmentIds": files}},
        token=world.creator.token,
    )

    assert response["data"]["addServiceRequestComment"] == {
        "serviceRequest": None,
        "errors": [
            {
                "code": "TOO_MANY_ATTACHMENTS",
                "field": ["input", "attachmentIds"],
                "message": "At most 5 files may be attached here.",
            }
        ],
    }
    assert await snapshot(sessionmaker) == before

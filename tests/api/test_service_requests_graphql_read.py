"""Reading service requests over GraphQL: categories, the shared list and its filters, the detail
(SLA, comments, history, files, what the viewer may do), node lookups and the statements a page costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain.models.service_requests import ServiceRequestComment
from guichet.domain.service_requests.categories import Category
from tests.conftest import TEST_NOW
from tests.factories import make_member
from tests.factories_service_requests import (
    PDF,
    announce,
    back_office,
    force_status,
    make_sr_world,
    open_request,
)
from tests.factories_service_requests_gql import FIELDS, LIST, gid, upload_path
from tests.statements import counting

CATEGORIES = (
    "query($id: ID!) { serviceRequestCategories(organisationId: $id) { "
    "category label requiresLine requiresInvoice responseHours resolutionHours } }"
)
DETAIL = "query($id: ID!) { node(id: $id) { ... on ServiceRequest { " + FIELDS + " } } }"


async def test_categories_say_what_each_needs_and_its_hours_in_the_callers_language(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)

    english = await gql(CATEGORIES, {"id": gid("Organisation", world.org.id)}, token=world.creator.token)
    french = await gql(CATEGORIES, {"id": gid("Organisation", world.org.id)}, token=world.creator.token, lang="fr")

    assert "errors" not in english, english
    rows = english["data"]["serviceRequestCategories"]
    assert [r["category"] for r in rows] == [
        "INCIDENT",
        "CHANGE_REQUEST",
        "LINE_MANAGEMENT",
        "BILLING_CLAIM",
        "ACCOUNT_CHANGE",
        "INFORMATION",
        "OTHER",
    ]
    assert rows[0] == {
        "category": "INCIDENT",
        "label": "Incident on a line",
        "requiresLine": True,
        "requiresInvoice": False,
        "responseHours": 4,
        "resolutionHours": 24,
    }
    assert [(r["requiresLine"], r["requiresInvoice"]) for r in rows if r["category"] == "BILLING_CLAIM"] == [
        (False, True)
    ]
    assert french["data"]["serviceRequestCategories"][3]["label"] == "Réclamation sur facture"


async def test_categories_of_an_organisation_the_viewer_is_not_in_are_forbidden(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    other = await make_sr_world(sessionmaker, name="Other")

    response = await gql(CATEGORIES, {"id": gid("Organisation", other.org.id)}, token=world.creator.token)

    assert response["data"] is None
    assert [e["extensions"]["code"] for e in response["errors"]] == ["FORBIDDEN"]


async def test_the_detail_shows_sla_comments_history_files_and_what_the_viewer_may_do(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world)
    await http.put(upload_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})
    request = await open_request(sessionmaker, world, attachment_ids=(upload.attachment.id,))
    await back_office(http, {"number": request.number, "status": "ACKNOWLEDGED"})
    await back_office(http, {"number": request.number, "status": "IN_PROGRESS"})
    await back_office(
        http, {"number": request.number, "status": "AWAITING_CUSTOMER", "comment": "Quel est le modèle ?"}
    )

    response = await gql(DETAIL, {"id": gid("ServiceRequest", request.id)}, token=world.creator.token)

    node = response["data"]["node"]
    assert node["number"] == request.number and node["status"] == "AWAITING_CUSTOMER"
    assert (node["category"], node["priority"]) == ("INCIDENT", "NORMAL")
    assert node["billingAccount"] == {"number": world.account.number}
    assert node["lines"] == [{"number": world.line.number}]
    assert node["createdBy"] == {"email": world.creator.email}
    assert node["sla"] == {
        "responseDueAt": (TEST_NOW + timedelta(hours=4)).isoformat(),
        "resolutionDueAt": (TEST_NOW + timedelta(hours=24)).isoformat(),
        "respondedAt": TEST_NOW.isoformat(),
        "responseBreached": False,
        "resolutionBreached": False,
        "paused": True,
    }
    assert node["comments"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "body": "Quel est le modèle ?",
                    "authorName": "Service client",
                    "fromSupport": True,
                    "author": None,
                    "attachments": [],
                }
            }
        ],
    }
    assert [(h["status"], h["by"]) for h in node["statusHistory"]] == [
        ("SUBMITTED", {"email": world.creator.email}),
        ("ACKNOWLEDGED", None),
        ("IN_PROGRESS", None),
        ("AWAITING_CUSTOMER", None),
    ]
    (attachment,) = node["attachments"]
    assert (attachment["filename"], attachment["contentType"], attachment["size"]) == (
        "facture.pdf",
        "application/pdf",
        len(PDF),
    )
    got = await http.get(attachment["downloadUrl"].removeprefix("http://guichet.test"))
    assert (got.status_code, got.content) == (200, PDF)
    assert (node["canComment"], node["canCancel"], node["canConfirmResolution"], node["canReopen"]) == (
        True,
        True,
        False,
        False,
    )
    assert node["reopenDeadline"] is None


async def test_a_resolved_request_may_be_confirmed_or_reopened_until_its_deadline(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await force_status(sessionmaker, request.id, "IN_PROGRESS", at=TEST_NOW)
    await back_office(
        http,
        {"number": request.number, "status": "RESOLVED", "resolution": {"code": "fixed", "summary": "Carte SIM"}},
    )

    response = await gql(DETAIL, {"id": gid("ServiceRequest", request.id)}, token=world.creator.token)

    node = response["data"]["node"]
    assert node["resolution"] == {"code": "fixed", "summary": "Carte SIM"}
    assert node["resolvedAt"] == TEST_NOW.isoformat()
    assert (node["canComment"], node["canCancel"], node["canConfirmResolution"], node["canReopen"]) == (
        True,
        False,
        True,
        True,
    )
    assert node["reopenDeadline"] == (TEST_NOW + timedelta(days=7)).isoformat()


async def test_a_reader_without_write_sees_the_request_but_may_do_nothing(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        manager = await make_member(session, world.org, roles=[("MANAGEMENT", None)])

    response = await gql(DETAIL, {"id": gid("ServiceRequest", request.id)}, token=manager.token)

    node = response["data"]["node"]
    assert node["number"] == request.number
    assert (node["canComment"], node["canCancel"], node["canConfirmResolution"], node["canReopen"]) == (
        False,
        False,
        False,
        False,
    )


async def test_the_list_is_shared_within_the_scope_newest_first(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    first = await open_request(sessionmaker, world)
    second = await open_request(sessionmaker, world, category=Category.BILLING_CLAIM)
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_member(session, world.org, roles=[("COMMERCIAL", world.other_account.id)])
    variables = {"id": gid("Organisation", world.org.id)}

    creator = await gql(LIST, variables, token=world.creator.token)
    colleague = await gql(LIST, variables, token=world.colleague.token)
    other = await gql(LIST, variables, token=elsewhere.token)

    expected = [second.number, first.number]
    assert [e["node"]["number"] for e in creator["data"]["organisation"]["serviceRequests"]["edges"]] == expected
    assert [e["node"]["number"] for e in colleague["data"]["organisation"]["serviceRequests"]["edges"]] == expected
    assert other["data"]["organisation"]["serviceRequests"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_the_list_pages_by_cursor(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    numbers = [(await open_request(sessionmaker, world)).number for _ in range(3)]
    variables = {"id": gid("Organisation", world.org.id), "first": 2}

    page1 = (await gql(LIST, variables, token=world.creator.token))["data"]["organisation"]["serviceRequests"]
    page2 = (await gql(LIST, {**variables, "after": page1["pageInfo"]["endCursor"]}, token=world.creator.token))[
        "data"
    ]["organisation"]["serviceRequests"]

    assert [e["node"]["number"] for e in page1["edges"] + page2["edges"]] == numbers[::-1]
    assert (page1["totalCount"], page1["pageInfo"]["hasNextPage"], page2["pageInfo"]["hasNextPage"]) == (
        3,
        True,
        False,
    )


async def test_the_filters_narrow_the_list(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    incident = await open_request(sessionmaker, world)
    claim = await open_request(sessionmaker, world, category=Category.BILLING_CLAIM)
    await force_status(sessionmaker, claim.id, "IN_PROGRESS", at=TEST_NOW)
    variables = {"id": gid("Organisation", world.org.id)}

    async def numbers(filter: dict[str, Any], token: str = world.creator.token) -> list[str]:
        response = await gql(LIST, {**variables, "filter": filter}, token=token)
        return [e["node"]["number"] for e in response["data"]["organisation"]["serviceRequests"]["edges"]]

    assert await numbers({"status": ["IN_PROGRESS"]}) == [claim.number]
    assert await numbers({"category": ["INCIDENT", "OTHER"]}) == [incident.number]
    assert await numbers({"billingAccountId": gid("BillingAccount", world.other_account.id)}) == []
    assert await numbers({"billingAccountId": gid("Line", world.line.id)}) == []
    assert await numbers({"lineNumber": world.line.number}) == [incident.number]
    assert await numbers({"search": incident.number[3:]}) == [incident.number]
    assert await numbers({"createdByMe": True}) == [claim.number, incident.number]
    assert await numbers({"createdByMe": True}, token=world.colleague.token) == []


async def test_node_answers_null_for_a_request_comment_or_file_out_of_scope(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    await back_office(http, {"number": request.number, "comment": "Bonjour"})
    async with sessionmaker() as session, session.begin():
        elsewhere = await make_member(session, world.org, roles=[("COMMERCIAL", world.other_account.id)])
    comment_id = await _first_comment_id(sessionmaker, request.id)
    ids = [gid("ServiceRequest", request.id), gid("ServiceRequestComment", comment_id)]

    inside = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }", {"ids": ids}, token=world.colleague.token
    )
    outside = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }", {"ids": ids}, token=elsewhere.token)

    assert inside == {"data": {"nodes": [{"__typename": "ServiceRequest"}, {"__typename": "ServiceRequestComment"}]}}
    assert outside == {"data": {"nodes": [None, None]}}


async def _first_comment_id(sessionmaker: Any, request_id: int) -> int:
    async with sessionmaker() as session:
        return (
            await session.execute(
                select(ServiceRequestComment.id).where(ServiceRequestComment.service_request_id == request_id)
            )
        ).scalar_one()


async def test_an_upload_not_yet_attached_is_reachable_only_by_its_uploader(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world)
    await http.put(upload_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})
    query = "query($id: ID!) { node(id: $id) { ... on Attachment { filename size } } }"
    variables = {"id": gid("Attachment", upload.attachment.id)}

    own = await gql(query, variables, token=world.creator.token)
    colleague = await gql(query, variables, token=world.colleague.token)

    assert own == {"data": {"node": {"filename": "facture.pdf", "size": len(PDF)}}}
    assert colleague == {"data": {"node": None}}


@pytest.fixture
def settings(settings: Any) -> Any:
    """A page of 50 requests with every field costs 1,552 points: past the default maximum and bucket (1,000)."""
    return settings.with_overrides(max_query_cost=5000, rate_capacity=100_000)


PAGE = (
    "query($id: ID!, $first: Int) { organisation(id: $id) { serviceRequests(first: $first) { totalCount "
    "edges { node { " + FIELDS + " } } } } }"
)


async def test_a_page_of_5_and_a_page_of_50_cost_the_same_statements(app, gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    for index in range(50):
        request = await open_request(
            sessionmaker, world, category=Category.BILLING_CLAIM if index % 2 else Category.INCIDENT
        )
        await back_office(http, {"number": request.number, "comment": f"Pris en compte {index}"})
    engine = app.state.guichet.engine
    counts: dict[int, int] = {}
    for first in (5, 50):
        with counting(engine) as statements:
            response = await gql(
                PAGE, {"id": gid("Organisation", world.org.id), "first": first}, token=world.creator.token
            )
        assert "errors" not in response, response
        assert len(response["data"]["organisation"]["serviceRequests"]["edges"]) == first
        counts[first] = len(statements)

    print(f"statements per page of service requests with every field: {counts}")
    assert counts[5] == counts[50]
    # The session, the organisation with the viewer's access, count, page, then one each: billing
    # accounts, lines, invoices, contacts, comment counts, comment pages, files of the requests,
    # status history, files of the comments.
    assert counts[50] <= 13, counts


COMMENTS = (
    "query($id: ID!, $after: String) { node(id: $id) { ... on ServiceRequest { comments(first: 2, after: $after) { "
    "totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { body } } } } } }"
)


async def test_comments_page_oldest_first_by_cursor(gql, http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    request = await open_request(sessionmaker, world)
    for body in ("un", "deux", "trois"):
        await back_office(http, {"number": request.number, "comment": body})
    variables = {"id": gid("ServiceRequest", request.id)}

    first = (await gql(COMMENTS, variables, token=world.creator.token))["data"]["node"]["comments"]
    rest = (await gql(COMMENTS, {**variables, "after": first["pageInfo"]["endCursor"]}, token=world.creator.token))[
        "data"
    ]["node"]["comments"]

    assert [e["node"]["body"] for e in first["edges"]] == ["un", "deux"]
    assert [e["node"]["body"] for e in rest["edges"]] == ["trois"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        3,
        True,
        False,
    )
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)


async def test_a_follow_up_names_the_request_it_follows_when_the_viewer_may_read_it(gql, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    closed = await open_request(sessionmaker, world)
    await force_status(sessionmaker, closed.id, "CLOSED", at=TEST_NOW)
    response = await gql(
        "mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { "
        "serviceRequest { id relatedRequest { number status } } errors { code } } }",
        {
            "input": {
                "organisationId": gid("Organisation", world.org.id),
                "billingAccountId": gid("BillingAccount", world.account.id),
                "category": "OTHER",
                "subject": "Suite",
                "description": "La panne est revenue.",
                "relatedRequestId": gid("ServiceRequest", closed.id),
                "idempotencyKey": "follow-up",
            }
        },
        token=world.creator.token,
    )

    assert response["data"]["createServiceRequest"]["serviceRequest"]["relatedRequest"] == {
        "number": closed.number,
        "status": "CLOSED",
    }

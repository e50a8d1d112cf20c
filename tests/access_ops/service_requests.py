"""Service-request operations for the access matrix: SERVICE_REQUESTS READ lists, reads and asks the
categories; WRITE announces uploads, opens, comments, cancels, confirms and reopens requests."""

from __future__ import annotations

import itertools
from typing import Any

from guichet.domain.ids import to_global_id
from guichet.domain.models.service_requests import Attachment, ServiceRequest, ServiceRequestComment
from guichet.domain.service_requests.services import new_number
from tests.access_ops.base import AccessOperation, World
from tests.conftest import TEST_NOW

_keys = itertools.count(1)


async def _request(session: Any, world: World, *, status: str = "IN_PROGRESS") -> ServiceRequest:
    """A request of the world's account with a support comment and a stored file."""
    resolved = status == "RESOLVED"
    request = ServiceRequest(
        organisation_id=world.org.id,
        number=new_number(),
        billing_account_id=world.account.id,
        category="OTHER",
        priority="NORMAL",
        status=status,
        subject="Question",
        description="Une question sur le compte.",
        created_by_contact_id=world.admin.contact_id,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
        status_changed_at=TEST_NOW,
        resolved_at=TEST_NOW if resolved else None,
        resolution_code="fixed" if resolved else None,
        resolution_summary="Fait" if resolved else None,
        response_hours=48,
        resolution_hours=168,
        paused_seconds=0,
        version=1,
    )
    session.add(request)
    await session.flush()
    comment = ServiceRequestComment(
        organisation_id=world.org.id,
        service_request_id=request.id,
        body="Bonjour",
        author_name="Service client",
        from_support=True,
        created_at=TEST_NOW,
    )
    session.add(comment)
    await session.flush()
    attachment = Attachment(
        organisation_id=world.org.id,
        uploaded_by_contact_id=world.admin.contact_id,
        filename="constat.pdf",
        content_type="application/pdf",
        size=10,
        status="UPLOADED",
        storage_key=f"access-{request.id}-{next(_keys)}",
        file_name=None,
        service_request_id=request.id,
        comment_id=comment.id,
        created_at=TEST_NOW,
        upload_expires_at=TEST_NOW,
    )
    session.add(attachment)
    await session.flush()
    world.extra.setdefault("service_requests", []).append(request)
    world.extra["service_request_comment"] = comment
    world.extra["attachment"] = attachment
    return request


async def _read(session: Any, world: World) -> dict[str, Any]:
    request = await _request(session, world)
    return {"id": to_global_id("Organisation", world.org.id), "request": to_global_id("ServiceRequest", request.id)}


async def _children(session: Any, world: World) -> dict[str, Any]:
    await _request(session, world)
    return {
        "comment": to_global_id("ServiceRequestComment", world.extra["service_request_comment"].id),
        "attachment": to_global_id("Attachment", world.extra["attachment"].id),
    }


async def _organisation(session: Any, world: World) -> dict[str, Any]:
    return {"id": to_global_id("Organisation", world.org.id)}


async def _upload(session: Any, world: World) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "filename": "constat.pdf",
            "contentType": "application/pdf",
            "size": 1000,
        }
    }


async def _create(session: Any, world: World) -> dict[str, Any]:
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "billingAccountId": to_global_id("BillingAccount", world.account.id),
            "category": "OTHER",
            "subject": "Question",
            "description": "Une question sur le compte.",
            "idempotencyKey": f"access-{next(_keys)}",
        }
    }


def _on(status: str, **extra: Any) -> Any:
    async def setup(session: Any, world: World) -> dict[str, Any]:
        request = await _request(session, world, status=status)
        return {"input": {"serviceRequestId": to_global_id("ServiceRequest", request.id), **extra}}

    return setup


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for a request out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


_PAYLOAD = "serviceRequest { number status } errors { code field }"

OPERATIONS = [
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="READ",
        name="organisation.serviceRequests",
        setup=_read,
        document="query($id: ID!) { organisation(id: $id) { serviceRequests(first: 5) { totalCount edges { node { "
        "number status sla { paused } comments { totalCount } attachments { filename } canComment } } } } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="READ",
        name="node.serviceRequest",
        setup=_read,
        document="query($request: ID!) { node(id: $request) { ... on ServiceRequest { number "
        "comments { edges { node { id body attachments { id filename } } } } } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="READ",
        name="node.serviceRequestComment",
        setup=_children,
        document="query($comment: ID!) { node(id: $comment) { ... on ServiceRequestComment { body fromSupport } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="READ",
        name="node.attachment",
        setup=_children,
        document="query($attachment: ID!) { node(id: $attachment) { ... on Attachment { filename size } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="READ",
        name="serviceRequestCategories",
        setup=_organisation,
        document="query($id: ID!) { serviceRequestCategories(organisationId: $id) { category requiresLine } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="createAttachmentUpload",
        setup=_upload,
        document="mutation($input: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $input) { "
        "attachmentId errors { code field } } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="createServiceRequest",
        setup=_create,
        document="mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { "
        + _PAYLOAD
        + " } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="addServiceRequestComment",
        setup=_on("IN_PROGRESS", body="Merci"),
        document="mutation($input: AddServiceRequestCommentInput!) { addServiceRequestComment(input: $input) { "
        + _PAYLOAD
        + " } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="cancelServiceRequest",
        setup=_on("IN_PROGRESS", reason="Plus besoin"),
        document="mutation($input: ServiceRequestReasonInput!) { cancelServiceRequest(input: $input) { "
        + _PAYLOAD
        + " } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="confirmServiceRequestResolution",
        setup=_on("RESOLVED"),
        document="mutation($input: ServiceRequestIdInput!) { confirmServiceRequestResolution(input: $input) { "
        + _PAYLOAD
        + " } }",
    ),
    AccessOperation(
        module="SERVICE_REQUESTS",
        action="WRITE",
        name="reopenServiceRequest",
        setup=_on("RESOLVED", comment="Toujours en panne"),
        document="mutation($input: ReopenServiceRequestInput!) { reopenServiceRequest(input: $input) { "
        + _PAYLOAD
        + " } }",
    ),
]

"""GraphQL documents and helpers shared by the service-request API tests."""

from __future__ import annotations

import itertools
from typing import Any

from guichet.domain.ids import to_global_id
from guichet.domain.service_requests import links
from guichet.domain.service_requests.attachments import Upload
from tests.factories_service_requests import SrWorld

SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"

_keys = itertools.count(1)

FIELDS = """
  id number subject description category priority status
  billingAccount { number } lines { number } invoice { number } relatedRequest { number }
  createdBy { email } createdAt updatedAt resolvedAt closedAt
  resolution { code summary } rejectionReason
  sla { responseDueAt resolutionDueAt respondedAt responseBreached resolutionBreached paused }
  comments(first: 10) { totalCount edges { node { body authorName fromSupport author { email }
    attachments { filename } } } }
  attachments { filename contentType size downloadUrl }
  statusHistory { status at note by { email } }
  canComment canCancel canConfirmResolution canReopen reopenDeadline
"""

CREATE = (
    "mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { "
    "serviceRequest { " + FIELDS + " } errors { code field message } } }"
)
UPLOAD = (
    "mutation($input: CreateAttachmentUploadInput!) { createAttachmentUpload(input: $input) { "
    "attachmentId uploadUrl expiresAt errors { code field message } } }"
)
COMMENT = (
    "mutation($input: AddServiceRequestCommentInput!) { addServiceRequestComment(input: $input) { "
    "serviceRequest { status comments(first: 10) { totalCount edges { node { body attachments { filename } } } } "
    "canComment } errors { code field message } } }"
)
CANCEL = (
    "mutation($input: ServiceRequestReasonInput!) { cancelServiceRequest(input: $input) { "
    "serviceRequest { status closedAt canCancel canComment statusHistory { status note } } "
    "errors { code field message } } }"
)
CONFIRM = (
    "mutation($input: ServiceRequestIdInput!) { confirmServiceRequestResolution(input: $input) { "
    "serviceRequest { status resolution { code summary } canReopen reopenDeadline } errors { code field message } } }"
)
REOPEN = (
    "mutation($input: ReopenServiceRequestInput!) { reopenServiceRequest(input: $input) { "
    "serviceRequest { status resolution { code } canReopen comments { edges { node { body } } } } "
    "errors { code field message } } }"
)
LIST = (
    "query($id: ID!, $first: Int, $after: String, $filter: ServiceRequestFilter) { organisation(id: $id) { "
    "serviceRequests(first: $first, after: $after, filter: $filter) { totalCount "
    "pageInfo { hasNextPage endCursor } edges { node { number status } } } } }"
)
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on ServiceRequest { number } } }"


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def incident_input(world: SrWorld, **extra: Any) -> dict[str, Any]:
    return {
        "organisationId": gid("Organisation", world.org.id),
        "billingAccountId": gid("BillingAccount", world.account.id),
        "category": "INCIDENT",
        "subject": "Ligne coupée",
        "description": "La ligne ne reçoit plus d'appels depuis ce matin.",
        "lineIds": [gid("Line", world.line.id)],
        "idempotencyKey": f"gql-{next(_keys)}",
        **extra,
    }


def upload_path(upload: Upload) -> str:
    """The path of an announced upload's PUT link."""
    return f"/uploads/{links.sign(SECRET_KEY, links.UPLOAD, upload.grant, upload.expires_at)}"

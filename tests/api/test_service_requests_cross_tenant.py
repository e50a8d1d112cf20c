"""Rule 7 for service requests: a contact of organisation B, holding SERVICE_REQUESTS READ and WRITE
in B, gets for A's requests, comments, files, accounts, lines and invoices exactly the answers of
unknown IDs, and changes nothing of A."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from guichet.domain.models.service_requests import ServiceRequestComment
from tests.factories_service_requests import PDF, announce, back_office, make_sr_world, open_request, snapshot
from tests.factories_service_requests_gql import CANCEL, COMMENT, CONFIRM, CREATE, LIST, REOPEN, gid, upload_path

UNKNOWN = 987_654_321
NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


async def _world_a(http: Any, sessionmaker: Any) -> dict[str, Any]:
    world = await make_sr_world(sessionmaker, name="A")
    upload = await announce(sessionmaker, world)
    await http.put(upload_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})
    request = await open_request(sessionmaker, world, attachment_ids=(upload.attachment.id,))
    await back_office(http, {"number": request.number, "comment": "Bonjour"})
    async with sessionmaker() as session:
        comment_id = (
            await session.execute(
                select(ServiceRequestComment.id).where(ServiceRequestComment.service_request_id == request.id)
            )
        ).scalar_one()
    loose = await announce(sessionmaker, world)
    await http.put(upload_path(loose), content=PDF, headers={"Content-Type": "application/pdf"})
    return {
        "world": world,
        "ServiceRequest": request.id,
        "ServiceRequestComment": comment_id,
        "Attachment": upload.attachment.id,
        "LooseAttachment": loose.attachment.id,
    }


async def test_nodes_of_another_organisation_answer_like_unknown_ones(gql, http, sessionmaker) -> None:
    a = await _world_a(http, sessionmaker)
    b = await make_sr_world(sessionmaker, name="B")

    for type_name in ("ServiceRequest", "ServiceRequestComment", "Attachment", "LooseAttachment"):
        real = type_name.removeprefix("Loose")
        foreign = await gql(NODE, {"id": gid(real, a[type_name])}, token=b.creator.token)
        unknown = await gql(NODE, {"id": gid(real, UNKNOWN)}, token=b.creator.token)
        assert foreign == unknown == {"data": {"node": None}}, type_name


async def test_mutations_with_another_organisations_ids_answer_like_unknown_ones(gql, http, sessionmaker) -> None:
    a = await _world_a(http, sessionmaker)
    b = await make_sr_world(sessionmaker, name="B")
    world_a = a["world"]
    before = await snapshot(sessionmaker)

    def both(document: str, make: Any) -> list[tuple[str, Any]]:
        return [(document, make(True)), (document, make(False))]

    def on_request(extra: dict[str, Any]) -> Any:
        return lambda real: {
            "input": {"serviceRequestId": gid("ServiceRequest", a["ServiceRequest"] if real else UNKNOWN), **extra}
        }

    def create(field: str, type_name: str, pk: int, *, many: bool = False) -> Any:
        def make(real: bool) -> dict[str, Any]:
            value = gid(type_name, pk if real else UNKNOWN)
            base = {
                "organisationId": gid("Organisation", b.org.id),
                "billingAccountId": gid("BillingAccount", b.account.id),
                "category": "OTHER",
                "subject": "Question",
                "description": "Une question.",
                "idempotencyKey": f"x-{field}-{real}",
            }
            return {"input": {**base, field: [value] if many else value}}

        return make

    calls = [
        *both(COMMENT, on_request({"body": "Bonjour"})),
        *both(CANCEL, on_request({})),
        *both(CONFIRM, on_request({})),
        *both(REOPEN, on_request({"comment": "Non"})),
        *both(CREATE, create("billingAccountId", "BillingAccount", world_a.account.id)),
        *both(CREATE, create("lineIds", "Line", world_a.line.id, many=True)),
        *both(CREATE, create("invoiceId", "Invoice", world_a.invoice.id)),
        *both(CREATE, create("relatedRequestId", "ServiceRequest", a["ServiceRequest"])),
        *both(CREATE, create("attachmentIds", "Attachment", a["LooseAttachment"], many=True)),
        *both(
            CREATE,
            lambda real: {
                "input": {
                    "organisationId": gid("Organisation", world_a.org.id if real else UNKNOWN),
                    "category": "OTHER",
                    "subject": "Question",
                    "description": "Une question.",
                    "idempotencyKey": "x-org",
                }
            },
        ),
    ]
    answers = [await gql(document, variables, token=b.creator.token) for document, variables in calls]

    for index in range(0, len(answers), 2):
        assert answers[index] == answers[index + 1], (calls[index][1], answers[index], answers[index + 1])
    assert [_code(answer) for answer in answers[::2]] == ["NOT_FOUND"] * 9 + ["FORBIDDEN"]
    assert await snapshot(sessionmaker) == before


def _code(answer: dict[str, Any]) -> str:
    """The one refusal of an answer: a top-level error's code, or its payload's (with no request)."""
    if answer.get("errors"):
        return str(answer["errors"][0]["extensions"]["code"])
    (payload,) = answer["data"].values()
    assert payload["serviceRequest"] is None
    (error,) = payload["errors"]
    return str(error["code"])


async def test_a_filter_on_another_organisations_account_matches_nothing(gql, http, sessionmaker) -> None:
    a = await _world_a(http, sessionmaker)
    b = await make_sr_world(sessionmaker, name="B")
    await open_request(sessionmaker, b)

    response = await gql(
        LIST,
        {
            "id": gid("Organisation", b.org.id),
            "filter": {"billingAccountId": gid("BillingAccount", a["world"].account.id)},
        },
        token=b.creator.token,
    )

    assert response["data"]["organisation"]["serviceRequests"]["totalCount"] == 0

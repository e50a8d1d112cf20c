"""Outgoing webhooks: endpoints, signed deliveries, retries, the key's rights, the outbox.

Deliveries go to an httpx MockTransport (tests/factories_webhooks.Receiver); host names resolve
through a stub; the app's own worker is driven by hand (its background loop stopped) with the
test's clock, so every attempt and every back-off is exact.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.webhooks import Event, WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks.events import record_event
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_api_keys import make_api_key
from tests.factories_webhooks import (
    CREATE,
    HOOK_URL,
    PUBLIC_IP,
    Receiver,
    StubResolver,
    independent_signature,
    make_endpoint,
    manual_worker,
    worker_for,
)

DELIVERIES = """query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { status disabledReason
  deliveries(first: 10) { totalCount edges { node { id status attempts lastResponseStatus lastAttemptAt
  nextAttemptAt event { id type subjectId } } } } } } }"""
TEST = "mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) { delivery { id status attempts event { subjectId } } errors { code field } } }"
REDELIVER = "mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) { delivery { id status event { id } } errors { code field } } }"
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) { endpoint { id url } secret errors { code field } } }"
EVENTS = """query($id: ID!, $type: [WebhookEventType!], $since: DateTime) { organisation(id: $id) {
  events(first: 50, type: $type, since: $since) { totalCount edges { node { type subjectId } } } } }"""


async def _scene(sessionmaker):  # type: ignore[no-untyped-def]
    """An organisation with accounts A and B, its primary admin, a second admin, and two keys:
    `whole` (INVOICES, PAYMENTS, INTEGRATIONS READ everywhere) and `a_only` (INVOICES READ over A)."""
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name="Sotra Logistique")
        a = await make_account(session, org, name="A")
        b = await make_account(session, org, name="B")
        admin = await make_member(session, org, primary_admin=True, email="dg@sotra.test")
        await make_member(session, org, roles=[("ADMIN", None)], email="it@sotra.test")
        await make_member(session, org, roles=[("FINANCE", None)], email="compta@sotra.test")
        whole = await make_api_key(
            session,
            org,
            name="ERP",
            permissions=[("INVOICES", "READ", None), ("PAYMENTS", "READ", None), ("INTEGRATIONS", "READ", None)],
        )
        a_only = await make_api_key(
            session, org, name="Agence A", permissions=[("INVOICES", "READ", a.id), ("INTEGRATIONS", "READ", None)]
        )
    return org, a, b, admin, whole, a_only


def _create_input(org, key, **extra):  # type: ignore[no-untyped-def]
    return {
        "input": {
            "organisationId": to_global_id("Organisation", org.id),
            "url": HOOK_URL,
            "eventTypes": ["INVOICE_ISSUED", "INVOICE_PAID"],
            "apiKeyId": to_global_id("ApiKey", key.api_key_id),
            **extra,
        }
    }


async def _event(sessionmaker, org, *, type="INVOICE_ISSUED", subject=1, accounts=(), now=TEST_NOW, owner=None):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        return await record_event(
            session,
            type=type,
            organisation_id=org.id,
            subject_pk=subject,
            billing_account_ids=list(accounts),
            now=now,
            owner_principal=owner,
        )


async def _deliveries(sessionmaker) -> list[WebhookDelivery]:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return list((await session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars())


# -- creating, signing, delivering -----------------------------------------------------------------


async def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(app, gql, sessionmaker) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())

    result = await gql(CREATE, _create_input(org, whole, description="ERP sync"), token=admin.token)
    listed = await gql(
        "query($id: ID!) { organisation(id: $id) { webhookEndpoints(first: 5) { totalCount edges { node { url } } } } }",
        {"id": to_global_id("Organisation", org.id)},
        token=admin.token,
    )

    payload = result["data"]["createWebhookEndpoint"]
    assert payload["errors"] == []
    assert payload["secret"].startswith("whsec_") and len(payload["secret"]) == 50
    assert {k: v for k, v in payload["endpoint"].items() if k != "id"} == {
        "url": HOOK_URL,
        "description": "ERP sync",
        "eventTypes": ["INVOICE_ISSUED", "INVOICE_PAID"],
        "status": "ENABLED",
        "disabledReason": None,
        "createdAt": "2026-11-25T10:00:00+00:00",
        "apiKey": {"name": "ERP"},
    }
    assert listed["data"]["organisation"]["webhookEndpoints"] == {
        "totalCount": 1,
        "edges": [{"node": {"url": HOOK_URL}}],
    }
    async with sessionmaker() as session:
        stored = (await session.execute(select(WebhookEndpoint))).scalar_one()
        audit = (
            await session.execute(select(models.AuditEvent.action).where(models.AuditEvent.organisation_id == org.id))
        ).scalars()
        assert payload["secret"] not in json.dumps([stored.url, stored.secret_salt, stored.description])
        assert list(audit) == ["webhook_endpoint.created"]


async def test_a_delivery_is_signed_as_standard_webhooks_says(app, gql, sessionmaker, clock) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    created = (await gql(CREATE, _create_input(org, whole), token=admin.token))["data"]["createWebhookEndpoint"]
    event_id = await _event(sessionmaker, org, subject=41, accounts=[a.id])
    clock.current = TEST_NOW + timedelta(seconds=7)

    made = await worker.run_pending()

    assert made == 1
    [request] = receiver.requests
    body = request.content
    assert json.loads(body) == {
        "id": to_global_id("Event", event_id),
        "type": "INVOICE_ISSUED",
        "createdAt": "2026-11-25T10:00:00Z",
        "organisationId": to_global_id("Organisation", org.id),
        "data": {"id": to_global_id("Invoice", 41)},
    }
    assert request.headers["webhook-id"] == to_global_id("Event", event_id)
    assert request.headers["webhook-timestamp"] == str(int((TEST_NOW + timedelta(seconds=7)).timestamp()))
    assert request.headers["webhook-signature"] == independent_signature(
        created["secret"], request.headers["webhook-id"], request.headers["webhook-timestamp"], body
    )
    assert request.headers["content-type"] == "application/json"
    # Sent to the address checked, for the URL's host (TLS verified against that name).
    assert (request.url.scheme, request.url.host, request.url.path) == ("https", PUBLIC_IP, "/guichet")
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    [delivery] = await _deliveries(sessionmaker)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == ("SUCCEEDED", 1, 200)


async def test_a_wrong_secret_does_not_verify(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    other = (await gql(CREATE, _create_input(org, whole), token=admin.token))["data"]["createWebhookEndpoint"]
    await _event(sessionmaker, org, accounts=[a.id])

    await worker.run_pending()

    verified = sorted(
        r.headers["webhook-signature"]
        == independent_signature(other["secret"], r.headers["webhook-id"], r.headers["webhook-timestamp"], r.content)
        for r in receiver.requests
    )
    assert verified == [False, True]  # only the second endpoint's delivery verifies with its secret


async def test_a_failing_endpoint_is_retried_with_backoff_then_disabled_after_3_days_and_admins_emailed(
    app, gql, sessionmaker, clock
) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver(statuses=[500])
    worker = await manual_worker(app, StubResolver(), receiver)
    endpoint_id = (await gql(CREATE, _create_input(org, whole), token=admin.token))["data"]["createWebhookEndpoint"][
        "endpoint"
    ]["id"]
    await _event(sessionmaker, org, accounts=[a.id])

    await worker.run_pending()
    nexts = []
    first = (await _deliveries(sessionmaker))[0]
    nexts.append(first.next_attempt_at - TEST_NOW)
    for _ in range(3):
        clock.current = first.next_attempt_at
        await worker.run_pending()
        first = (await _deliveries(sessionmaker))[0]
        nexts.append(first.next_attempt_at - clock.current)
    before_deadline = (first.status, first.attempts, first.last_response_status)
    # A later event: its delivery is still waiting when the endpoint is disabled.
    clock.current = first.next_attempt_at
    await _event(sessionmaker, org, subject=2, accounts=[a.id], now=clock.current)
    await worker.fan_out()
    # Keep failing until the 3-day mark: the last attempt falls on it.
    while first.status == "RETRYING":
        clock.current = first.next_attempt_at
        await worker.run_pending()
        first = (await _deliveries(sessionmaker))[0]

    assert nexts == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert before_deadline == ("RETRYING", 4, 500)
    assert first.status == "FAILED" and first.last_attempt_at == TEST_NOW + timedelta(days=3)
    # 11 doubling waits (30 s .. 8.5 h) reach 17 h, four of 12 h reach 65 h, the last at 72 h.
    assert first.attempts == 17
    node = (await gql(DELIVERIES, {"id": endpoint_id}, token=admin.token))["data"]["node"]
    assert node["status"] == "DISABLED"
    assert node["disabledReason"] == "Deliveries failed for 3 days (last: HTTP 500)."
    assert [e["node"]["status"] for e in node["deliveries"]["edges"]] == ["FAILED", "FAILED"]
    assert node["deliveries"]["edges"][0]["node"]["nextAttemptAt"] is None
    async with sessionmaker() as session:
        mails = (
            await session.execute(
                select(models.OutboxEmail.to_address, models.OutboxEmail.subject).order_by(
                    models.OutboxEmail.to_address
                )
            )
        ).all()
    assert [tuple(m) for m in mails] == [
        ("dg@sotra.test", f"Webhook endpoint disabled: {HOOK_URL}"),
        ("it@sotra.test", f"Webhook endpoint disabled: {HOOK_URL}"),
    ]
    # Disabled: new events are no longer fanned out to it.
    sent = len(receiver.requests)
    await _event(sessionmaker, org, subject=3, accounts=[a.id], now=clock.current)
    await worker.run_pending()
    assert len(receiver.requests) == sent and len(await _deliveries(sessionmaker)) == 2


async def test_a_successful_test_enables_a_disabled_endpoint_again(app, gql, sessionmaker) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    async with sessionmaker() as session, session.begin():
        endpoint = await make_endpoint(session, org, whole.api_key_id, status="DISABLED")
    endpoint_id = to_global_id("WebhookEndpoint", endpoint.id)

    queued = (await gql(TEST, {"id": endpoint_id}, token=admin.token))["data"]["sendTestWebhook"]
    await worker.run_pending()
    node = (await gql(DELIVERIES, {"id": endpoint_id}, token=admin.token))["data"]["node"]

    assert queued["errors"] == []
    assert queued["delivery"]["status"] == "PENDING" and queued["delivery"]["attempts"] == 0
    assert queued["delivery"]["event"]["subjectId"] == endpoint_id
    assert json.loads(receiver.requests[0].content)["data"] == {"id": endpoint_id}
    assert node["status"] == "ENABLED" and node["disabledReason"] is None
    assert node["deliveries"]["edges"][0]["node"]["status"] == "SUCCEEDED"


async def test_a_timeout_is_a_failed_attempt_without_status(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    worker = await manual_worker(app, StubResolver(), Receiver(raise_timeout=True))
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    await _event(sessionmaker, org, accounts=[a.id])

    await worker.run_pending()

    [delivery] = await _deliveries(sessionmaker)
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "RETRYING",
        1,
        None,
        "timeout (10 s)",
    )


async def test_redeliver_sends_the_same_event_again_as_a_new_delivery(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    event_id = await _event(sessionmaker, org, accounts=[a.id])
    await worker.run_pending()
    [first] = await _deliveries(sessionmaker)

    again = await gql(REDELIVER, {"id": to_global_id("WebhookDelivery", first.id)}, token=admin.token)
    await worker.run_pending()

    payload = again["data"]["redeliverWebhook"]
    assert payload["errors"] == [] and payload["delivery"]["status"] == "PENDING"
    assert payload["delivery"]["event"]["id"] == to_global_id("Event", event_id)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [to_global_id("Event", event_id)] * 2
    assert [(d.status, d.attempts) for d in await _deliveries(sessionmaker)] == [("SUCCEEDED", 1), ("SUCCEEDED", 1)]


async def test_deleting_an_endpoint_removes_its_delivery_log(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    worker = await manual_worker(app, StubResolver(), Receiver())
    endpoint_id = (await gql(CREATE, _create_input(org, whole), token=admin.token))["data"]["createWebhookEndpoint"][
        "endpoint"
    ]["id"]
    await _event(sessionmaker, org, accounts=[a.id])
    await worker.run_pending()

    result = await gql(DELETE, {"id": endpoint_id}, token=admin.token)

    assert result["data"]["deleteWebhookEndpoint"] == {
        "endpoint": {"id": endpoint_id, "url": HOOK_URL},
        "secret": None,
        "errors": [],
    }
    assert await _deliveries(sessionmaker) == []
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(WebhookEndpoint.id)))).scalar_one() == 0


# -- the key's rights and scope ------------------------------------------------------------------


async def test_a_key_over_one_account_receives_only_that_accounts_events(app, gql, sessionmaker) -> None:
    org, a, b, admin, _whole, a_only = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    await gql(
        CREATE,
        _create_input(org, a_only, eventTypes=["INVOICE_ISSUED", "PAYMENT_SUCCEEDED", "INSTALLMENT_UNPAID"]),
        token=admin.token,
    )
    on_a = await _event(sessionmaker, org, subject=1, accounts=[a.id])
    await _event(sessionmaker, org, subject=2, accounts=[b.id])
    await _event(sessionmaker, org, subject=3, accounts=[a.id, b.id])  # a payment over both accounts
    await _event(sessionmaker, org, type="PAYMENT_SUCCEEDED", subject=4, accounts=[a.id])  # no PAYMENTS READ
    await _event(sessionmaker, org, type="INSTALLMENT_UNPAID", subject=5)  # the whole organisation's

    await worker.run_pending()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [to_global_id("Event", on_a)]


async def test_an_organisation_wide_key_receives_every_type_it_may_read(app, gql, sessionmaker) -> None:
    org, a, b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    await gql(CREATE, _create_input(org, whole, eventTypes=["INVOICE_ISSUED", "PAYMENT_SUCCEEDED"]), token=admin.token)
    await _event(sessionmaker, org, subject=1, accounts=[a.id])
    await _event(sessionmaker, org, subject=2, accounts=[b.id])
    await _event(sessionmaker, org, type="PAYMENT_SUCCEEDED", subject=3, accounts=[a.id, b.id])
    await _event(sessionmaker, org, type="INVOICE_PAID", subject=4, accounts=[a.id])  # not subscribed

    await worker.run_pending()

    assert sorted(json.loads(r.content)["data"]["id"] for r in receiver.requests) == sorted(
        [to_global_id("Invoice", 1), to_global_id("Invoice", 2), to_global_id("Payment", 3)]
    )


async def test_an_export_completed_goes_to_its_own_keys_endpoints_only(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    async with sessionmaker() as session, session.begin():
        reporter = await make_api_key(session, org, permissions=[("REPORTS", "EXPORT", None)])
        mine = await make_endpoint(session, org, reporter.api_key_id, event_types=["EXPORT_COMPLETED"])
        await make_endpoint(session, org, whole.api_key_id, event_types=["EXPORT_COMPLETED"])
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    await _event(sessionmaker, org, type="EXPORT_COMPLETED", subject=7, owner=f"api_key:{reporter.api_key_id}")
    await _event(sessionmaker, org, type="EXPORT_COMPLETED", subject=8, owner=f"contact:{admin.contact_id}")

    await worker.run_pending()

    assert [(d.endpoint_id, d.status) for d in await _deliveries(sessionmaker)] == [(mine.id, "SUCCEEDED")]
    assert json.loads(receiver.requests[0].content)["data"] == {"id": to_global_id("ExportJob", 7)}


async def test_a_key_revoked_after_the_event_gets_nothing_sent(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver(statuses=[500, 200])
    worker = await manual_worker(app, StubResolver(), receiver)
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    await _event(sessionmaker, org, accounts=[a.id])
    await worker.run_pending()  # a first attempt fails: RETRYING
    async with sessionmaker() as session, session.begin():
        key = await session.get(models.ApiKey, whole.api_key_id)
        key.revoked_at = TEST_NOW
    worker.clock.current = TEST_NOW + timedelta(minutes=5)  # type: ignore[attr-defined]

    await worker.run_pending()

    [delivery] = await _deliveries(sessionmaker)
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.last_error) == (
        "FAILED",
        "the endpoint's API key may not read this event's subject",
    )


# -- SSRF ----------------------------------------------------------------------------------------

REFUSED_ADDRESSES = [
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",  # loopback
    "::1",
    "169.254.169.254",  # link-local: the cloud metadata service
    "fe80::1",
    "224.0.0.251",  # multicast
    "ff02::1",
    "240.0.0.1",  # reserved
    "0.0.0.0",  # unspecified
    "100.64.0.1",  # shared (carrier-grade NAT)
    "fd12:3456::1",  # unique local
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "192.0.2.10",  # documentation
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
async def test_an_endpoint_resolving_to_a_non_public_address_is_refused(app, gql, sessionmaker, address) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver({"hooks.example.com": [address]}), Receiver())

    result = await gql(CREATE, _create_input(org, whole), token=admin.token)

    assert result["data"]["createWebhookEndpoint"] == {
        "endpoint": None,
        "secret": None,
        "errors": [{"code": "WEBHOOK_URL_NOT_ALLOWED", "field": ["input", "url"]}],
    }
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(WebhookEndpoint.id)))).scalar_one() == 0


@pytest.mark.parametrize(
    ("url", "table"),
    [
        (HOOK_URL, {"hooks.example.com": [PUBLIC_IP, "10.0.0.5"]}),  # one public, one private: refused
        (HOOK_URL, {"hooks.example.com": ["2606:4700::1111", "::1"]}),
        (HOOK_URL, {}),  # does not resolve
        ("http://hooks.example.com/guichet", {"hooks.example.com": [PUBLIC_IP]}),  # not https
        ("https://127.0.0.1/hook", {}),  # a literal address is checked too
        ("https://[::ffff:169.254.169.254]/hook", {}),
        ("https://user:pw@hooks.example.com/x", {"hooks.example.com": [PUBLIC_IP]}),  # credentials
        ("ftp://hooks.example.com/x", {"hooks.example.com": [PUBLIC_IP]}),
        ("not a url", {}),
    ],
)
async def test_urls_that_are_not_https_to_public_addresses_are_refused(app, gql, sessionmaker, url, table) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(table), Receiver())

    result = await gql(CREATE, _create_input(org, whole, url=url), token=admin.token)

    assert result["data"]["createWebhookEndpoint"]["errors"] == [
        {"code": "WEBHOOK_URL_NOT_ALLOWED", "field": ["input", "url"]}
    ]


async def test_a_host_that_resolves_to_a_private_address_at_delivery_gets_nothing(app, gql, sessionmaker) -> None:
    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    resolver, receiver = StubResolver(), Receiver()
    worker = await manual_worker(app, resolver, receiver)
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    resolver.table["hooks.example.com"] = [PUBLIC_IP, "169.254.169.254"]  # DNS rebinding
    await _event(sessionmaker, org, accounts=[a.id])

    await worker.run_pending()

    [delivery] = await _deliveries(sessionmaker)
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "RETRYING",
        1,
        None,
        "address not allowed (webhook_url_not_public)",
    )
    assert resolver.asked == ["hooks.example.com", "hooks.example.com"]  # at creation, then at delivery


async def test_allow_private_lets_http_and_local_addresses_through(settings, clock, sessionmaker) -> None:
    from guichet.server import create_app
    from tests.conftest import GraphQLClient

    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    application = create_app(settings.with_overrides(webhook_allow_private=True), clock=clock)
    import httpx

    async with application.router.lifespan_context(application):
        receiver = Receiver()
        worker = await manual_worker(application, StubResolver({"localhost": ["127.0.0.1"]}), receiver)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as http:
            result = await GraphQLClient(http)(
                CREATE, _create_input(org, whole, url="http://localhost:8080/hook"), token=admin.token
            )
        await _event(sessionmaker, org, accounts=[a.id])
        await worker.run_pending()

    assert result["data"]["createWebhookEndpoint"]["errors"] == []
    assert [str(r.url) for r in receiver.requests] == ["http://127.0.0.1:8080/hook"]
    assert receiver.requests[0].headers["host"] == "localhost:8080"


# -- refusals ------------------------------------------------------------------------------------


async def test_the_eleventh_endpoint_is_refused(app, gql, sessionmaker) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())
    for _ in range(10):
        assert (await gql(CREATE, _create_input(org, whole), token=admin.token))["data"]["createWebhookEndpoint"][
            "errors"
        ] == []

    result = await gql(CREATE, _create_input(org, whole), token=admin.token, lang="fr")

    assert result["data"]["createWebhookEndpoint"]["errors"] == [
        {"code": "WEBHOOK_ENDPOINT_LIMIT_REACHED", "field": ["input"]}
    ]
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(WebhookEndpoint.id)))).scalar_one() == 10


async def test_a_revoked_key_a_foreign_key_and_no_event_type_are_refused(app, gql, sessionmaker) -> None:
    org, _a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        revoked = await make_api_key(session, org, permissions=[("INVOICES", "READ", None)], revoked=True)
        elsewhere = await make_organisation(session, name="Autre")
        foreign = await make_api_key(session, elsewhere, permissions=[("INVOICES", "READ", None)])

    answers = [
        (await gql(CREATE, variables, token=admin.token))["data"]["createWebhookEndpoint"]["errors"]
        for variables in (
            _create_input(org, revoked),
            _create_input(org, foreign),
            _create_input(org, whole, eventTypes=[]),
            _create_input(org, whole, description="x" * 501),
        )
    ]

    assert answers == [
        [{"code": "VALIDATION", "field": ["input", "apiKeyId"]}],
        [{"code": "NOT_FOUND", "field": ["input", "apiKeyId"]}],
        [{"code": "VALIDATION", "field": ["input", "eventTypes"]}],
        [{"code": "VALIDATION", "field": ["input", "description"]}],
    ]
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(WebhookEndpoint.id)))).scalar_one() == 0


async def test_a_key_cannot_manage_endpoints(app, gql, sessionmaker) -> None:
    org, _a, _b, _admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())

    result = await gql(CREATE, _create_input(org, whole), token=whole.secret)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- events: catching up ---------------------------------------------------------------------------


async def test_events_list_what_the_reader_may_read_for_30_days(app, gql, sessionmaker, clock) -> None:
    org, a, b, _admin, whole, a_only = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())
    await _event(sessionmaker, org, subject=1, accounts=[a.id], now=TEST_NOW - timedelta(days=31))  # too old
    await _event(sessionmaker, org, subject=2, accounts=[a.id], now=TEST_NOW - timedelta(days=29))
    await _event(sessionmaker, org, subject=3, accounts=[b.id], now=TEST_NOW - timedelta(days=2))
    await _event(sessionmaker, org, type="PAYMENT_FAILED", subject=4, accounts=[a.id], now=TEST_NOW - timedelta(days=1))
    await _event(sessionmaker, org, type="INSTALLMENT_UNPAID", subject=5, now=TEST_NOW)  # no SCHEDULES READ
    org_id = to_global_id("Organisation", org.id)

    def listed(result):  # type: ignore[no-untyped-def]
        return [(e["node"]["type"], e["node"]["subjectId"]) for e in result["data"]["organisation"]["events"]["edges"]]

    everything = listed(await gql(EVENTS, {"id": org_id}, token=whole.secret))
    over_a = listed(await gql(EVENTS, {"id": org_id}, token=a_only.secret))
    invoices = listed(await gql(EVENTS, {"id": org_id, "type": ["INVOICE_ISSUED"]}, token=whole.secret))
    recent = listed(
        await gql(EVENTS, {"id": org_id, "since": (TEST_NOW - timedelta(days=3)).isoformat()}, token=whole.secret)
    )

    assert everything == [
        ("PAYMENT_FAILED", to_global_id("Payment", 4)),
        ("INVOICE_ISSUED", to_global_id("Invoice", 3)),
        ("INVOICE_ISSUED", to_global_id("Invoice", 2)),
    ]
    assert over_a == [("INVOICE_ISSUED", to_global_id("Invoice", 2))]
    assert invoices == [("INVOICE_ISSUED", to_global_id("Invoice", 3)), ("INVOICE_ISSUED", to_global_id("Invoice", 2))]
    assert recent == everything[:2]

    # The loop purges what is older than 30 days.
    worker = app.state.guichet.webhook_worker
    assert await worker.purge() == 1
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(Event.id)))).scalar_one() == 4


# -- never lost ------------------------------------------------------------------------------------


async def test_an_undelivered_event_is_delivered_by_a_new_process(app, gql, sessionmaker, clock, settings) -> None:
    """The first process stops before its loop ran (or died mid-attempt): the outbox rows stay, and
    another process's worker (its own engine) delivers them, each once."""
    from guichet.db import create_engine, session_factory

    org, a, _b, admin, whole, _ = await _scene(sessionmaker)
    await manual_worker(app, StubResolver(), Receiver())
    await gql(CREATE, _create_input(org, whole), token=admin.token)
    await _event(sessionmaker, org, subject=1, accounts=[a.id])
    claimed = await _event(sessionmaker, org, subject=2, accounts=[a.id])
    # A process fanned the second event out and claimed its attempt, then died before sending.
    async with sessionmaker() as session, session.begin():
        endpoint = (await session.execute(select(WebhookEndpoint))).scalar_one()
        event = await session.get(Event, claimed)
        event.fanned_out_at = TEST_NOW
        session.add(
            WebhookDelivery(
                organisation_id=org.id,
                endpoint_id=endpoint.id,
                event_id=claimed,
                status="PENDING",
                attempts=1,
                created_at=TEST_NOW,
                next_attempt_at=TEST_NOW + timedelta(minutes=1),
            )
        )
    policy = app.state.guichet.policy_engine
    engine = create_engine(settings.database_url)
    receiver = Receiver()
    try:
        other = worker_for(session_factory(engine), lambda: policy, clock, StubResolver(), receiver)
        await other.run_pending()
        now_sent = [json.loads(r.content)["data"]["id"] for r in receiver.requests]
        clock.current = TEST_NOW + timedelta(minutes=1)  # the dead process's claim lapses
        await other.run_pending()
        await other.run_pending()
    finally:
        await engine.dispose()

    assert now_sent == [to_global_id("Invoice", 1)]
    assert [json.loads(r.content)["data"]["id"] for r in receiver.requests] == [
        to_global_id("Invoice", 1),
        to_global_id("Invoice", 2),
    ]
    assert [(d.status, d.attempts) for d in await _deliveries(sessionmaker)] == [("SUCCEEDED", 2), ("SUCCEEDED", 1)]


async def test_a_request_writes_the_event_and_the_loop_delivers_it_later(app, sessionmaker) -> None:
    """record_event only writes a row in the caller's transaction: rolled back, nothing is sent."""
    org, a, _b, _admin, whole, _ = await _scene(sessionmaker)
    receiver = Receiver()
    worker = await manual_worker(app, StubResolver(), receiver)
    async with sessionmaker() as session, session.begin():
        await make_endpoint(session, org, whole.api_key_id)
    async with sessionmaker() as session:
        async with session.begin():
            await record_event(
                session,
                type="INVOICE_PAID",
                organisation_id=org.id,
                subject_pk=9,
                billing_account_ids=[a.id],
                now=TEST_NOW,
            )
            await session.rollback()

    await worker.run_pending()

    assert receiver.requests == []
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(Event.id)))).scalar_one() == 0

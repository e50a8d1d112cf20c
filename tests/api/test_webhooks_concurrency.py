"""Outgoing webhooks under concurrency, on PostgreSQL: the endpoint limit holds, and two workers
fan out and deliver each event once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from guichet.domain.ids import to_global_id
from guichet.domain.models.webhooks import WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks.events import record_event
from tests.api.test_payments_concurrency import postgres_database_url  # noqa: F401  (the fixture)
from tests.conftest import POSTGRES_URL, TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_api_keys import make_api_key
from tests.factories_webhooks import CREATE, HOOK_URL, Receiver, StubResolver, make_endpoint, manual_worker, worker_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL"),
]


@pytest.fixture
def database_url(postgres_database_url: str) -> str:  # noqa: F811
    return postgres_database_url


async def test_twelve_concurrent_creations_beside_eight_endpoints_leave_ten(app, gql, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        admin = await make_member(session, org, primary_admin=True)
        key = await make_api_key(session, org, permissions=[("INVOICES", "READ", None)])
        for _ in range(8):
            await make_endpoint(session, org, key.api_key_id)
    variables = {
        "input": {
            "organisationId": to_global_id("Organisation", org.id),
            "url": HOOK_URL,
            "eventTypes": ["INVOICE_PAID"],
            "apiKeyId": to_global_id("ApiKey", key.api_key_id),
        }
    }

    results = await asyncio.gather(*(gql(CREATE, variables, token=admin.token) for _ in range(12)))

    codes = sorted((r["data"]["createWebhookEndpoint"]["errors"] or [{"code": "OK"}])[0]["code"] for r in results)
    assert codes == ["OK"] * 2 + ["WEBHOOK_ENDPOINT_LIMIT_REACHED"] * 10
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count(WebhookEndpoint.id)))).scalar_one() == 10


async def test_two_workers_deliver_each_event_once(app, sessionmaker, clock) -> None:
    await manual_worker(app, StubResolver(), Receiver())
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        key = await make_api_key(session, org, permissions=[("INVOICES", "READ", None)])
        await make_endpoint(session, org, key.api_key_id)
        for pk in range(1, 31):
            await record_event(
                session,
                type="INVOICE_PAID",
                organisation_id=org.id,
                subject_pk=pk,
                billing_account_ids=[account.id],
                now=TEST_NOW,
            )
    policy = app.state.guichet.policy_engine
    receivers = [Receiver(), Receiver()]
    workers = [worker_for(sessionmaker, lambda: policy, clock, StubResolver(), r) for r in receivers]

    await asyncio.gather(*(w.run_pending() for w in workers))

    sent = sorted(r.headers["webhook-id"] for receiver in receivers for r in receiver.requests)
    async with sessionmaker() as session:
        deliveries = (await session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts))).all()
    assert len(sent) == 30 and len(set(sent)) == 30
    assert sorted(tuple(d) for d in deliveries) == [("SUCCEEDED", 1)] * 30

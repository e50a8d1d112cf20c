"""POST /webhooks/payments/{provider}: refusals change nothing, replays change nothing (OPERATIONS.md)."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import TEST_NOW
from tests.factories_payments import PAY, make_pay_world, pay_input, send_webhook, signed_request, snapshot


async def _pending(gql, sessionmaker, method: str = "ORANGE_MONEY"):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session)
    result = await gql(PAY, pay_input(world, method=method), token=world.finance.token)
    return world, result["data"]["payInvoices"]["payment"]


async def test_forged_signature_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW, secret="guess"
    )

    assert response.status_code == 400
    assert await snapshot(sessionmaker) == before


async def test_missing_or_malformed_signature_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)
    body = json.dumps({"reference": payment["reference"], "status": "SUCCEEDED"}).encode()

    missing = await http.post("/webhooks/payments/orange-money", content=body)
    malformed = await http.post(
        "/webhooks/payments/orange-money", content=body, headers={"Guichet-Signature": "v1=abc"}
    )

    assert (missing.status_code, malformed.status_code) == (400, 400)
    assert await snapshot(sessionmaker) == before


async def test_altered_body_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)
    body, headers = signed_request({"reference": payment["reference"], "status": "FAILED"}, at=TEST_NOW)

    response = await http.post(
        "/webhooks/payments/orange-money", content=body.replace(b"FAILED", b"SUCCEEDED"), headers=headers
    )

    assert response.status_code == 400
    assert await snapshot(sessionmaker) == before


async def test_stale_or_future_timestamp_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)
    event = {"reference": payment["reference"], "status": "SUCCEEDED"}

    stale = await send_webhook(http, "orange-money", event, at=TEST_NOW - timedelta(minutes=5, seconds=1))
    future = await send_webhook(http, "orange-money", event, at=TEST_NOW + timedelta(minutes=5, seconds=1))

    assert (stale.status_code, future.status_code) == (400, 400)
    assert await snapshot(sessionmaker) == before


async def test_replay_answers_200_and_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    event = {"reference": payment["reference"], "status": "SUCCEEDED"}
    first = await send_webhook(http, "orange-money", event, at=TEST_NOW)
    after_first = await snapshot(sessionmaker)

    same_request = await send_webhook(http, "orange-money", event, at=TEST_NOW)
    re_signed_later = await send_webhook(http, "orange-money", event, at=TEST_NOW + timedelta(seconds=90))

    assert first.json() == {"ok": True, "replayed": False, "applied": True}
    assert (same_request.status_code, re_signed_later.status_code) == (200, 200)
    assert same_request.json()["replayed"] is True
    assert await snapshot(sessionmaker) == after_first


async def test_late_contradicting_event_changes_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    await send_webhook(http, "orange-money", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW)
    before = await snapshot(sessionmaker)

    response = await send_webhook(
        http, "orange-money", {"reference": payment["reference"], "status": "FAILED"}, at=TEST_NOW
    )

    assert response.status_code == 200
    assert response.json()["applied"] is False
    after = await snapshot(sessionmaker)
    assert (after.invoices, after.payments, after.emails, after.audit) == (
        before.invoices,
        before.payments,
        before.emails,
        before.audit,
    )


async def test_unknown_reference_is_404(gql, http, sessionmaker) -> None:
    await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)

    response = await send_webhook(http, "orange-money", {"reference": "GP-NOPE", "status": "SUCCEEDED"}, at=TEST_NOW)

    assert response.status_code == 404
    assert await snapshot(sessionmaker) == before


async def test_malformed_bodies_are_400_and_change_nothing(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)
    reference = payment["reference"]

    for body in (
        b"not json",
        b"[1, 2]",
        json.dumps({"status": "SUCCEEDED"}).encode(),
        json.dumps({"reference": reference, "status": "DONE"}).encode(),
        json.dumps({"reference": reference, "status": "SUCCEEDED", "amount": 55000}).encode(),
        json.dumps({"reference": reference, "status": "SUCCEEDED", "amount": "abc"}).encode(),
        json.dumps({"reference": reference, "status": "SUCCEEDED", "amount": "99999999"}).encode(),
        # Orange Money settles the whole amount or nothing.
        json.dumps({"reference": reference, "status": "SUCCEEDED", "amount": "1000"}).encode(),
    ):
        response = await send_webhook(http, "orange-money", body, at=TEST_NOW)
        assert response.status_code == 400, body

    assert await snapshot(sessionmaker) == before


async def test_provider_must_match_the_payment_method(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)

    response = await send_webhook(
        http, "bank-transfer", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
    )
    unknown_provider = await send_webhook(
        http, "paypal", {"reference": payment["reference"], "status": "SUCCEEDED"}, at=TEST_NOW
    )

    assert response.status_code == 400
    assert unknown_provider.status_code == 404
    assert await snapshot(sessionmaker) == before


async def test_oversized_body_is_refused(gql, http, sessionmaker) -> None:
    _, payment = await _pending(gql, sessionmaker)
    before = await snapshot(sessionmaker)
    event = {"reference": payment["reference"], "status": "FAILED", "reason": "x" * 20000}

    response = await send_webhook(http, "orange-money", event, at=TEST_NOW)

    assert response.status_code == 413
    assert await snapshot(sessionmaker) == before

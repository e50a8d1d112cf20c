"""The webhook signature (Stripe scheme) and the event body of OPERATIONS.md."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from guichet.domain.payments.webhooks import WebhookRejected, parse_event, signature_header, verify_signature

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T = int(NOW.timestamp())
BODY = b'{"reference":"GP-ABC","status":"SUCCEEDED"}'


def test_header_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"secret", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header(BODY, "secret", T) == f"t={T},v1={expected}"


def test_valid_signature_passes_within_five_minutes() -> None:
    verify_signature(signature_header(BODY, "secret", T), BODY, "secret", NOW)
    verify_signature(signature_header(BODY, "secret", T - 300), BODY, "secret", NOW)
    verify_signature(signature_header(BODY, "secret", T + 300), BODY, "secret", NOW)


def test_any_v1_may_match_during_secret_rotation_and_other_schemes_are_ignored() -> None:
    good = signature_header(BODY, "new", T).split("v1=")[1]
    old = signature_header(BODY, "old", T).split("v1=")[1]
    verify_signature(f"t={T},v1={old},v1={good}", BODY, "new", NOW)
    with pytest.raises(WebhookRejected):
        verify_signature(f"t={T},v0={good}", BODY, "new", NOW)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"t={T}",
        "v1=abc",
        f"t=abc,v1={'0' * 64}",
        f"t={T},v1={'0' * 64}",
        signature_header(BODY, "other", T),
        signature_header(BODY, "secret", T - 301),
        signature_header(BODY, "secret", T + 301),
    ],
)
def test_bad_signatures_are_400(header: str | None) -> None:
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(header, BODY, "secret", NOW)
    assert caught.value.status == 400


def test_signature_covers_the_raw_bytes() -> None:
    header = signature_header(BODY, "secret", T)
    with pytest.raises(WebhookRejected):
        verify_signature(header, BODY.replace(b"SUCCEEDED", b"FAILED"), "secret", NOW + timedelta(seconds=1))


def test_event_is_parsed_and_deduplicated_by_body_or_event_id() -> None:
    event = parse_event("orange-money", BODY)
    assert (event.reference, event.status, event.reason, event.amount) == ("GP-ABC", "SUCCEEDED", None, None)
    assert parse_event("orange-money", BODY).dedup_key == event.dedup_key
    assert parse_event("card", BODY).dedup_key != event.dedup_key
    with_id = json.dumps({"reference": "GP-ABC", "status": "FAILED", "eventId": "evt_1"}).encode()
    same_id = json.dumps({"status": "FAILED", "reference": "GP-ABC", "eventId": "evt_1"}).encode()
    assert parse_event("card", with_id).dedup_key == parse_event("card", same_id).dedup_key


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'"x"',
        b'{"status":"SUCCEEDED"}',
        b'{"reference":"GP-ABC","status":"OK"}',
        b'{"reference":"GP-ABC","status":"FAILED","reason":5}',
        b'{"reference":"GP-ABC","status":"SUCCEEDED","amount":5}',
        b'{"reference":"","status":"SUCCEEDED"}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_event("orange-money", body)
    assert caught.value.status == 400

"""The rules of outgoing webhooks: the retry schedule, who reads an event, which addresses are public."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guichet.domain.webhooks import rules
from guichet.domain.webhooks.addresses import Target, is_public
from guichet.policies.engine import ALL_ACCOUNTS, NO_SCOPE, AccountScope

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_retries_double_from_30_seconds_up_to_12_hours() -> None:
    assert [rules.retry_delay(n) for n in (1, 2, 3, 10, 11, 12, 30)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(seconds=30 * 512),
        timedelta(seconds=30 * 1024),
        timedelta(hours=12),
        timedelta(hours=12),
    ]


def test_the_last_attempt_falls_on_the_3_day_mark_and_none_follows() -> None:
    assert rules.next_attempt(T0, 14, T0 + timedelta(days=2, hours=20)) == T0 + timedelta(days=3)
    assert rules.next_attempt(T0, 15, T0 + timedelta(days=3)) is None


@pytest.mark.parametrize(
    ("scope", "accounts", "owner", "expected"),
    [
        (ALL_ACCOUNTS, [], None, True),
        (ALL_ACCOUNTS, [1, 2], None, True),
        (AccountScope(False, frozenset({1})), [1], None, True),
        (AccountScope(False, frozenset({1})), [1, 2], None, False),  # every account of the subject
        (AccountScope(False, frozenset({1})), [], None, False),  # the whole organisation's
        (NO_SCOPE, [1], None, False),
        (ALL_ACCOUNTS, [], "api_key:7", True),
        (ALL_ACCOUNTS, [], "api_key:8", False),  # someone else's export
    ],
)
def test_who_may_read_an_event(scope: AccountScope, accounts: list[int], owner: str | None, expected: bool) -> None:
    assert rules.may_read(scope, accounts, owner, "api_key:7") is expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.215.14", True),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_the_connection_goes_to_the_checked_address() -> None:
    assert Target("https", "h.example", 443, "/a?b=1", "2606:4700::1111").connect_url() == (
        "https://[2606:4700::1111]:443/a?b=1"
    )

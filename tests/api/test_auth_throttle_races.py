"""The login throttle under real concurrency: each request on its own connection, at most five
passwords verified per e-mail however many logins race (on PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from guichet.domain import models
from tests.factories import PASSWORD, make_member, make_organisation
from tests.factories_throttle import count_verifications, wait_until

LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code } }
}
"""


async def _member(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        return await make_member(session, org, roles=[("FINANCE", None)], with_session=False)


def _outcome(result: dict) -> str:  # type: ignore[type-arg]
    payload = result["data"]["login"]
    return "SESSION" if payload["session"] is not None else payload["errors"][0]["code"]


async def _failures(sessionmaker, email: str) -> int:  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (
            await session.execute(
                select(func.count()).select_from(models.LoginAttempt).where(models.LoginAttempt.email == email)
            )
        ).scalar_one()


async def test_twenty_five_concurrent_logins_verify_at_most_five_passwords(app, gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    hasher = count_verifications(app)
    # Every password check waits until all 25 logins were either refused or let through to their check,
    # so the logins really overlap however slow the machine (real Argon2 takes tens of milliseconds).
    hasher.gate.clear()
    passwords = [f"Wrong#Pass{n}" for n in range(25)]
    passwords[12] = PASSWORD

    tasks = [asyncio.ensure_future(gql(LOGIN, {"email": member.email, "password": p})) for p in passwords]
    try:
        await wait_until(lambda: sum(t.done() for t in tasks) + len(hasher.verified) >= 25 or len(hasher.verified) > 5)
    finally:
        hasher.gate.set()
    results = await asyncio.gather(*tasks)

    outcomes = Counter(_outcome(r) for r in results)
    print(
        f"\n25 concurrent logins for one e-mail: {len(hasher.verified)} passwords verified, outcomes {dict(outcomes)}"
    )
    assert len(hasher.verified) <= 5
    assert outcomes["INVALID_CREDENTIALS"] + outcomes["SESSION"] == len(hasher.verified)
    assert outcomes["TOO_MANY_ATTEMPTS"] == 25 - len(hasher.verified)
    assert await _failures(sessionmaker, member.email) == outcomes["INVALID_CREDENTIALS"]


async def test_the_right_password_sent_in_the_middle_of_a_race_gets_no_session(app, gql, sessionmaker) -> None:
    member = await _member(sessionmaker)
    hasher = count_verifications(app)
    hasher.gate.clear()  # the first logins stay in their password check while the others arrive

    def login(password: str) -> asyncio.Task:  # type: ignore[type-arg]
        return asyncio.ensure_future(gql(LOGIN, {"email": member.email, "password": password}))

    first = [login(f"Wrong#Pass{n}") for n in range(12)]
    try:
        await wait_until(lambda: len(hasher.verified) >= 5)
        right = login(PASSWORD)
        last = [login(f"Wrong#Pass{n}") for n in range(13, 25)]
        later = [right, *last]
        await wait_until(lambda: all(t.done() for t in later) or len(hasher.verified) > 5)
    finally:
        hasher.gate.set()
    results = await asyncio.gather(*first, *later)

    assert _outcome(right.result()) == "TOO_MANY_ATTEMPTS"
    assert PASSWORD not in hasher.verified
    assert len(hasher.verified) == 5
    assert Counter(_outcome(r) for r in results) == {"INVALID_CREDENTIALS": 5, "TOO_MANY_ATTEMPTS": 20}
    assert await _failures(sessionmaker, member.email) == 5

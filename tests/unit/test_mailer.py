"""Outbox delivery over SMTP: delivered to a real local SMTP server, retried after failures, never lost,
never sent twice by two processes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from guichet.db import create_engine, session_factory
from guichet.domain import models
from guichet.domain.clock import FixedClock
from guichet.domain.mail import Attachment, enqueue_email
from guichet.mailer import CLAIM_LEASE, OutboxDelivery, SmtpTarget, SmtpUrlError, build_message, retry_delay
from tests.conftest import TEST_NOW
from tests.http_bodies import graphql_body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it receives; answers 451 (try later) while `refuse` is set."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = False
        self.on_accept: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Requested action aborted: try again later"
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        if self.on_accept is not None:
            self.on_accept()
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[Any]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


async def _enqueue(sessionmaker: Any, **kwargs: Any) -> int:
    async with sessionmaker() as session, session.begin():
        row = await enqueue_email(
            session,
            to=kwargs.get("to", "awa@acme.example"),
            subject=kwargs.get("subject", "Activez votre accès Guichet"),
            body=kwargs.get("body", "Bonjour,\n\nhttp://guichet.test/activate?token=abc\n"),
            now=TEST_NOW,
            attachments=kwargs.get("attachments"),
        )
        return row.id


async def _row(sessionmaker: Any, row_id: int) -> models.OutboxEmail:
    async with sessionmaker() as session:
        return (await session.execute(select(models.OutboxEmail).where(models.OutboxEmail.id == row_id))).scalar_one()


def _delivery(sessionmaker: Any, clock: FixedClock, port: int) -> OutboxDelivery:
    return OutboxDelivery(
        sessionmaker, clock, target=SmtpTarget.parse(f"smtp://127.0.0.1:{port}"), sender="no-reply@guichet.local"
    )


async def test_due_message_is_delivered_and_marked_sent(sessionmaker, smtp, clock) -> None:
    row_id = await _enqueue(
        sessionmaker, attachments=[Attachment("factures.csv", "text/csv", b"number;amount\nF-1;25000\n")]
    )

    assert await _delivery(sessionmaker, clock, smtp.port).deliver_due() == 1

    [received] = smtp.inbox.messages
    assert received["To"] == "awa@acme.example"
    assert received["From"] == "no-reply@guichet.local"
    assert received["Subject"] == "Activez votre accès Guichet"
    parts = list(received.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain" and not p.get_filename())
    assert "http://guichet.test/activate?token=abc" in body.get_payload(decode=True).decode()
    attachment = next(p for p in parts if p.get_filename() == "factures.csv")
    assert attachment.get_payload(decode=True) == b"number;amount\nF-1;25000\n"
    row = await _row(sessionmaker, row_id)
    assert (row.sent_at, row.attempts, row.last_error) == (TEST_NOW, 1, None)
    # Nothing left to do: a second pass sends nothing again.
    assert await _delivery(sessionmaker, clock, smtp.port).deliver_due() == 0
    assert len(smtp.inbox.messages) == 1


async def test_failures_are_retried_with_back_off_and_the_message_is_kept(sessionmaker, clock) -> None:
    port = free_port()
    row_id = await _enqueue(sessionmaker)
    delivery = _delivery(sessionmaker, clock, port)

    # No server listening yet: the attempt fails, the row stays, with the error and the next try.
    assert await delivery.deliver_due() == 0
    row = await _row(sessionmaker, row_id)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.next_attempt_at == TEST_NOW + timedelta(seconds=5)
    assert row.last_error

    server = SmtpServer(port)
    server.start()
    try:
        server.inbox.refuse = True
        assert await delivery.deliver_due() == 0  # not due before its back-off
        clock.current += timedelta(seconds=5)
        assert await delivery.deliver_due() == 0  # the server answers 451
        row = await _row(sessionmaker, row_id)
        assert (row.sent_at, row.attempts) == (None, 2)
        assert row.next_attempt_at == clock.current + timedelta(seconds=10)
        assert "451" in (row.last_error or "")

        server.inbox.refuse = False
        clock.current += timedelta(seconds=10)
        assert await delivery.deliver_due() == 1
    finally:
        server.stop()
    row = await _row(sessionmaker, row_id)
    assert (row.sent_at, row.attempts, row.last_error) == (clock.current, 3, None)
    assert [m["Subject"] for m in server.inbox.messages] == ["Activez votre accès Guichet"]


async def test_two_deliverers_never_send_the_same_row_twice(sessionmaker, smtp, clock) -> None:
    for n in range(4):
        await _enqueue(sessionmaker, subject=f"message {n}")

    sent = await asyncio.gather(
        _delivery(sessionmaker, clock, smtp.port).deliver_due(), _delivery(sessionmaker, clock, smtp.port).deliver_due()
    )

    assert sum(sent) == 4
    assert sorted(m["Subject"] for m in smtp.inbox.messages) == [f"message {n}" for n in range(4)]


def test_smtp_url_is_parsed_and_checked() -> None:
    assert SmtpTarget.parse("smtp://mail.local:2525") == SmtpTarget("mail.local", 2525, False, None, None)
    assert SmtpTarget.parse("smtps://u%40x:p%3Aw@mail.local") == SmtpTarget("mail.local", 465, True, "u@x", "p:w")
    for bad in ("http://mail.local", "smtp://", "mail.local:25", "smtp://mail.local:port"):
        with pytest.raises(SmtpUrlError):
            SmtpTarget.parse(bad)


def test_back_off_doubles_up_to_one_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(30) == timedelta(hours=1)


async def test_app_with_smtp_url_delivers_a_reset_link_right_away(settings, smtp, sessionmaker) -> None:
    import httpx

    from guichet.server import create_app
    from tests.factories import make_member, make_organisation

    clock = FixedClock(TEST_NOW)
    app = create_app(settings.with_overrides(smtp_url=f"smtp://127.0.0.1:{smtp.port}"), clock=clock)
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        member = await make_member(session, org)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as client:
            response = await client.post(
                "/graphql",
                json={
                    "query": "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }",
                    "variables": {"e": member.email},
                },
            )
            assert graphql_body(response) == {"data": {"requestPasswordReset": {"ok": True}}}
            for _ in range(200):  # the mailer is woken at once; allow a slow machine up to 10 s
                if smtp.inbox.messages:
                    break
                await asyncio.sleep(0.05)
    [received] = smtp.inbox.messages
    assert received["To"] == member.email
    assert "http://guichet.test/reset-password?token=" in received.get_payload(decode=True).decode()


class OutageSessions:
    """The sessionmaker, except while `down`: then every new session fails as a stopped database does."""

    def __init__(self, sessionmaker: Any) -> None:
        self.sessionmaker = sessionmaker
        self.down = False

    def __call__(self) -> Any:
        if self.down:
            raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 5432)")
        return self.sessionmaker()


async def test_a_database_outage_right_after_smtp_accepted_never_resends_the_message(sessionmaker, smtp, clock) -> None:
    row_id = await _enqueue(sessionmaker, subject="Reçu de paiement / Payment receipt GP-TEST")
    sessions = OutageSessions(sessionmaker)
    delivery = OutboxDelivery(
        sessions, clock, target=SmtpTarget.parse(f"smtp://127.0.0.1:{smtp.port}"), sender="no-reply@guichet.local"
    )
    smtp.inbox.on_accept = lambda: setattr(sessions, "down", True)  # the database stops right after the accept

    sent = await delivery.deliver_due()
    clock.current += CLAIM_LEASE + timedelta(seconds=1)  # the claim's lease has run out meanwhile
    with pytest.raises(ConnectionRefusedError):
        await delivery.deliver_due()  # still down: the pass fails, claiming nothing
    sessions.down = False
    smtp.inbox.on_accept = None
    after_outage = await delivery.deliver_due()
    later = await delivery.deliver_due()

    assert (sent, after_outage, later) == (1, 0, 0)
    assert len(smtp.inbox.messages) == 1
    row = await _row(sessionmaker, row_id)
    assert (row.sent_at, row.attempts) == (TEST_NOW, 1)


async def test_every_attempt_of_a_row_carries_the_same_message_id(sessionmaker) -> None:
    first_id = await _enqueue(sessionmaker)
    second_id = await _enqueue(sessionmaker)
    first, second = await _row(sessionmaker, first_id), await _row(sessionmaker, second_id)

    once = build_message(first, sender="no-reply@guichet.local", now=TEST_NOW)
    again = build_message(first, sender="no-reply@guichet.local", now=TEST_NOW + timedelta(hours=1))
    other = build_message(second, sender="no-reply@guichet.local", now=TEST_NOW)

    assert once["Message-ID"] == again["Message-ID"]
    assert once["Message-ID"].endswith("@guichet.local>")
    assert other["Message-ID"] != once["Message-ID"]

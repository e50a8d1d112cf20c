"""E-mail delivery from the outbox over SMTP (GUICHET_SMTP_URL), with retries and back-off.

Every message is first a row of outbox_emails (written inside the business transaction, see
guichet.domain.mail). This task only delivers: it claims a due row with a conditional UPDATE (so two
server processes never send the same row), sends it with aiosmtplib, and marks it sent; on failure
it keeps the row, records the error (never a secret) and schedules the next attempt with
exponential back-off. A row is never deleted, so a failure never loses a message.

Delivery is at-least-once, and exactly-once whenever this process survives: SMTP acceptance and
the database commit are two systems, so no single step covers both. Once the SMTP server has
accepted a message, its sent mark is kept in memory and retried before anything else is claimed
until the database takes it (a database outage right after the acceptance therefore never resends).
Only a crash of this process in that window, or an outage longer than CLAIM_LEASE, lets the row
become due again and be sent a second time; it then carries the same Message-ID (`message_id`), so
receiving systems can recognise the duplicate.

Without GUICHET_SMTP_URL nothing runs here: messages stay in the outbox and the log shows one line
per message (recipient and subject only, see guichet.domain.mail).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain import models
from guichet.domain.clock import Clock
from guichet.settings import Settings

log = logging.getLogger("guichet.mailer")

POLL_SECONDS = 0.5
BATCH_SIZE = 20
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(hours=1)
# A claimed row not marked sent within this lease (the process died mid-send) becomes due again.
CLAIM_LEASE = timedelta(minutes=2)
SMTP_TIMEOUT_SECONDS = 20.0


class SmtpUrlError(ValueError):
    """GUICHET_SMTP_URL is not smtp://host:port (or smtps://)."""


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    use_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """Read smtp://[user:password@]host[:port] or smtps://...; raise SmtpUrlError otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise SmtpUrlError("GUICHET_SMTP_URL must look like smtp://host:port")
        use_tls = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if use_tls else 25)
        except ValueError as error:
            raise SmtpUrlError("GUICHET_SMTP_URL has an invalid port") from error
        return cls(
            hostname=parts.hostname,
            port=port,
            use_tls=use_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the `attempts`-th failed try: 5 s, 10 s, 20 s, ... capped at one hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY)


def message_id(row: models.OutboxEmail, *, sender: str) -> str:
    """The row's Message-ID, the same at every attempt: a resent message is recognisably the same one.

    The creation time (to the microsecond) tells apart rows of two databases sharing the sender's domain.
    """
    domain = sender.rpartition("@")[2] or "guichet.local"
    created = row.created_at.strftime("%Y%m%d%H%M%S%f") if row.created_at else "0"
    return f"<outbox.{row.id}.{created}@{domain}>"


def build_message(row: models.OutboxEmail, *, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(row, sender=sender)
    message.set_content(row.body_text)
    for attachment in row.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        message.add_attachment(
            base64.b64decode(attachment["content_b64"]),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment["filename"],
        )
    return message


class OutboxDelivery:
    """Deliver due outbox rows; one call of deliver_due() is one pass (the background task loops on it)."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *, target: SmtpTarget, sender: str
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.target = target
        self.sender = sender
        # Rows the SMTP server accepted whose sent mark did not commit yet (the database was out).
        self.unmarked: dict[int, datetime] = {}

    async def deliver_due(self) -> int:
        """Record pending sent marks, then try every due row once; return how many were sent.

        Raise the database's error when a pending sent mark still cannot be recorded: nothing is
        claimed meanwhile, so a message already accepted is never sent again by this process.
        """
        await self.record_unmarked()
        now = self.clock.now()
        async with self.sessionmaker() as session:
            due = (
                await session.execute(
                    select(models.OutboxEmail.id, models.OutboxEmail.attempts)
                    .where(models.OutboxEmail.sent_at.is_(None), models.OutboxEmail.next_attempt_at <= now)
                    .order_by(models.OutboxEmail.next_attempt_at, models.OutboxEmail.id)
                    .limit(BATCH_SIZE)
                )
            ).all()
        sent = 0
        for row_id, attempts in due:
            if row_id in self.unmarked:
                continue
            row = await self._claim(row_id, attempts)
            if row is not None and await self._send(row):
                sent += 1
        return sent

    async def _claim(self, row_id: int, seen_attempts: int) -> models.OutboxEmail | None:
        """Take the row for this process: counts the attempt and pushes next_attempt_at past a lease.

        The UPDATE only matches when nobody claimed it since we read it (same attempts, not sent).
        """
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(models.OutboxEmail)
                .where(
                    models.OutboxEmail.id == row_id,
                    models.OutboxEmail.sent_at.is_(None),
                    models.OutboxEmail.attempts == seen_attempts,
                )
                .values(attempts=seen_attempts + 1, next_attempt_at=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await session.get(models.OutboxEmail, row_id)

    async def _send(self, row: models.OutboxEmail) -> bool:
        now = self.clock.now()
        try:
            await aiosmtplib.send(
                build_message(row, sender=self.sender, now=now),
                hostname=self.target.hostname,
                port=self.target.port,
                use_tls=self.target.use_tls,
                username=self.target.username,
                password=self.target.password,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # The error's class and text (server replies, connection errors) carry no secret of ours.
            reason = f"{type(error).__name__}: {error}"[:500]
            retry_at = self.clock.now() + retry_delay(row.attempts)
            await self._mark(row.id, last_error=reason, next_attempt_at=retry_at)
            log.warning(
                "mail delivery failed id=%s to=%s attempt=%s retry_at=%s error=%s",
                row.id,
                row.to_address,
                row.attempts,
                retry_at.isoformat(),
                type(error).__name__,
            )
            return False
        sent_at = self.clock.now()
        log.info("mail sent id=%s to=%s subject=%r", row.id, row.to_address, row.subject)
        try:
            await self._mark_sent(row.id, sent_at)
        except Exception:
            # Accepted but not recorded: retried first in every pass, so it is not claimed again here.
            self.unmarked[row.id] = sent_at
            log.warning("mail sent id=%s but not yet marked sent: retried at the next pass", row.id)
        return True

    async def _mark_sent(self, row_id: int, sent_at: datetime) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(models.OutboxEmail)
                .where(models.OutboxEmail.id == row_id, models.OutboxEmail.sent_at.is_(None))
                .values(sent_at=sent_at, last_error=None)
                .execution_options(synchronize_session=False)
            )

    async def record_unmarked(self) -> None:
        """Record the sent marks the database missed; raise its error if it still cannot take them."""
        for row_id, sent_at in sorted(self.unmarked.items()):
            await self._mark_sent(row_id, sent_at)
            del self.unmarked[row_id]

    async def _mark(self, row_id: int, **values: object) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(models.OutboxEmail)
                .where(models.OutboxEmail.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


async def run_delivery(delivery: OutboxDelivery, wakeup: asyncio.Event, stopping: asyncio.Event) -> None:
    """Deliver until `stopping` is set: a pass every POLL_SECONDS, or at once when `wakeup` is set."""
    while not stopping.is_set():
        try:
            await delivery.deliver_due()
        except Exception:  # a database hiccup must not kill delivery for the process's lifetime
            log.exception("mail delivery pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), POLL_SECONDS)
        wakeup.clear()


@dataclass
class RunningDelivery:
    """Mail delivery running for the app's lifetime: `wakeup` asks it to look at the outbox now."""

    delivery: OutboxDelivery
    wakeup: asyncio.Event
    stop: Callable[[], Awaitable[None]]


def start(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> RunningDelivery | None:
    """Start delivery when GUICHET_SMTP_URL is set (None otherwise: e-mails stay in the outbox)."""
    if not settings.smtp_url:
        return None
    target = SmtpTarget.parse(settings.smtp_url)
    delivery = OutboxDelivery(sessionmaker, clock, target=target, sender=settings.mail_from)
    wakeup = asyncio.Event()
    stopping = asyncio.Event()
    task = asyncio.create_task(run_delivery(delivery, wakeup, stopping), name="guichet-mailer")
    log.info("mail delivery started host=%s port=%s", target.hostname, target.port)

    async def stop() -> None:
        stopping.set()
        wakeup.set()
        try:
            await asyncio.wait_for(task, SMTP_TIMEOUT_SECONDS + 5)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if delivery.unmarked:  # one last try, so a restart does not resend what was accepted
            try:
                await delivery.record_unmarked()
            except Exception:
                log.warning("mail ids=%s sent but not marked sent at shutdown", sorted(delivery.unmarked))

    return RunningDelivery(delivery, wakeup, stop)

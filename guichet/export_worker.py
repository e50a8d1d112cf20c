"""Export jobs run in the background of every server process, each exactly once.

A pass looks for jobs that are CREATED, or RUNNING with a lease that ran out (their process died
or was restarted: the job is resumed from the start, into a new file), and claims each with a
guarded UPDATE (`attempt` must still be what it read), so two processes never both run one job.
The claimer renews its lease after each batch and stops, discarding its file, as soon as an
update guarded by its attempt matches nothing (the job was cancelled, or taken over after a
pause longer than the lease). Completing is such an update too: a job completes once.

Progress (row count so far, then status) is published after each batch for `exportUpdated`.

Performance: a batch is one statement of sources.BATCH_SIZE rows written straight to the file,
so memory does not grow with the export (bench/bench_export.py measures 200,000 invoices).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain.clock import Clock
from guichet.domain.ids import to_global_id
from guichet.domain.invoices.pdf import InvoicePdfRenderer, load_document
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting import sources, transitions
from guichet.domain.reporting.files import ExportStore, PdfZipWriter, TableWriter, finish
from guichet.domain.reporting.jobs import ExportChange
from guichet.domain.webhooks import events as webhook_events

log = logging.getLogger("guichet.exports")

# Jobs started here wake the worker at once; this pass catches other processes' jobs and lapsed leases.
POLL_SECONDS = 10.0
LEASE = timedelta(minutes=2)
LINK_LIFETIME = timedelta(days=7)


class LostClaim(Exception):
    """The job is no longer this attempt's (cancelled, or taken over)."""


class ExportWorker:
    """Claim and run due export jobs; `run_pending()` is one pass."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        store: ExportStore,
        renderer: InvoicePdfRenderer,
        publish: Any = None,
        batch_size: int = sources.BATCH_SIZE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.store = store
        self.renderer = renderer
        self.publish = publish
        self.batch_size = batch_size

    async def due(self) -> list[tuple[int, int]]:
        """(id, attempt) of jobs waiting, or running with a lapsed lease, oldest first."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(ExportJob.id, ExportJob.attempt)
                .where(
                    or_(
                        ExportJob.status == transitions.CREATED,
                        and_(ExportJob.status == transitions.RUNNING, ExportJob.lease_until < now),
                    )
                )
                .order_by(ExportJob.id)
                .limit(20)
            )
            return [(r.id, r.attempt) for r in rows.all()]

    async def claim(self, job_id: int, seen_attempt: int) -> ExportJob | None:
        """Take the job for this attempt; None when another worker took it first (or it is not due)."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            job = await session.get(ExportJob, job_id)
            if job is None or job.attempt != seen_attempt:
                return None
            if job.status == transitions.RUNNING and (job.lease_until is None or job.lease_until >= now):
                return None
            status = transitions.next_status(job.status, "claim")
            result = await session.execute(
                update(ExportJob)
                .where(
                    ExportJob.id == job_id,
                    ExportJob.attempt == seen_attempt,
                    ExportJob.status.in_(transitions.ACTIVE),
                )
                .values(
                    status=status,
                    attempt=seen_attempt + 1,
                    lease_until=now + LEASE,
                    started_at=job.started_at or now,
                    row_count=0,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            await session.refresh(job)
            return job

    async def _guarded(self, job: ExportJob, *, completed: bool = False, **values: Any) -> None:
        """Update the job only while it is still this attempt's RUNNING job; raise LostClaim otherwise.
        `completed`: record EXPORT_COMPLETED in the same transaction (for the principal's webhooks)."""
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                update(ExportJob)
                .where(
                    ExportJob.id == job.id,
                    ExportJob.attempt == job.attempt,
                    ExportJob.status == transitions.RUNNING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise LostClaim()
            if completed:
                await webhook_events.record_event(
                    session,
                    type=webhook_events.EventType.EXPORT_COMPLETED,
                    organisation_id=job.organisation_id,
                    subject_pk=job.id,
                    billing_account_ids=job.account_ids or [],
                    now=self.clock.now(),
                    owner_principal=job.principal,
                )

    async def _announce(self, job: ExportJob) -> None:
        if self.publish is not None:
            await self.publish([ExportChange("export", job.id, job.organisation_id)])

    async def purge_expired(self) -> int:
        """Delete the files of exports whose link lapsed (they read EXPIRED); answer how many."""
        now = self.clock.now()
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(ExportJob.id, ExportJob.organisation_id, ExportJob.file_name)
                    .where(
                        ExportJob.status == transitions.COMPLETED,
                        ExportJob.url_expires_at <= now,
                        ExportJob.file_name.is_not(None),
                    )
                    .limit(100)
                )
            ).all()
            for row in rows:
                self.store.discard(self.store.path(row.organisation_id, row.file_name))
                await session.execute(
                    update(ExportJob)
                    .where(ExportJob.id == row.id)
                    .values(file_name=None)
                    .execution_options(synchronize_session=False)
                )
        return len(rows)

    async def run_pending(self) -> int:
        """Claim and run every due job, one after the other, then purge lapsed files; answer how many ran."""
        ran = 0
        for job_id, attempt in await self.due():
            job = await self.claim(job_id, attempt)
            if job is not None:
                await self.run(job)
                ran += 1
        await self.purge_expired()
        return ran

    async def run(self, job: ExportJob) -> None:
        """Write the job's file and complete it; FAILED on an unexpected error; nothing if the claim is lost."""
        await self._announce(job)
        temporary = self.store.temporary(job.organisation_id, job.id, job.attempt)
        try:
            # Local writes of one batch at a time: short, and a thread per write would cost more.
            with open(temporary, "wb") as handle:  # noqa: ASYNC230
                count = await self._write(job, handle)
                size, digest = finish(handle, temporary)
            name = self.store.final_name(job.id, job.attempt, job.format)
            self.store.publish(temporary, job.organisation_id, name)
            now = self.clock.now()
            transitions.next_status(transitions.RUNNING, "complete")
            try:
                await self._guarded(
                    job,
                    completed=True,
                    status=transitions.COMPLETED,
                    completed_at=now,
                    row_count=count,
                    file_size=size,
                    sha256=digest,
                    file_name=name,
                    url_expires_at=now + LINK_LIFETIME,
                    lease_until=None,
                )
            except LostClaim:
                self.store.discard(self.store.path(job.organisation_id, name))
                raise
            log.info("export completed id=%s kind=%s rows=%s bytes=%s", job.id, job.kind, count, size)
        except LostClaim:
            self.store.discard(temporary)
            log.info("export stopped id=%s attempt=%s (cancelled or taken over)", job.id, job.attempt)
        except Exception:
            self.store.discard(temporary)
            log.exception("export failed id=%s kind=%s", job.id, job.kind)
            with contextlib.suppress(LostClaim):
                await self._guarded(
                    job,
                    status=transitions.next_status(transitions.RUNNING, "fail"),
                    completed_at=self.clock.now(),
                    error_message="The export could not be written; please start it again.",
                    lease_until=None,
                )
        await self._announce(job)

    def _scope(self, job: ExportJob) -> sources.Scope:
        return sources.Scope(
            organisation_id=job.organisation_id,
            account_ids=frozenset(job.account_ids) if job.account_ids is not None else None,
            filter=dict(job.filter or {}),
            max_row_id=job.max_row_id,
            today=self._today(),
            now=self.clock.now(),
        )

    def _today(self) -> date:
        return self.clock.today()

    async def _progress(self, job: ExportJob, count: int) -> None:
        await self._guarded(job, row_count=count, lease_until=self.clock.now() + LEASE)
        await self._announce(job)

    async def _write(self, job: ExportJob, handle: Any) -> int:
        scope = self._scope(job)
        if job.kind == sources.ExportKind.INVOICE_PDFS:
            return await self._write_pdfs(job, scope, handle)
        source = sources.SOURCES[job.kind]
        writer = TableWriter(handle, job.format, job.columns or source.columns)
        after, count = 0, 0
        while True:
            async with self.sessionmaker() as session:
                batch = await source.read(session, scope, after, self.batch_size)
            if not batch:
                return count
            writer.write([cells for _, cells in batch])
            after = batch[-1][0]
            count += len(batch)
            await self._progress(job, count)

    async def _write_pdfs(self, job: ExportJob, scope: sources.Scope, handle: Any) -> int:
        writer = PdfZipWriter(handle, job.columns or sources.PDF_INDEX_COLUMNS)
        after, count = 0, 0
        while True:
            async with self.sessionmaker() as session:
                rows = await sources.invoice_rows(session, scope, after, min(self.batch_size, 100))
                documents = [(r, await load_document(session, r.id, scope.today)) for r in rows]
            if not rows:
                writer.close()
                return count
            for row, document in documents:
                if document is not None:
                    pdf = await asyncio.to_thread(self.renderer.render, document, "fr")
                    writer.add(to_global_id("Invoice", row.id), row.number, pdf)
                    count += 1
            after = rows[-1].id
            await self._progress(job, count)


async def run_worker(worker: ExportWorker, wakeup: asyncio.Event, stopping: asyncio.Event) -> None:
    """Run due exports until `stopping` is set: a pass every POLL_SECONDS, or at once when woken."""
    while not stopping.is_set():
        try:
            await worker.run_pending()
        except Exception:  # a database hiccup must not stop exports for the process's lifetime
            log.exception("export pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), POLL_SECONDS)
        wakeup.clear()


@dataclass
class RunningWorker:
    worker: ExportWorker
    wakeup: asyncio.Event
    stopping: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def start(worker: ExportWorker) -> RunningWorker:
    """Run the worker for the application's lifetime (a first pass at once resumes lapsed jobs)."""
    wakeup, stopping = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_worker(worker, wakeup, stopping), name="guichet-exports")
    return RunningWorker(worker, wakeup, stopping, task)

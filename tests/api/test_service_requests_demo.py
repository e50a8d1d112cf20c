"""The demo shows service requests in several states, one of them with a stored attachment."""

from __future__ import annotations

from sqlalchemy import select

from guichet.demo import load_demo
from guichet.domain.models.service_requests import Attachment, ServiceRequest
from tests.conftest import TEST_NOW
from tests.factories_service_requests import stored_files


async def test_the_demo_has_requests_awaiting_an_answer_resolved_and_with_a_file(settings, sessionmaker) -> None:
    await load_demo(settings, today=TEST_NOW.date())

    async with sessionmaker() as session:
        statuses = sorted((await session.execute(select(ServiceRequest.status))).scalars())
        files = (await session.execute(select(Attachment.status, Attachment.filename))).all()

    assert statuses == ["AWAITING_CUSTOMER", "CLOSED", "RESOLVED", "SUBMITTED"]
    assert [tuple(f) for f in files] == [("UPLOADED", "lignes.csv")]
    assert len(stored_files(settings.files_dir)) == 1

"""PUT /uploads/<token> and GET /attachments/<token>: bytes checked, stored with their record,
served only from a signed link of their own organisation; uploads never attached are purged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from guichet.domain.errors import DomainError
from guichet.domain.models.service_requests import Attachment
from guichet.domain.service_requests import attachments, links
from guichet.domain.service_requests.files import FileStore
from guichet.domain.service_requests.services import add_comment
from tests.conftest import TEST_NOW
from tests.factories_service_requests import (
    CSV,
    EXE,
    PDF,
    PNG,
    announce,
    make_sr_world,
    open_request,
    snapshot,
    stored_files,
    uow_of,
    xlsx,
)

KEY = "test-secret-key-0123456789abcdef0123456789"


def _path(upload: attachments.Upload) -> str:
    return links.upload_url("http://guichet.test", KEY, upload.grant, upload.expires_at).removeprefix(
        "http://guichet.test"
    )


def _download_path(organisation_id: int, attachment_id: int, now: Any = TEST_NOW) -> str:
    url = links.download_url("http://guichet.test", KEY, links.Grant(organisation_id, attachment_id), now)
    return url.removeprefix("http://guichet.test")


async def _row(sessionmaker: Any, attachment_id: int) -> Attachment:
    async with sessionmaker() as session:
        return (await session.execute(select(Attachment).where(Attachment.id == attachment_id))).scalar_one()


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/pdf", PDF),
        ("image/png", PNG),
        ("text/csv", CSV),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx()),
    ],
)
async def test_an_announced_file_is_stored_and_served_back_by_its_link(
    http, sessionmaker, settings, content_type, data
) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world, filename="pièce jointe.bin", content_type=content_type, data=data)

    put = await http.put(_path(upload), content=data, headers={"Content-Type": content_type})
    got = await http.get(_download_path(world.org.id, upload.attachment.id))

    assert put.status_code == 200, put.text
    assert put.json()["size"] == len(data)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"].split(";")[0] == content_type
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"pi_ce_jointe.bin\"; filename*=UTF-8''pi%C3%A8ce%20jointe.bin"
    )
    row = await _row(sessionmaker, upload.attachment.id)
    assert row.status == "UPLOADED"
    assert stored_files(settings.files_dir) == [f"{world.org.id}/{row.file_name}"]


async def test_a_png_declared_as_pdf_is_refused_with_415_and_nothing_is_kept(http, sessionmaker, settings) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world, content_type="application/pdf", data=PNG)
    before = await snapshot(sessionmaker)

    put = await http.put(_path(upload), content=PNG, headers={"Content-Type": "application/pdf"})

    assert (put.status_code, put.json()) == (415, {"code": "ATTACHMENT_TYPE_NOT_ALLOWED"})
    assert await snapshot(sessionmaker) == before
    assert stored_files(settings.files_dir) == []


async def test_bytes_of_another_type_than_announced_or_not_allowed_are_415(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    csv_as_exe = await announce(sessionmaker, world, content_type="text/csv", data=EXE)
    other_header = await announce(sessionmaker, world, content_type="application/pdf", data=PDF)

    exe = await http.put(_path(csv_as_exe), content=EXE, headers={"Content-Type": "text/csv"})
    header = await http.put(_path(other_header), content=PDF, headers={"Content-Type": "image/png"})

    assert (exe.status_code, header.status_code) == (415, 415)


async def test_announcing_too_large_or_a_forbidden_type_is_refused(sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)

    with pytest.raises(DomainError) as too_large:
        await attachments.create_upload(
            uow_of(sessionmaker),
            organisation_id=world.org.id,
            contact_id=world.creator.contact_id,
            filename="big.pdf",
            content_type="application/pdf",
            size=10 * 1024 * 1024 + 1,
            now=TEST_NOW,
        )
    with pytest.raises(DomainError) as forbidden:
        await attachments.create_upload(
            uow_of(sessionmaker),
            organisation_id=world.org.id,
            contact_id=world.creator.contact_id,
            filename="a.exe",
            content_type="application/x-msdownload",
            size=10,
            now=TEST_NOW,
        )

    assert (too_large.value.code.value, too_large.value.field) == ("ATTACHMENT_TOO_LARGE", ["input", "size"])
    assert (forbidden.value.code.value, forbidden.value.field) == (
        "ATTACHMENT_TYPE_NOT_ALLOWED",
        ["input", "contentType"],
    )


async def test_a_body_larger_than_announced_is_413_and_one_over_10_mib_never_reaches_the_route(
    http, sessionmaker
) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world, data=PDF)

    longer = await http.put(_path(upload), content=PDF + b"x", headers={"Content-Type": "application/pdf"})
    huge = await http.put(
        _path(upload), content=b"%PDF-" + b"0" * (10 * 1024 * 1024), headers={"Content-Type": "application/pdf"}
    )

    assert (longer.status_code, huge.status_code) == (413, 413)
    assert (await _row(sessionmaker, upload.attachment.id)).status == "PENDING"


async def test_an_expired_used_or_tampered_upload_link_is_403(http, sessionmaker, clock) -> None:
    world = await make_sr_world(sessionmaker)
    used = await announce(sessionmaker, world)
    late = await announce(sessionmaker, world)
    assert (await http.put(_path(used), content=PDF, headers={"Content-Type": "application/pdf"})).status_code == 200

    again = await http.put(_path(used), content=PDF, headers={"Content-Type": "application/pdf"})
    tampered = await http.put(_path(late)[:-2] + "AA", content=PDF, headers={"Content-Type": "application/pdf"})
    clock.current = TEST_NOW + timedelta(minutes=60)
    expired = await http.put(_path(late), content=PDF, headers={"Content-Type": "application/pdf"})

    assert [r.status_code for r in (again, tampered, expired)] == [403, 403, 403]


async def test_a_link_never_serves_another_organisations_file(http, sessionmaker) -> None:
    mine = await make_sr_world(sessionmaker, name="A")
    theirs = await make_sr_world(sessionmaker, name="B")
    upload = await announce(sessionmaker, theirs)
    await http.put(_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})

    # A valid signature over A's organisation naming B's attachment id.
    cross = await http.get(_download_path(mine.org.id, upload.attachment.id))
    own = await http.get(_download_path(theirs.org.id, upload.attachment.id))

    assert cross.status_code == 403
    assert cross.content == b"Forbidden"
    assert own.status_code == 200


async def test_an_expired_tampered_or_upload_token_does_not_download(http, sessionmaker, clock) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world)
    await http.put(_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})
    link = _download_path(world.org.id, upload.attachment.id)

    tampered = await http.get(link[:-2] + "AA")
    upload_token = await http.get("/attachments/" + _path(upload).removeprefix("/uploads/"))
    clock.current = TEST_NOW + timedelta(minutes=5)
    expired = await http.get(link)

    assert [r.status_code for r in (tampered, upload_token, expired)] == [403, 403, 403]


async def test_a_pending_upload_has_no_bytes_to_download(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world)

    got = await http.get(_download_path(world.org.id, upload.attachment.id))

    assert got.status_code == 403


async def test_a_failed_commit_leaves_neither_a_file_nor_an_uploaded_record(sessionmaker, settings) -> None:
    world = await make_sr_world(sessionmaker)
    upload = await announce(sessionmaker, world)

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def failing_uow():  # type: ignore[no-untyped-def]
        async with sessionmaker() as session, session.begin():
            yield session
            raise RuntimeError("database went away before the commit")

    with pytest.raises(RuntimeError):
        await attachments.store_upload(
            failing_uow,
            store=FileStore(Path(settings.files_dir)),
            grant=upload.grant,
            declared_type="application/pdf",
            data=PDF,
            now=TEST_NOW,
        )

    assert (await _row(sessionmaker, upload.attachment.id)).status == "PENDING"
    assert stored_files(settings.files_dir) == []


async def _uploaded(http: Any, sessionmaker: Any, world: Any, member: Any = None) -> int:
    upload = await announce(sessionmaker, world, member=member)
    response = await http.put(_path(upload), content=PDF, headers={"Content-Type": "application/pdf"})
    assert response.status_code == 200
    return upload.attachment.id


async def test_attachments_are_limited_to_5_a_comment_and_20_a_request(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    first = [await _uploaded(http, sessionmaker, world) for _ in range(18)]
    request = await open_request(sessionmaker, world, attachment_ids=tuple(first))
    six = [await _uploaded(http, sessionmaker, world) for _ in range(6)]
    before = await snapshot(sessionmaker)

    with pytest.raises(DomainError) as per_comment:
        await add_comment(
            uow_of(sessionmaker),
            actor=world.actor,
            service_request_id=request.id,
            body="x",
            attachment_ids=six,
            now=TEST_NOW,
        )
    with pytest.raises(DomainError) as per_request:
        await add_comment(
            uow_of(sessionmaker),
            actor=world.actor,
            service_request_id=request.id,
            body="x",
            attachment_ids=six[:3],
            now=TEST_NOW,
        )

    assert (per_comment.value.code.value, per_comment.value.params) == ("TOO_MANY_ATTACHMENTS", {"limit": 5})
    assert (per_request.value.code.value, per_request.value.params) == ("TOO_MANY_ATTACHMENTS", {"limit": 20})
    assert await snapshot(sessionmaker) == before
    outcome = await add_comment(
        uow_of(sessionmaker),
        actor=world.actor,
        service_request_id=request.id,
        body="x",
        attachment_ids=six[:2],
        now=TEST_NOW,
    )
    assert outcome.request.status == "SUBMITTED"


async def test_someone_elses_or_another_organisations_upload_cannot_be_attached(http, sessionmaker) -> None:
    world = await make_sr_world(sessionmaker)
    other = await make_sr_world(sessionmaker, name="Other")
    colleagues = await _uploaded(http, sessionmaker, world, member=world.colleague)
    foreign = await _uploaded(http, sessionmaker, other)
    request = await open_request(sessionmaker, world)

    refusals = []
    for attachment_id in (colleagues, foreign):
        with pytest.raises(DomainError) as raised:
            await add_comment(
                uow_of(sessionmaker),
                actor=world.actor,
                service_request_id=request.id,
                body="x",
                attachment_ids=[attachment_id],
                now=TEST_NOW,
            )
        refusals.append((raised.value.code.value, raised.value.field))

    assert refusals == [("NOT_FOUND", ["input", "attachmentIds", "0"])] * 2


async def test_uploads_never_attached_are_deleted_after_24_hours_with_their_bytes(http, sessionmaker, settings) -> None:
    world = await make_sr_world(sessionmaker)
    stale = await _uploaded(http, sessionmaker, world)
    kept_attached = await _uploaded(http, sessionmaker, world)
    fresh = await _uploaded(http, sessionmaker, world)
    await open_request(sessionmaker, world, attachment_ids=(kept_attached,))
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Attachment)
            .where(Attachment.id.in_([stale, kept_attached]))
            .values(created_at=TEST_NOW - timedelta(hours=25))
        )
    stray = Path(settings.files_dir) / "attachments" / str(world.org.id) / "deadbeef.0000"
    stray.write_bytes(b"left by a crash")
    import os

    os.utime(stray, (0, 0))

    purged = await attachments.purge_unattached(
        uow_of(sessionmaker), store=FileStore(Path(settings.files_dir)), now=TEST_NOW
    )

    async with sessionmaker() as session:
        left = set((await session.execute(select(Attachment.id))).scalars())
    assert purged == 1
    assert left == {kept_attached, fresh}
    assert len(stored_files(settings.files_dir)) == 2

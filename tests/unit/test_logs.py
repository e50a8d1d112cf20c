"""Log lines: one per event, with the request's fields, in key=value or JSON, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from guichet import logs
from guichet.db import create_engine

SIGNED_LINK = "/invoices/12.1764583200.Zk9uZ2F0aGVzaWduYXR1cmU.pdf"


def _record(name: str, msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_line_carries_the_request_fields_in_key_value_form() -> None:
    bound = logs.bind_request("req-7")
    try:
        logs.set_principal("person:42")
        logs.set_organisation(3)
        line = logs.KeyValueFormatter().format(
            _record("guichet.security", "auth.login.failed", event="auth.login.failed", email="a@b.test")
        )
    finally:
        logs.unbind_request(bound)

    assert "\n" not in line
    fields = dict(part.split("=", 1) for part in line.split(" "))
    assert fields["level"] == "info" and fields["logger"] == "guichet.security"
    assert fields["msg"] == "auth.login.failed" and fields["event"] == "auth.login.failed"
    assert (fields["request_id"], fields["principal"], fields["organisation"]) == ("req-7", "person:42", "3")
    assert fields["email"] == "a@b.test"
    assert fields["ts"].endswith("+00:00")


def test_json_lines_hold_the_same_fields_and_access_fields_are_named_module_and_action() -> None:
    record = _record(
        "guichet.policies",
        "access refused",
        actor="contact:5",
        organisation=9,
        access_module="INVOICES",
        access_action="READ",
        request_id="r-1",
    )

    line = json.loads(logs.JsonFormatter().format(record))

    assert {k: line[k] for k in ("msg", "actor", "organisation", "module", "action", "request_id")} == {
        "msg": "access refused",
        "actor": "contact:5",
        "organisation": 9,
        "module": "INVOICES",
        "action": "READ",
        "request_id": "r-1",
    }


def test_the_access_log_never_shows_a_download_signature_nor_a_link_token() -> None:
    access = '%s - "%s %s HTTP/%s" %d'
    lines = [
        logs.KeyValueFormatter().format(_record("uvicorn.access", access, "127.0.0.1:5000", "GET", path, "1.1", 200))
        for path in (
            SIGNED_LINK,
            "/activate?token=s3cr3t-T0ken&lang=fr",
            "/attachments/3.14.1764583200.QXR0YWNobWVudFNpZw",
            "/uploads/3.14.1764583200.VXBsb2FkU2ln",
        )
    ]

    assert "Zk9uZ2F0aGVzaWduYXR1cmU" not in lines[0]
    assert "/invoices/12.1764583200.[REDACTED].pdf" in lines[0]
    assert "s3cr3t-T0ken" not in lines[1] and "/activate?token=[REDACTED]&lang=fr" in lines[1]
    assert "/attachments/3.14.1764583200.[REDACTED]" in lines[2] and "QXR0YWNobWVudFNpZw" not in lines[2]
    assert "/uploads/3.14.1764583200.[REDACTED]" in lines[3] and "VXBsb2FkU2ln" not in lines[3]


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ("card 4111 1111 1111 1111 declined", "4111 1111 1111"),
        ("card 4111111111111111 declined", "411111111111"),
        ("Variable '$input' got invalid value {'email': 5, 'password': 'Hunter#22'}", "Hunter#22"),
        ('body {"currentPassword":"Old#Pass1","newPassword":"New#Pass2"}', "Old#Pass1"),
        ('body {"currentPassword":"Old#Pass1","newPassword":"New#Pass2"}', "New#Pass2"),
    ],
)
def test_bearer_tokens_and_card_numbers_are_redacted(message: str, secret: str) -> None:
    line = logs.KeyValueFormatter().format(_record("guichet", message))

    assert secret not in line


def test_phone_numbers_and_timestamps_are_not_taken_for_cards() -> None:
    line = logs.KeyValueFormatter().format(_record("guichet", "msisdn 2250701020304 at 1764583200123"))

    assert "2250701020304" in line and "1764583200123" in line


def test_fields_named_like_secrets_are_dropped() -> None:
    line = logs.KeyValueFormatter().format(_record("guichet", "x", password="hunter2", token="t0k", card_number="4111"))

    assert "hunter2" not in line and "t0k" not in line and "4111" not in line
    assert "password=[REDACTED]" in line
    assert "company=Acme" in logs.KeyValueFormatter().format(_record("guichet", "x", company="Acme"))


def test_a_traceback_is_one_line_and_redacted() -> None:
    try:
        raise RuntimeError(f"failed GET {SIGNED_LINK}")
    except RuntimeError:
        record = logging.LogRecord("guichet.http", logging.ERROR, __file__, 1, "unexpected error", (), None)
        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)

    assert "\n" not in line
    assert "RuntimeError" in json.loads(line)["exc"] and "Zk9uZ2F0aGVzaWduYXR1cmU" not in line


def test_configure_logging_sends_uvicorn_and_guichet_lines_to_one_handler() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure_logging(log_format="json", level="INFO", stream=stream)
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:1", "GET", SIGNED_LINK, "1.1", 403)
        logging.getLogger("guichet.mail").info("mail queued", extra={"to": "a@b.test"})
    finally:
        for handler in list(root.handlers):
            if handler.get_name() == "guichet":
                root.removeHandler(handler)
        root.setLevel(level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["uvicorn.access", "guichet.mail"]
    assert "[REDACTED]" in lines[0]["msg"]


async def test_sql_parameters_never_appear_in_database_errors(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO people VALUES (:email)"), {"email": "awa.kone@example.ci"})
        with pytest.raises(IntegrityError) as raised:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO people VALUES (:email)"), {"email": "awa.kone@example.ci"})
    finally:
        await engine.dispose()

    assert "awa.kone@example.ci" not in str(raised.value)

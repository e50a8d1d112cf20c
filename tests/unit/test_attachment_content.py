"""Attachment types are judged on the bytes: the declared type must be what the content is."""

from __future__ import annotations

import pytest

from guichet.domain.service_requests import content
from tests.factories_service_requests import CSV, EXE, JPEG, PDF, PNG, plain_zip, xlsx


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PDF, content.PDF), (PNG, content.PNG), (JPEG, content.JPEG), (CSV, content.CSV), (xlsx(), content.XLSX)],
)
def test_each_allowed_type_is_recognised_from_its_bytes(data: bytes, kind: str) -> None:
    assert content.sniff(data) == kind
    assert content.matches(kind, data) is True


def test_a_png_declared_as_pdf_is_refused() -> None:
    assert content.matches(content.PDF, PNG) is False


@pytest.mark.parametrize("data", [EXE, plain_zip(), b"a,b\n\x00\x01binary", b"\xff\xfe\x00bad utf-8", b""])
def test_executables_plain_archives_and_binary_text_are_no_allowed_type(data: bytes) -> None:
    assert content.sniff(data) is None
    assert content.matches(content.CSV, data) is False


def test_a_declared_type_outside_the_list_is_refused_even_for_matching_bytes() -> None:
    assert content.matches("application/octet-stream", PDF) is False


def test_parameters_and_case_of_the_declared_type_do_not_matter() -> None:
    assert content.matches("Text/CSV; charset=utf-8", CSV) is True

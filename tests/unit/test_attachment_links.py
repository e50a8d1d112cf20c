"""Attachment links: signed per organisation and purpose, expiring, refused when altered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guichet.domain.service_requests import links

KEY = "test-secret-key"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GRANT = links.Grant(organisation_id=7, attachment_id=42)


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_download_link_opens_its_attachment_for_five_minutes() -> None:
    token = _token(links.download_url("http://g.test", KEY, GRANT, NOW))

    assert links.verify(KEY, links.DOWNLOAD, token, NOW + timedelta(minutes=4, seconds=59)) == GRANT
    assert links.verify(KEY, links.DOWNLOAD, token, NOW + timedelta(minutes=5)) is None


def test_another_organisation_in_the_token_breaks_the_signature() -> None:
    token = _token(links.download_url("http://g.test", KEY, GRANT, NOW))
    forged = "8" + token[1:]

    assert links.verify(KEY, links.DOWNLOAD, forged, NOW) is None


def test_an_upload_token_is_not_a_download_token() -> None:
    token = _token(links.upload_url("http://g.test", KEY, GRANT, NOW + links.UPLOAD_LIFETIME))

    assert links.verify(KEY, links.UPLOAD, token, NOW) == GRANT
    assert links.verify(KEY, links.DOWNLOAD, token, NOW) is None


def test_malformed_tokens_and_other_keys_are_refused() -> None:
    token = _token(links.download_url("http://g.test", KEY, GRANT, NOW))

    assert links.verify("another-key", links.DOWNLOAD, token, NOW) is None
    assert links.verify(KEY, links.DOWNLOAD, "7.42.garbage", NOW) is None
    assert links.verify(KEY, links.DOWNLOAD, "../../etc/passwd", NOW) is None

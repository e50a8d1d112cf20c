"""Signed download links and the CSV export's cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guichet.domain.invoices import links
from guichet.domain.invoices.export import safe_cell as _cell

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
KEY = "k" * 40


def test_a_signed_token_names_its_invoice_for_five_minutes() -> None:
    token = links.sign(KEY, 42, NOW)

    assert links.verify(KEY, token, NOW) == 42
    assert links.verify(KEY, token, NOW + timedelta(minutes=4, seconds=59)) == 42
    assert links.verify(KEY, token, NOW + timedelta(minutes=5)) is None


def test_anything_altered_is_refused() -> None:
    token = links.sign(KEY, 42, NOW)
    invoice_id, expires, signature = token.split(".")

    assert links.verify("another key", token, NOW) is None
    assert links.verify(KEY, f"43.{expires}.{signature}", NOW) is None
    assert links.verify(KEY, f"{invoice_id}.{int(expires) + 60}.{signature}", NOW) is None
    assert links.verify(KEY, f"{invoice_id}.{expires}.{signature[:-1]}", NOW) is None
    assert links.verify(KEY, "", NOW) is None
    assert links.verify(KEY, "../../etc/passwd", NOW) is None


def test_download_url_shape() -> None:
    url = links.download_url("http://guichet.test/", KEY, 42, NOW)

    assert url.startswith("http://guichet.test/invoices/42.")
    assert url.endswith(".pdf")


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _cell("+2250701020304") == "'+2250701020304"
    assert _cell("F-2026-0001") == "F-2026-0001"

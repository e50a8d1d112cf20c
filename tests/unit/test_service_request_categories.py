"""Service-request categories: fixed requirements, default hours, TOML overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from guichet.domain.service_requests.categories import DEFAULTS, Category, load_file, parse_overrides
from guichet.settings import SettingsError, load_settings


def test_lines_are_required_for_incidents_and_line_management_and_invoices_for_billing_claims() -> None:
    assert {c for c, i in DEFAULTS.items() if i.requires_line} == {Category.INCIDENT, Category.LINE_MANAGEMENT}
    assert {c for c, i in DEFAULTS.items() if i.requires_invoice} == {Category.BILLING_CLAIM}


def test_every_category_has_default_hours_and_labels_in_both_languages() -> None:
    for info in DEFAULTS.values():
        assert info.response_hours and info.resolution_hours and info.response_hours <= info.resolution_hours
        assert info.label("fr") and info.label("en")


def test_a_toml_file_overrides_the_hours_of_the_categories_it_names(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text("[categories.INCIDENT]\nresponse_hours = 2\nresolution_hours = 8\n")

    assert load_file(str(path)) == {Category.INCIDENT: (2, 8)}


@pytest.mark.parametrize(
    "text",
    [
        "[categories.PLUMBING]\nresponse_hours = 2\n",
        "[categories.INCIDENT]\nresponse_hours = 0\n",
        "[categories.INCIDENT]\nlabel = 'x'\n",
        "[other]\n",
    ],
)
def test_a_malformed_file_stops_start_up_with_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(text)
    env = {
        "GUICHET_SECRET_KEY": "k" * 32,
        "GUICHET_WEBHOOK_SECRET": "w",
        "GUICHET_SERVICE_REQUEST_CATEGORIES": str(path),
    }

    with pytest.raises(SettingsError) as raised:
        load_settings(environ=env)

    assert "GUICHET_SERVICE_REQUEST_CATEGORIES" in str(raised.value) and "\n" not in str(raised.value)


def test_an_override_keeps_the_default_of_the_hours_it_omits() -> None:
    assert parse_overrides({"categories": {"OTHER": {"response_hours": 12}}}) == {Category.OTHER: (12, 168)}

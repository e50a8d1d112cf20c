"""supportChannels: public, the seeds' channels by default, open or closed by each channel's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from guichet.server import create_app
from tests.http_bodies import graphql_body

QUERY = """
query($topic: SupportTopic) {
  supportChannels(topic: $topic) { group kind label value hours availableNow timeZone }
}
"""


async def test_anyone_reads_the_default_channels_without_signing_in(gql) -> None:
    result = await gql(QUERY)
    assert "errors" not in result, result
    channels = result["data"]["supportChannels"]
    assert [(c["group"], c["kind"], c["value"]) for c in channels] == [
        ("Orange Business Côte d'Ivoire", "PHONE", "0808"),
        ("Orange Business Côte d'Ivoire", "WHATSAPP", "77 88 080 080"),
        ("Orange Business Côte d'Ivoire", "EMAIL", "orangebusiness.oci@contact.orange.ci"),
        ("FLOA", "PHONE", "08 90 39 24 18"),
        ("FLOA", "CHAT", "https://www.floa.fr/"),
        ("FLOA", "WHATSAPP", "https://www.floa.fr/"),
        ("FLOA", "CONTACT_FORM", "https://www.floa.fr/"),
        ("FLOA", "CHATBOT", "https://www.floa.fr/"),
        ("FLOA", "FAQ", "https://www.floa.fr/"),
    ]
    # Wednesday 10:00 UTC: 10:00 in Abidjan, 11:00 in Paris: everything is open.
    assert all(c["availableNow"] for c in channels)
    chat = channels[4]
    assert chat == {
        "group": "FLOA",
        "kind": "CHAT",
        "label": "Chat with an adviser",
        "value": "https://www.floa.fr/",
        "hours": "Monday to Friday 9am–8pm, Saturday 9am–6pm (Paris time)",
        "availableNow": True,
        "timeZone": "Europe/Paris",
    }


async def test_on_sunday_only_the_always_open_channels_are_available(gql, clock) -> None:
    clock.current = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    result = await gql(QUERY)
    open_now = [(c["group"], c["kind"]) for c in result["data"]["supportChannels"] if c["availableNow"]]
    assert open_now == [
        ("Orange Business Côte d'Ivoire", "EMAIL"),
        ("FLOA", "CHATBOT"),
        ("FLOA", "FAQ"),
    ]


async def test_saturday_evening_in_paris_closes_floa_but_not_abidjan(gql, clock) -> None:
    clock.current = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)  # Saturday 13:30 in Paris: FLOA is open
    result = await gql(QUERY, {"topic": "COLLECTIONS"})
    assert [(c["kind"], c["availableNow"]) for c in result["data"]["supportChannels"]] == [
        ("PHONE", True),
        ("CHAT", True),
        ("WHATSAPP", True),
        ("CONTACT_FORM", True),
        ("CHATBOT", True),
        ("FAQ", True),
    ]
    # Saturday 17:30 in Abidjan: Orange's advisers closed at 13:00; e-mail is always open.
    clock.current = datetime(2026, 11, 28, 17, 30, tzinfo=UTC)
    result = await gql(QUERY, {"topic": "PAYMENTS"})
    assert [(c["value"], c["availableNow"]) for c in result["data"]["supportChannels"]] == [
        ("0808", False),
        ("77 88 080 080", False),
        ("orangebusiness.oci@contact.orange.ci", True),
    ]


async def test_collections_topic_puts_the_floa_collections_phone_first(gql) -> None:
    result = await gql(QUERY, {"topic": "COLLECTIONS"})
    channels = result["data"]["supportChannels"]
    assert channels[0]["value"] == "08 90 39 24 18"
    assert {c["group"] for c in channels} == {"FLOA"}


async def test_labels_and_hours_follow_accept_language(gql) -> None:
    result = await gql(QUERY, {"topic": "PAYMENTS"}, lang="fr-CI,fr;q=0.9")
    phone = result["data"]["supportChannels"][0]
    assert phone["label"] == "Service client (téléphone)"
    assert phone["hours"] == "Du lundi au vendredi de 8h à 18h et le samedi de 8h à 13h (heure d'Abidjan)"


async def test_a_channels_file_replaces_the_defaults(settings, clock, tmp_path: Path) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(
        """
[[channel]]
group = "Helpdesk"
kind = "EMAIL"
label = { en = "Write to us", fr = "Écrivez-nous" }
value = "help@example.ci"
time_zone = "Africa/Abidjan"
hours = { en = "Weekdays 9-17", fr = "En semaine 9h-17h" }
open = ["mon-fri 09:00-17:00"]
"""
    )
    app = create_app(settings.with_overrides(support_channels_file=str(path)), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guichet.test") as http,
    ):
        response = await http.post("/graphql", json={"query": QUERY}, headers={"Accept-Language": "fr"})
    assert graphql_body(response) == {
        "data": {
            "supportChannels": [
                {
                    "group": "Helpdesk",
                    "kind": "EMAIL",
                    "label": "Écrivez-nous",
                    "value": "help@example.ci",
                    "hours": "En semaine 9h-17h",
                    "availableNow": True,
                    "timeZone": "Africa/Abidjan",
                }
            ]
        }
    }

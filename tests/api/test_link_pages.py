"""The pages e-mailed links open (/activate, /accept-invitation, /reset-password) exist, are strict and work.

Each answers 200 with a CSP that runs only Guichet's own script, holds a labelled form, and its
script sends the right GraphQL mutation, valid against the served schema.
"""

from __future__ import annotations

import re

import pytest
from graphql import parse, validate

from tests.factories import make_member, make_organisation
from tests.factories_auth import STRONG_PASSWORD, link_in, outbox

PAGES = {
    "/activate": "activateAccount",
    "/accept-invitation": "acceptInvitation",
    "/reset-password": "resetPassword",
}
SCRIPT = "/assets/links/guichet-links.js"


def _script_documents(source: str) -> dict[str, str]:
    """purpose -> GraphQL document, as written in the page script's MUTATIONS table."""
    found = re.findall(r'"([a-z-]+)": \{\s*field: "(\w+)",\s*document: "([^"]+)"', source)
    return {purpose: document for purpose, _field, document in found}


@pytest.mark.parametrize("path", list(PAGES))
async def test_each_link_page_answers_a_labelled_form_under_a_strict_csp(http, path: str) -> None:
    response = await http.get(path + "?token=abc")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    page = response.text
    assert f'data-purpose="{path[1:]}"' in page
    assert '<form id="guichet-link-form"' in page
    assert '<label for="password">' in page and 'id="password" name="password" type="password"' in page
    assert 'role="status" aria-live="polite"' in page
    # Only our own script, from a file: no inline script, no third-party asset, the token never echoed.
    assert re.findall(r"<script[^>]*>", page) == [f'<script src="{SCRIPT}" defer>']
    assert "</script>" in page and re.search(r"<script[^>]*>[^<]+</script>", page) is None
    assert re.search(r"(src|href)=\"(https?:)?//", page) is None
    assert "abc" not in page


async def test_link_pages_speak_french_when_asked(http) -> None:
    response = await http.get("/activate?token=abc", headers={"Accept-Language": "fr-FR,fr;q=0.9"})

    assert '<html lang="fr">' in response.text
    assert "Activez votre accès Guichet" in response.text


async def test_the_page_script_sends_the_three_mutations_valid_against_the_schema(http, app) -> None:
    response = await http.get(SCRIPT)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    documents = _script_documents(response.text)
    assert set(documents) == {path[1:] for path in PAGES}
    schema = app.state.schema._schema
    for path, field in PAGES.items():
        document = documents[path[1:]]
        assert re.search(rf"\{{ {field}\(input: \$input\)", document), document
        assert validate(schema, parse(document)) == []


async def test_the_reset_link_opens_a_page_whose_mutation_resets_the_password(http, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        member = await make_member(session, await make_organisation(session), roles=[("FINANCE", None)])
    await gql("mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }", {"e": member.email})
    base, purpose, token = link_in((await outbox(sessionmaker, member.email))[-1].body_text)
    script = (await http.get(SCRIPT)).text

    page = await http.get(f"/{purpose}?token={token}")
    result = await gql(_script_documents(script)[purpose], {"input": {"token": token, "password": STRONG_PASSWORD}})

    assert page.status_code == 200
    assert result["data"]["resetPassword"] == {"ok": True, "errors": []}


async def test_an_unknown_asset_is_404(http) -> None:
    assert (await http.get("/assets/links/../settings.py")).status_code == 404
    assert (await http.get("/assets/links/other.js")).status_code == 404

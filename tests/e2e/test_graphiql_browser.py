"""GraphiQL in headless Chromium against `guichet serve`: nothing typed into it stays in the browser.

GraphiQL's History and tabs keep queries, variables, headers and responses in localStorage by
default: a password typed into the login mutation, the session token of its response and the
bearer header would outlive the browser session there. Guichet's page keeps GraphiQL's storage in
memory (guichet/web/assets/guichet-graphiql.js).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from guichet.db import create_engine, session_factory
from tests.e2e.browser import Page, chromium_or_skip, chromium_page
from tests.e2e.support import Server, guichet_env, migrated_database, running_server
from tests.factories import PASSWORD, make_member, make_organisation

pytestmark = pytest.mark.e2e

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { session { token } errors { code } }
}"""
VIEWER = "{ viewer { email } }"
# GraphiQL's CodeMirror editors, in page order.
QUERY, VARIABLES, HEADERS, RESPONSE = range(4)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    with migrated_database("giql", tmp_path_factory.mktemp("e2e-giql")) as database_url:
        with running_server(guichet_env(database_url)) as running:
            yield running, database_url


async def _person(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            org = await make_organisation(session)
            return (await make_member(session, org, with_session=False)).email
    finally:
        await engine.dispose()


async def _set(page: Page, editor: int, text: str) -> None:
    await page.evaluate(f"document.querySelectorAll('.CodeMirror')[{editor}].CodeMirror.setValue({json.dumps(text)})")


async def _run(page: Page, expect: str) -> str:
    """Click GraphiQL's execute button and return the response once it contains `expect`."""
    await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
    response = f"document.querySelectorAll('.CodeMirror')[{RESPONSE}].CodeMirror.getValue()"
    try:
        text: str = await page.wait_for(f"{response}.includes({json.dumps(expect)}) && {response}")
    except TimeoutError:
        raise AssertionError(f"GraphiQL answered {await page.evaluate(response)!r}") from None
    return text


async def _browser_storage(page: Page) -> str:
    return str(
        await page.evaluate(
            "JSON.stringify({local: Object.assign({}, localStorage), session: Object.assign({}, sessionStorage)})"
        )
    )


async def test_graphiql_keeps_no_password_token_or_header_in_the_browser(server: tuple[Server, str]) -> None:
    executable = chromium_or_skip()
    running, database_url = server
    email = await _person(database_url)
    async with chromium_page(executable, running.base_url + "/graphql") as page:
        await page.wait_for(f"document.querySelectorAll('.CodeMirror').length > {RESPONSE}")

        # Sign in with the password in variables, then use the token in the Headers tab.
        await _set(page, QUERY, LOGIN)
        await _set(page, VARIABLES, json.dumps({"email": email, "password": PASSWORD}))
        token = json.loads(await _run(page, '"token"'))["data"]["login"]["session"]["token"]
        await _set(page, QUERY, VIEWER)
        await _set(page, VARIABLES, "")
        await _set(page, HEADERS, json.dumps({"Authorization": f"Bearer {token}"}))
        assert json.loads(await _run(page, email))["data"] == {"viewer": {"email": email}}

        stored = await _browser_storage(page)
        for secret in (PASSWORD, token, "Authorization", "Bearer"):
            assert secret not in stored, stored

        # A new visit starts from GraphiQL's defaults: nothing of the last one comes back.
        await page.goto(running.base_url + "/graphql")
        await page.wait_for(
            f"document.querySelectorAll('.CodeMirror').length > {RESPONSE}"
            f" && !document.querySelectorAll('.CodeMirror')[{QUERY}].CodeMirror.getValue().includes('viewer')"
        )
        headers = await page.evaluate(f"document.querySelectorAll('.CodeMirror')[{HEADERS}].CodeMirror.getValue()")
        assert token not in headers
        assert token not in await _browser_storage(page)


async def test_graphiql_removes_what_earlier_versions_saved(server: tuple[Server, str]) -> None:
    executable = chromium_or_skip()
    running, _ = server
    async with chromium_page(executable, running.base_url + "/graphql") as page:
        await page.wait_for(f"document.querySelectorAll('.CodeMirror').length > {RESPONSE}")
        await page.evaluate(
            """localStorage.setItem("graphiql:queries", '{"queries": [{"headers": "Bearer old-token"}]}');"""
            """localStorage.setItem("another-app", "kept")"""
        )

        await page.goto(running.base_url + "/graphql")
        await page.wait_for("localStorage.getItem('graphiql:queries') === null")

        assert await page.evaluate("JSON.stringify(Object.assign({}, localStorage))") == '{"another-app":"kept"}'

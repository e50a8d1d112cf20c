"""Malformed requests are the client's mistake: a 400 or a BAD_USER_INPUT error with a clear message,
never a 500, and nothing in the error log."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from tests.http_bodies import graphql_body

LOGIN = 'mutation($email: String!) { login(input: {email: $email, password: "secret-pass"}) { errors { code } } }'
RESET = 'mutation { requestPasswordReset(input: {email: "a\\u0000b@example.ci"}) { ok } }'
NOT_AN_OBJECT = 'The request body must be a JSON object such as {"query": "{ __typename }"}.'
TOO_DEEP = "Request JSON is nested more than 64 levels deep."


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.set_level(logging.WARNING)
    return caplog.records


def _errors(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR]


async def _outbox_count(sessionmaker) -> int:
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(models.OutboxEmail))).scalar_one()


async def test_a_nul_byte_in_a_variable_of_the_anonymous_login_is_bad_user_input(gql, errors_logged) -> None:
    body = await gql(LOGIN, {"email": "a\x00@example.ci"})
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Variable '$email' may not contain the NUL character (U+0000).",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert _errors(errors_logged) == []


async def test_a_nul_byte_deep_in_an_input_variable_is_refused_too(gql) -> None:
    query = "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }"
    body = await gql(query, {"input": {"email": "a@example.ci", "password": "pass\x00word"}})
    assert [e["message"] for e in body["errors"]] == ["Variable '$input' may not contain the NUL character (U+0000)."]
    assert "pass" not in str(body)


async def test_a_nul_byte_in_a_string_literal_is_bad_user_input(gql, sessionmaker, errors_logged) -> None:
    body = await gql(RESET)
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Text may not contain the NUL character (U+0000).",
                "locations": [{"line": 1, "column": 48}],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert await _outbox_count(sessionmaker) == 0
    assert _errors(errors_logged) == []


@pytest.mark.parametrize("body", [b"null", b"42", b'"{ __typename }"', b"true"])
async def test_a_json_body_that_is_not_an_object_is_a_400(http, errors_logged, body: bytes) -> None:
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.text) == (400, NOT_AN_OBJECT)
    assert _errors(errors_logged) == []


async def test_a_body_that_is_not_utf8_is_a_400(http, errors_logged) -> None:
    body = b'{"query": "{ __typename \xff }"}'
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.text) == (400, "Request body is not valid UTF-8.")
    assert _errors(errors_logged) == []


@pytest.mark.parametrize("levels", [65, 5000])
async def test_deeply_nested_json_is_a_400(http, errors_logged, levels: int) -> None:
    body = b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * levels + b"]" * levels + b"}}"
    response = await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.text) == (400, TOO_DEEP)
    assert _errors(errors_logged) == []


async def test_json_nested_64_levels_is_served(http) -> None:
    variables = json.loads("[" * 62 + "]" * 62)  # inside {"variables": {"a": ...}} at levels 3..64
    response = await http.post("/graphql", json={"query": "{ __typename }", "variables": {"a": variables}})
    assert graphql_body(response) == {"data": {"__typename": "Query"}}


async def test_invalid_json_is_a_400_saying_where(http) -> None:
    response = await http.post("/graphql", content=b'{"query": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.text.startswith("Request body is not valid JSON: ")
    assert "line 1 column" in response.text


async def test_an_operation_name_that_is_not_a_string_is_a_400(http, errors_logged) -> None:
    response = await http.post("/graphql", json={"query": "{ __typename }", "operationName": 5})
    assert (response.status_code, response.text) == (
        400,
        "The GraphQL operation's `operationName` must be a string or null, if provided.",
    )
    assert _errors(errors_logged) == []


async def test_variables_null_in_a_query_string_still_mean_no_variables(http) -> None:
    response = await http.get("/graphql", params={"query": "{ __typename }", "variables": "null"})
    assert graphql_body(response) == {"data": {"__typename": "Query"}}

"""Decode GraphQL request JSON, answering 400 with a clear message for anything malformed.

Strawberry's view assumes a body that decodes and is an object: `null`, a number or a string body,
invalid UTF-8 and JSON nested deep enough to exhaust Python's recursion all escaped it as 500s.
Here:

- bytes that are not UTF-8: "Request body is not valid UTF-8.";
- text that is not JSON (orjson is strict: no NaN, no lone surrogates): "Request body is not valid
  JSON: <where>";
- arrays and objects nested more than MAX_NESTING levels: "Request JSON is nested more than 64
  levels deep." (orjson's own ceiling is 1024, deep enough to blow Python's stack later on);
- a request body that is not an object (arrays are batches, which the view refuses itself): "The
  request body must be a JSON object such as {"query": "{ __typename }"}.";
- an `operationName` that is neither a string nor null.

The same decoder reads graphql-transport-ws messages, where a malformed message closes the socket
with 4400 (Strawberry turns JSONDecodeError into that).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException

MAX_NESTING = 64
NOT_UTF8 = "Request body is not valid UTF-8."
NOT_JSON = "Request body is not valid JSON: {where}"
TOO_DEEP = f"Request JSON is nested more than {MAX_NESTING} levels deep."
NOT_AN_OBJECT = 'The request body must be a JSON object such as {"query": "{ __typename }"}.'
BAD_OPERATION_NAME = "The GraphQL operation's `operationName` must be a string or null, if provided."


class TooDeep(json.JSONDecodeError):
    """Nesting past MAX_NESTING, reported like a decoding error so every caller refuses it."""


def decode(data: str | bytes) -> Any:
    """Decode one JSON text; raise json.JSONDecodeError (or TooDeep) when it is malformed or too deep."""
    value = orjson.loads(data)
    if _nesting(value) > MAX_NESTING:
        raise TooDeep(TOO_DEEP, "", 0)
    return value


def parse(data: str | bytes) -> Any:
    """Decode a request body (bytes) or a query-string parameter (text); HTTPException(400) when malformed."""
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, NOT_UTF8) from None
    try:
        value = decode(data)
    except json.JSONDecodeError as error:
        if isinstance(error, TooDeep) or "depth limit" in str(error):
            raise HTTPException(400, TOO_DEEP) from None
        raise HTTPException(400, NOT_JSON.format(where=error)) from None
    if isinstance(data, bytes):
        # Bodies (query-string parameters are text: `variables=null` is allowed there).
        if not isinstance(value, dict | list):
            raise HTTPException(400, NOT_AN_OBJECT)
        if isinstance(value, dict) and not isinstance(value.get("operationName"), str | None):
            raise HTTPException(400, BAD_OPERATION_NAME)
    return value


def _nesting(value: Any) -> int:
    """How many arrays and objects deep `value` goes, without recursion (the point is deep input)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest

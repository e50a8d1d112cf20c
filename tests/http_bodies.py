"""GraphQL response bodies without the `extensions.cost` every response carries (tests of other matters)."""

from __future__ import annotations

from typing import Any


def graphql_body(response: Any) -> dict[str, Any]:
    """The JSON body of a GraphQL answer, its `extensions` left out."""
    body = dict(response.json())
    body.pop("extensions", None)
    return body


COST_MARK = b',"extensions":{"cost":'


def without_cost(content: bytes) -> bytes:
    """The raw body with its trailing `extensions.cost` cut off (it tells the caller's bucket, not the data)."""
    head, _, _tail = content.partition(COST_MARK)
    return head + b"}" if _tail else content

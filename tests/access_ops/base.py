"""The access-operation registry: one entry per (module, action) an operation exercises.

Each area adds a module tests/access_ops/<area>.py defining `OPERATIONS: list[AccessOperation]`.
The matrix test (tests/api/test_access_matrix.py) runs every operation as a contact holding only
one role over the whole organisation, and expects it allowed or refused exactly as the ACCESS.md
table says; the cross-tenant test reuses the same setups.

A setup receives an open session (inside a transaction the test commits) and the World, creates
what the operation needs (flush, never commit) and returns the GraphQL variables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from guichet.domain import models
from tests.factories import Member


@dataclass
class World:
    """One organisation with two billing accounts, its primary admin and the contact under test."""

    org: models.Organisation
    account: models.BillingAccount
    other_account: models.BillingAccount
    admin: Member  # the primary admin
    actor: Member  # the contact whose access is being tried
    role: str | None = None  # the single role `actor` holds over the whole organisation
    extra: dict[str, Any] = field(default_factory=dict)  # objects the setups created, by name


Setup = Callable[[Any, World], Awaitable[dict[str, Any]]]


def _codes(response: dict[str, Any]) -> list[str]:
    codes = [(e.get("extensions") or {}).get("code") for e in response.get("errors") or []]
    for payload in (response.get("data") or {}).values():
        if isinstance(payload, dict):
            codes += [e.get("code") for e in payload.get("errors") or [] if isinstance(e, dict)]
    return [c for c in codes if c]


def refused_as_forbidden(response: dict[str, Any]) -> bool:
    """A top-level error with extensions.code FORBIDDEN, or a payload error FORBIDDEN."""
    return "FORBIDDEN" in _codes(response)


@dataclass(frozen=True)
class AccessOperation:
    """An operation needing (module, action): `document` run with the variables `setup` returns."""

    module: str
    action: str
    name: str
    setup: Setup
    document: str
    refused: Callable[[dict[str, Any]], bool] = refused_as_forbidden

    def __str__(self) -> str:
        return f"{self.module}-{self.action}-{self.name}"

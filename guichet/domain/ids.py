"""Opaque global IDs ("Type:pk" in unpadded URL-safe base64): the one encoding of public IDs.

The GraphQL layer hands them out and decodes them; the domain writes them in the audit trail.
"""

from __future__ import annotations

import base64
import binascii

from guichet.domain.errors import DomainError, ErrorCode


def to_global_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """Decode an ID into (type name, integer primary key); None when it is not one of ours."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if not type_name or not pk.isdigit() or len(pk) > 18:
            return None
        return type_name, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def pk_of(global_id: object, expected_type: str) -> int | None:
    """The primary key of an ID of `expected_type`, or None for anything else."""
    decoded = from_global_id(str(global_id)) if global_id is not None else None
    if decoded is None or decoded[0] != expected_type:
        return None
    return decoded[1]


def decode_id(global_id: str, expected_type: str, *, field: list[str]) -> int:
    """The primary key of an ID of `expected_type`; raise DomainError(NOT_FOUND) otherwise."""
    pk = pk_of(global_id, expected_type)
    if pk is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=field)
    return pk

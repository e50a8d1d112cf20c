"""Top-level GraphQL errors with stable extensions.code (FORBIDDEN, UNAUTHENTICATED, VALIDATION)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from graphql import GraphQLError

from guichet.domain.errors import DomainError
from guichet.i18n import render
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers.context import Info


def forbidden(info: Info, module: Enum | str | None = None, action: Enum | str | None = None) -> GraphQLError:
    """FORBIDDEN, naming in extensions.module and extensions.action the permission that was missing."""
    return GraphQLError(render("FORBIDDEN", info.context.locale), extensions=forbidden_extensions(module, action))


def forbidden_extensions(module: Enum | str | None, action: Enum | str | None) -> dict[str, str]:
    extensions = {"code": "FORBIDDEN"}
    if module and action:
        extensions.update(module=_name(module), action=_name(action))
    return extensions


def _name(value: Enum | str) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def unauthenticated(info: Info) -> GraphQLError:
    return GraphQLError(render("UNAUTHENTICATED", info.context.locale), extensions={"code": "UNAUTHENTICATED"})


@contextmanager
def domain_to_graphql(info: Info) -> Iterator[None]:
    """In query fields, turn refusals into top-level errors with extensions.code."""
    try:
        yield
    except NotAuthenticated:
        raise unauthenticated(info) from None
    except AccessDenied as error:
        raise forbidden(info, error.module, error.action) from None
    except DomainError as error:
        raise GraphQLError(
            render(error.message_key, info.context.locale, error.params),
            extensions={"code": error.code.value, "field": error.field},
        ) from None

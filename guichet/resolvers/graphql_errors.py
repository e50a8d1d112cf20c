"""Top-level GraphQL errors with stable extensions.code (FORBIDDEN, UNAUTHENTICATED, VALIDATION)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from guichet.domain.errors import DomainError
from guichet.i18n import render
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers.context import Info


def forbidden(info: Info) -> GraphQLError:
    return GraphQLError(render("FORBIDDEN", info.context.locale), extensions={"code": "FORBIDDEN"})


def unauthenticated(info: Info) -> GraphQLError:
    return GraphQLError(render("UNAUTHENTICATED", info.context.locale), extensions={"code": "UNAUTHENTICATED"})


@contextmanager
def domain_to_graphql(info: Info) -> Iterator[None]:
    """In query fields, turn refusals into top-level errors with extensions.code."""
    try:
        yield
    except NotAuthenticated:
        raise unauthenticated(info) from None
    except AccessDenied:
        raise forbidden(info) from None
    except DomainError as error:
        raise GraphQLError(
            render(error.message_key, info.context.locale, error.params),
            extensions={"code": error.code.value, "field": error.field},
        ) from None

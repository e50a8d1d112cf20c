"""Errors as GraphQL shows them: UserErrors in payloads, top-level errors with extensions.code.

Resolvers raise DomainError, DomainErrors, NotAuthenticated or AccessDenied; this module is the
only place that turns them into what a client reads, in the request's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from guichet.domain.errors import DomainError, DomainErrors
from guichet.i18n import render
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers.context import Info
from guichet.schema.common import UserError


def user_error(error: DomainError, locale: str) -> UserError:
    return UserError(code=error.code, message=render(error.message_key, locale, error.params), field=error.field)


def user_errors(error: DomainError | DomainErrors, locale: str) -> list[UserError]:
    if isinstance(error, DomainErrors):
        return [user_error(e, locale) for e in error.errors]
    return [user_error(error, locale)]


def forbidden(info: Info, module: str | None = None, action: str | None = None) -> GraphQLError:
    """FORBIDDEN, naming in extensions.module and extensions.action the permission that was missing."""
    return GraphQLError(render("FORBIDDEN", info.context.locale), extensions=forbidden_extensions(module, action))


def forbidden_extensions(module: str | None, action: str | None) -> dict[str, str]:
    extensions = {"code": "FORBIDDEN"}
    if module and action:
        extensions.update(module=str(module), action=str(action))
    return extensions


def unauthenticated(info: Info) -> GraphQLError:
    return GraphQLError(render("UNAUTHENTICATED", info.context.locale), extensions={"code": "UNAUTHENTICATED"})


def top_level(error: DomainError, info: Info) -> GraphQLError:
    return GraphQLError(
        render(error.message_key, info.context.locale, error.params),
        extensions={"code": error.code.value, "field": error.field},
    )


@contextmanager
def refusals_as_errors(info: Info) -> Iterator[None]:
    """In query fields, turn refusals into top-level errors with extensions.code."""
    try:
        yield
    except NotAuthenticated:
        raise unauthenticated(info) from None
    except AccessDenied as error:
        raise forbidden(info, error.module, error.action) from None
    except DomainError as error:
        raise top_level(error, info) from None

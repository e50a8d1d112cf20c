"""The single place where DomainErrors become UserErrors in the request's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from guichet.domain.errors import DomainError, DomainErrors
from guichet.i18n import render
from guichet.schema.common import UserError

P = TypeVar("P")


def user_error(error: DomainError, locale: str) -> UserError:
    return UserError(code=error.code, message=render(error.message_key, locale, error.params), field=error.field)


async def run_mutation(
    locale: str,
    action: Callable[[], Awaitable[P]],
    on_error: Callable[[list[UserError]], P],
) -> P:
    """Run `action`; a DomainError (or several) becomes the payload built by `on_error`."""
    try:
        return await action()
    except DomainError as error:
        return on_error([user_error(error, locale)])
    except DomainErrors as errors:
        return on_error([user_error(e, locale) for e in errors.errors])

"""The one mutation wrapper: refusals become the field's payload with `errors`, or top-level errors.

Every mutation field is declared with `payload_mutation(...)`. Its resolver raises; this wrapper
turns DomainError / DomainErrors into the payload type the field returns (every other field
null, or `Payload.refused(errors)` when the type defines it), NotAuthenticated into a top-level
UNAUTHENTICATED and AccessDenied into a top-level FORBIDDEN.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types.field import StrawberryField

from guichet.domain.errors import DomainError, DomainErrors
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.schema.errors import forbidden, unauthenticated, user_errors


def refused(payload_type: Any, errors: list[Any]) -> Any:
    """The payload of a refusal: `payload_type.refused(errors)`, or every field null but `errors`."""
    build = getattr(payload_type, "refused", None)
    if build is not None:
        return build(errors)
    definition = payload_type.__strawberry_definition__
    empty = {f.python_name: None for f in definition.fields if f.python_name != "errors" and f.base_resolver is None}
    return payload_type(**empty, errors=errors)


class ErrorsInPayload(FieldExtension):
    """Turn a mutation's refusals into its payload's `errors` (see the module docstring)."""

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    async def resolve_async(self, next_: AsyncExtensionResolver, source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except NotAuthenticated:
            raise unauthenticated(info) from None
        except AccessDenied as error:
            raise forbidden(info, error.module, error.action) from None
        except (DomainError, DomainErrors) as error:
            return refused(self.field.type, user_errors(error, info.context.locale))


def payload_mutation(*, description: str, extensions: list[FieldExtension] | None = None) -> Any:
    """strawberry.mutation with the declared permission (if any) and then the payload wrapper."""
    return strawberry.mutation(description=description, extensions=[*(extensions or []), ErrorsInPayload()])

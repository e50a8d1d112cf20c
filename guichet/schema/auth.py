"""Sign-in, sessions, passwords, first connection and registration (the auth work fills this)."""

from __future__ import annotations

import strawberry

from guichet.resolvers.context import Info
from guichet.schema.common import OkPayload


@strawberry.type(description="Mutations of sign-in and passwords.")
class Mutation:
    @strawberry.mutation(description="End the current session.")
    async def logout(self, info: Info) -> OkPayload:
        raise NotImplementedError

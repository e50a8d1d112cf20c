"""Start-up hooks: each area starts what it needs for the app's lifetime (enforcer, watcher,
mail delivery, pub/sub) and returns an async function that stops it.

A hook is "module:function"; the function takes the AppState and returns an async closer or None.
Missing modules are skipped, so an area can add its hook before its code lands.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from guichet.app_state import AppState

Closer = Callable[[], Awaitable[None]]

STARTUP_HOOKS: tuple[str, ...] = (
    "guichet.policies.runtime:start",
    "guichet.mailer:start",
    "guichet.events:start",
)


async def start_all(state: AppState) -> list[Closer]:
    closers: list[Closer] = []
    for hook in STARTUP_HOOKS:
        module_name, _, function_name = hook.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        closer = await getattr(module, function_name)(state)
        if closer is not None:
            closers.append(closer)
    return closers


async def stop_all(closers: list[Closer]) -> None:
    for closer in reversed(closers):
        await closer()

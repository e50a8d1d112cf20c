"""Every operation that needs a (module, action), collected from tests/access_ops/<area>.py.

`OPERATIONS` is the concatenation of each area module's `OPERATIONS` list, in module-name order.
"""

from __future__ import annotations

import importlib
import pkgutil

from tests.access_ops.base import AccessOperation, World, refused_as_forbidden


def collect() -> list[AccessOperation]:
    operations: list[AccessOperation] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        operations.extend(getattr(module, "OPERATIONS", []))
    return operations


OPERATIONS: list[AccessOperation] = collect()

__all__ = ["OPERATIONS", "AccessOperation", "World", "refused_as_forbidden", "collect"]

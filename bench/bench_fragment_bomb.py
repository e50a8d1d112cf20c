"""The fragment bomb: how long Guichet takes to refuse `{ ...F0 }` with
`fragment Fi on Query { ...F(i+1) ...F(i+1) }` (2^n fields once expanded).

    .venv/bin/python -m bench.bench_fragment_bomb [--levels 20 40 80] [--rounds 20] [--strawberry 16]

In-process, through the real ASGI app (a migrated SQLite file, httpx's ASGI transport): prints, for
each number of levels, the document's size and the best and median time from POST to the refusal.
Each round uses a fresh document (a different operation name), so neither the parser cache nor
the validation cache answers. `--strawberry N` also times Strawberry's own QueryDepthLimiter and
MaxAliasesLimiter on the N-level bomb, for comparison (they double with each level).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from guichet.migrate import upgrade
from guichet.server import create_app
from guichet.settings import Settings


def bomb(levels: int, name: str = "Bomb") -> str:
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {name} {{ ...F0 }} {fragments} fragment F{levels} on Query {{ __typename }}"


async def refusal_times(url: str, levels: list[int], rounds: int) -> None:
    settings = Settings(database_url=url, secret_key="bench-" * 8, password_hash_profile="test")
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
    ):
        await client.post("/graphql", json={"query": bomb(2, "WarmUp")})  # first request: imports, pool
        for n in levels:
            timings = []
            for i in range(rounds):
                query = bomb(n, f"Bomb{i}")
                started = time.perf_counter()
                body = (await client.post("/graphql", json={"query": query})).json()
                timings.append(time.perf_counter() - started)
                assert body["data"] is None and "fields once fragments are expanded" in str(body), body
            print(
                f"levels={n:3d} bytes={len(bomb(n)):5d} refused in best {min(timings) * 1000:6.2f} ms, "
                f"median {statistics.median(timings) * 1000:6.2f} ms"
            )


def strawberry_time(levels: int) -> None:
    from graphql import parse, validate
    from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

    from guichet.schema.schema import build_schema

    rules = [*QueryDepthLimiter(max_depth=12).validation_rules, *MaxAliasesLimiter(max_alias_count=15).validation_rules]
    schema = build_schema()._schema
    document = parse(bomb(levels))
    started = time.perf_counter()
    validate(schema, document, rules)
    print(f"levels={levels:3d} Strawberry's depth and alias limiters alone: {time.perf_counter() - started:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[20, 40, 80])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--strawberry", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(refusal_times(url, args.levels, args.rounds))
    if args.strawberry:
        strawberry_time(args.strawberry)


if __name__ == "__main__":
    main()

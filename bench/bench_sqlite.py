"""The dashboards on SQLite (the embedded default) over the demo data: pages per second, in process.

    .venv/bin/python -m bench.bench_sqlite [--seconds 5] [--rounds 3]

Migrates a fresh SQLite file in a temporary folder, loads the demo (`guichet serve --demo`'s data),
signs in finance@acme.example, then sends each dashboard (bench.common: the peers' page, and the
full one with invoiceSummary and me.permissions) back to back through the ASGI app, one request
at a time, alternating graphql-core execution (GUICHET_FASTPATH off) and the compiled executor
in each round. Prints pages per second of both, their ratio, and whether the JSON is identical.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import DASHBOARD_QUERY, FULL_DASHBOARD_QUERY, SECRET_KEY

LOGIN = """mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { session { token } } }"""
ORGANISATIONS = "{ viewer { organisations { id name } } }"


async def measure(database_url: str, *, fast: bool, seconds: float) -> dict[str, tuple[float, bytes]]:
    """Pages per second and the last answer of each dashboard, with or without the fast path."""
    from guichet.demo import DEMO_PASSWORD
    from guichet.server import create_app
    from guichet.settings import Settings

    # One contact sends every request: the rate bucket (still debited) must not refuse the benchmark.
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        webhook_secret="x",
        fast_path=fast,
        rate_capacity=10**8,
        rate_restore=1e8,
    )
    app = create_app(settings)
    out: dict[str, tuple[float, bytes]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await client.post(
                "/graphql", json={"query": LOGIN, "variables": {"e": "finance@acme.example", "p": DEMO_PASSWORD}}
            )
            token = login.json()["data"]["login"]["session"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            orgs = (await client.post("/graphql", json={"query": ORGANISATIONS}, headers=headers)).json()
            org_id = orgs["data"]["viewer"]["organisations"][0]["id"]
            for name, query in (("peers' dashboard", DASHBOARD_QUERY), ("full dashboard", FULL_DASHBOARD_QUERY)):
                body = {"query": query, "variables": {"id": org_id}}
                for _ in range(20):  # warm-up: caches, plans, SQLite pages
                    last = await client.post("/graphql", json=body, headers=headers)
                count, started = 0, time.perf_counter()
                while time.perf_counter() - started < seconds:
                    last = await client.post("/graphql", json=body, headers=headers)
                    count += 1
                elapsed = time.perf_counter() - started
                if "errors" in last.json():
                    raise RuntimeError(f"{name}: {last.json()['errors']}")
                out[name] = (count / elapsed, last.content)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3); the best is kept")
    args = parser.parse_args()
    os.environ["GUICHET_FASTPATH_VERIFY"] = "0"
    from guichet.demo import load_demo
    from guichet.migrate import upgrade
    from guichet.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        upgrade(url)
        asyncio.run(load_demo(Settings(database_url=url, secret_key=SECRET_KEY, webhook_secret="x")))
        best: dict[tuple[str, bool], float] = {}
        answers: dict[tuple[str, bool], bytes] = {}
        for _ in range(args.rounds):
            for fast in (False, True):
                for name, (rate, answer) in asyncio.run(measure(url, fast=fast, seconds=args.seconds)).items():
                    best[(name, fast)] = max(rate, best.get((name, fast), 0.0))
                    answers[(name, fast)] = answer
    same = True
    print(f"{'dashboard (SQLite, demo data)':<32}{'graphql-core p/s':>18}{'compiled p/s':>14}{'ratio':>8}  same JSON")
    for name in ("peers' dashboard", "full dashboard"):
        slow, fast = best[(name, False)], best[(name, True)]
        equal = json.loads(answers[(name, False)]) == json.loads(answers[(name, True)])
        equal = equal and answers[(name, False)] == answers[(name, True)]
        same = same and equal
        print(f"{name:<32}{slow:>18.1f}{fast:>14.1f}{fast / slow:>8.2f}  {'yes' if equal else 'NO'}")
    print(
        f"one request at a time, in process, best of {args.rounds} rounds of {args.seconds:.0f} s; load {os.getloadavg()[0]:.1f}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

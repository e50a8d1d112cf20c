"""The policy benchmark: Casbin decisions for 10,000 contacts over 1,000 organisations.

    .venv/bin/python -m bench.bench_policy [--organisations 1000] [--per-organisation 10] [--rounds 5]

In-process, single thread. Builds the production PolicyEngine (FastEnforcer over
guichet/policies/model.conf with the default policy's role templates), compiles every contact's
rules (one primary admin per organisation, the others one or two roles, 30 % of them over one
billing account, some grants and denials), then prints, best of --rounds:
  - load: time to compile all contacts into the enforcer (incremental adds, no load_policy());
  - cold: decisions/s for the first decision of a request (rows handed to the engine, unchanged
    rules detected, enforce() answered), twice: with the engine's decision memo emptied first
    (every decision evaluated by Casbin, as after a rules change) and with it filled (the same
    decisions asked again by later requests: the common case of a dashboard);
  - warm: decisions/s for a repeated decision within the same request (the Authorizer's memo);
  - re-sync after a revocation (what a watcher message costs a process);
  - the enforcer decisions a 5-invoice and a 50-invoice page cost through the real GraphQL app
    (SQLite, one finance contact): the same number, whatever the page size (and how many of them
    Casbin evaluated: the second page's are answered by the engine's decision memo).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guichet.policies.engine import PolicyEngine
from guichet.policies.rules import ACTIONS, MODULES, ContactAccess, default_templates

PAIRS = [(m, a) for m in MODULES for a in ACTIONS]
ROLE_CHOICES = ["FINANCE", "COMMERCIAL", "MANAGEMENT", "ADMIN"]


def contacts(organisations: int, per_organisation: int, seed: int = 7) -> list[ContactAccess]:
    rng = random.Random(seed)
    result = []
    contact_id = 0
    for org in range(1, organisations + 1):
        for index in range(per_organisation):
            contact_id += 1
            roles: set[tuple[str, int | None]] = set()
            if index:
                for role in rng.sample(ROLE_CHOICES, rng.choice([1, 1, 2])):
                    roles.add((role, org * 10 + rng.randint(0, 2) if rng.random() < 0.3 else None))
            grants = {rng.choice(PAIRS)} if rng.random() < 0.1 else set()
            denials = {rng.choice(PAIRS)} if rng.random() < 0.1 else set()
            result.append(
                ContactAccess(
                    contact_id, org, True, index == 0, frozenset(roles), frozenset(grants), frozenset(denials)
                )
            )
    return result


def best(rounds: int, action: Callable[[], int]) -> tuple[float, float]:
    """(best, median) seconds per operation over `rounds` rounds; `action` returns its operation count."""
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        count = action()
        times.append((time.perf_counter() - start) / count)
    return min(times), statistics.median(times)


def policy_figures(organisations: int, per_organisation: int, rounds: int) -> None:
    population = contacts(organisations, per_organisation)
    engine = PolicyEngine(default_templates())
    start = time.perf_counter()
    for access in population:
        engine.sync(access)
    load = time.perf_counter() - start
    g_rules = sum(1 for c in population for r in (engine.holds(c.contact_id) or ()) if r[0] == "g")
    p_rules = len(engine.enforcer.get_policy())
    print(f"contacts {len(population)} in {organisations} organisations: {g_rules} g rules, {p_rules} p rules")
    print(f"load (incremental sync of every contact): {load:.2f} s")

    rng = random.Random(11)
    requests = [(rng.choice(population), rng.choice(PAIRS)) for _ in range(2000)]

    def cold() -> int:
        evaluations = engine.evaluations
        for access, (module, action) in requests:
            engine.scope(access, module, action)
        cold.evaluations = engine.evaluations - evaluations  # type: ignore[attr-defined]
        return len(requests)

    def cold_evaluated() -> int:
        engine.invalidate()  # as after any change of the rules: every decision goes to Casbin
        return cold()

    memo: dict[tuple[int, int, str, str], Any] = {}
    for access, (module, action) in requests:
        memo[(access.organisation_id, access.contact_id, module, action)] = engine.scope(access, module, action)

    def warm() -> int:
        for access, (module, action) in requests:
            memo[(access.organisation_id, access.contact_id, module, action)]
        return len(requests)

    warm_best, _ = best(rounds, warm)
    for label, action in (("memo emptied", cold_evaluated), ("memo filled", cold)):
        casbin = engine.casbin_evaluations
        cold_best, cold_median = best(rounds, action)
        print(
            f"cold decision, {label}: {1 / cold_best:,.0f} decisions/s ({cold_best * 1e6:.1f} µs best, "
            f"{cold_median * 1e6:.1f} µs median; {cold.evaluations / len(requests):.2f} enforce() per decision, "  # type: ignore[attr-defined]
            f"{(engine.casbin_evaluations - casbin) / (rounds * len(requests)):.2f} Casbin evaluations)"
        )
    print(f"warm decision (per-request memo): {1 / warm_best:,.0f} decisions/s ({warm_best * 1e9:.0f} ns)")

    target = population[len(population) // 2 + 1]
    revoked = ContactAccess(
        target.contact_id, target.organisation_id, True, False, frozenset(), target.grants, target.denials
    )

    def resync() -> int:
        engine.sync(revoked)
        engine.sync(target)
        return 2

    resync_best, _ = best(rounds, resync)
    print(f"re-sync of one contact after a change (watcher message): {resync_best * 1e6:.0f} µs")


async def page_evaluations() -> dict[int, tuple[int, int]]:
    """Enforcer evaluations of one GraphQL request listing 5 and 50 invoices with nested fields."""
    import httpx

    from guichet.domain.clock import FixedClock
    from guichet.migrate import upgrade
    from guichet.server import create_app
    from guichet.settings import Settings
    from tests.conftest import TEST_NOW
    from tests.factories import make_account, make_invoice, make_member, make_organisation

    folder = Path(tempfile.mkdtemp(prefix="guichet-bench-policy-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)  # alembic runs its own event loop
    settings = Settings(
        database_url=url, secret_key="bench-" + "x" * 40, webhook_secret="b", password_hash_profile="test"
    )
    app = create_app(settings, clock=FixedClock(TEST_NOW))
    query = """query($id: ID!, $n: Int) { organisation(id: $id) { invoices(first: $n) { totalCount edges { node {
      id number status total { amount currency } amountDue { amount } billingAccount { number } } } } } }"""
    counts: dict[int, tuple[int, int]] = {}
    async with app.router.lifespan_context(app):
        state = app.state.guichet
        async with state.sessionmaker() as session, session.begin():
            org = await make_organisation(session)
            accounts = [await make_account(session, org) for _ in range(3)]
            for i in range(60):
                await make_invoice(session, accounts[i % 3])
            finance = await make_member(session, org, roles=[("FINANCE", accounts[0].id), ("FINANCE", accounts[1].id)])
        from guichet.domain.ids import to_global_id

        engine = state.policy_engine
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n in (5, 50):
                before, casbin = engine.evaluations, engine.casbin_evaluations
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": {"id": to_global_id("Organisation", org.id), "n": n}},
                    headers={"Authorization": f"Bearer {finance.token}"},
                )
                body = response.json()
                if "errors" in body:
                    raise RuntimeError(body["errors"])
                counts[n] = (engine.evaluations - before, engine.casbin_evaluations - casbin)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--per-organisation", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    policy_figures(args.organisations, args.per_organisation, args.rounds)
    counts = asyncio.run(page_evaluations())
    print(
        "enforcer decisions for one invoices page (finance contact over 2 of 3 accounts): "
        + ", ".join(f"{n} invoices -> {d} ({c} evaluated by Casbin)" for n, (d, c) in counts.items())
    )


if __name__ == "__main__":
    main()

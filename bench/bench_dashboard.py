"""The invoice dashboard benchmark: Guichet against the floor, over HTTP, 16 concurrent clients.

    .venv/bin/python -m bench.bench_dashboard [--duration 10] [--connections 16]

Generates the data set first if needed (bench.generate_dataset), then, one server at a time on
loopback: the floor (bench/floor_app.py, one SQL statement, uvicorn 2 workers) and
`guichet serve --workers 2`, each warmed up then driven by wrk (2 threads, closed loop) from a
separate process with bench.common.DASHBOARD_QUERY for the largest organisation (20,000
invoices). Then Guichet again on the full dashboard (FULL_DASHBOARD_QUERY: the page plus
invoiceSummary and me.permissions), and both once more with GUICHET_FASTPATH=0 (graphql-core
executing everything: the figures before compiled execution). Prints req/s, p50 and p99 latency,
SQL statements per request, and Guichet's throughput as a fraction of the floor's. Each measured
run lasts --duration seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import BENCH_DIR, DASHBOARD_QUERY, FULL_DASHBOARD_QUERY, SECRET_KEY, database_url, load_dataset

ROOT = BENCH_DIR.parent
GUICHET_PORT = 18080
FLOOR_PORT = 18081


@dataclass
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    bytes_per_request: int
    app_cpu_ms: float = 0.0  # CPU of the server's processes per request
    db_cpu_ms: float = 0.0  # CPU of PostgreSQL's processes per request

    @property
    def ceiling(self) -> float:
        """Requests per second the machine's cores could serve if nothing else ran (CPU-bound)."""
        return (os.cpu_count() or 1) * 1000 / (self.app_cpu_ms + self.db_cpu_ms)


def _ticks(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
    return [root, *(int(p) for p in out)]


def postgres_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ, **(extra or {}))
    env.update(
        GUICHET_DATABASE_URL=database_url(),
        GUICHET_SECRET_KEY=SECRET_KEY,
        GUICHET_WEBHOOK_SECRET="bench-webhook-secret",
        GUICHET_PUBLIC_URL=f"http://127.0.0.1:{GUICHET_PORT}",
    )
    return env


@contextmanager
def server(command: list[str], port: int, probe: str, env: dict[str, str] | None = None) -> Any:
    """Start a server process group on loopback, wait until it answers, stop it afterwards."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{command[0]} exited: {log.read().decode()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start")
            time.sleep(0.3)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def body(dataset: dict[str, Any], query: str = DASHBOARD_QUERY) -> str:
    return json.dumps({"query": query, "variables": {"id": dataset["organisation_id"]}})


def fetch(port: int, dataset: dict[str, Any], query: str = DASHBOARD_QUERY) -> dict[str, Any]:
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        content=body(dataset, query),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {dataset['token']}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    port: int,
    dataset: dict[str, Any],
    *,
    duration: int,
    connections: int,
    server_pid: int,
    query: str = DASHBOARD_QUERY,
) -> Run:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body(dataset, query))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {dataset["token"]}"\n'
    )
    script.close()
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        # Warm-up: connection pools, caches, JIT-free but cold PostgreSQL buffers.
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", "-d3s", "-s", script.name, url], capture_output=True, check=True
        )
        app_pids = process_tree(server_pid)
        app0, db0 = _ticks(app_pids), _ticks(postgres_pids())
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        app_cpu, db_cpu = _ticks(app_pids) - app0, _ticks(postgres_pids()) - db0
    finally:
        Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    read = re.search(r"requests in [\d.]+\w+, ([\d.]+)(\w+) read", out)
    size = 0
    if read and total:
        factor = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[read.group(2)]
        size = int(float(read.group(1)) * factor / total)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        print(f"  {name}: {socket_errors.group(0)}")
    return Run(name, rps, p50, p99, errors, size, 1000 * app_cpu / max(total, 1), 1000 * db_cpu / max(total, 1))


async def count_statements(dataset: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """SQL statements Guichet runs for one dashboard request (in-process, same code and database)."""
    from sqlalchemy import event

    from guichet.server import create_app
    from guichet.settings import Settings

    settings = Settings(
        database_url=database_url(), secret_key=SECRET_KEY, webhook_secret="x", rate_capacity=10**8, rate_restore=1e8
    )
    app = create_app(settings)
    statements: list[str] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {dataset['token']}"}
            payload = json.loads(body(dataset))
            await client.post("/graphql", json=payload, headers=headers)  # warm-up
            engine = app.state.guichet.engine

            def before(*args: Any) -> None:
                statements.append(args[2])

            event.listen(engine.sync_engine, "before_cursor_execute", before)
            response = await client.post("/graphql", json=payload, headers=headers)
            event.remove(engine.sync_engine, "before_cursor_execute", before)
    return len(statements), response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (default 16)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is needed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    dataset = load_dataset()
    if dataset is None:
        subprocess.run([sys.executable, "-m", "bench.generate_dataset"], cwd=ROOT, check=True)
        dataset = load_dataset()
    assert dataset is not None

    statements, in_process = asyncio.run(count_statements(dataset))
    if "errors" in in_process:
        print(f"bench: Guichet answered errors: {in_process['errors']}", file=sys.stderr)
        return 1

    floor_command = [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--host", "127.0.0.1",
                     "--port", str(FLOOR_PORT), "--workers", "2", "--log-level", "info"]  # fmt: skip
    guichet_command = [str(Path(sys.executable).parent / "guichet"), "serve", "--host", "127.0.0.1",
                       "--port", str(GUICHET_PORT), "--workers", "2"]  # fmt: skip
    load_before = os.getloadavg()[0]
    with server(floor_command, FLOOR_PORT, "/docs-none") as process:
        floor_json = fetch(FLOOR_PORT, dataset)
        floor = wrk(
            "floor", FLOOR_PORT, dataset, duration=args.duration, connections=args.connections, server_pid=process.pid
        )
    guichet_runs: list[Run] = []
    guichet_json: dict[str, Any] = {}
    # One contact sends every request: the per-principal rate bucket (still debited and checked)
    # is made large enough not to refuse the benchmark's load.
    unthrottled = {"GUICHET_RATE_CAPACITY": "100000000", "GUICHET_RATE_RESTORE": "100000000"}
    for label, env in (
        ("", {"GUICHET_FASTPATH": "1", **unthrottled}),
        (" (graphql-core)", {"GUICHET_FASTPATH": "0", **unthrottled}),
    ):
        with server(guichet_command, GUICHET_PORT, "/healthz", env) as process:
            answer = fetch(GUICHET_PORT, dataset)
            guichet_json = guichet_json or answer
            if answer != guichet_json:
                print("bench: WARNING the two executions did not return the same JSON", file=sys.stderr)
            for name, query in (("guichet", DASHBOARD_QUERY), ("full dashboard", FULL_DASHBOARD_QUERY)):
                if "errors" in fetch(GUICHET_PORT, dataset, query):
                    print(f"bench: {name}{label} answered errors", file=sys.stderr)
                guichet_runs.append(
                    wrk(
                        name + label,
                        GUICHET_PORT,
                        dataset,
                        duration=args.duration,
                        connections=args.connections,
                        server_pid=process.pid,
                        query=query,
                    )
                )
    guichet = guichet_runs[0]

    same = guichet_json == floor_json
    edges = guichet_json["data"]["organisation"]["invoices"]["edges"]
    print(
        f"dashboard: organisation with {guichet_json['data']['organisation']['invoices']['totalCount']:,} invoices, "
        f"{len(edges)} per page, {sum(len(e['node']['lines']) for e in edges)} lines, "
        f"{sum(len(e['node']['payments']) for e in edges)} payments; "
        f"Guichet JSON {'==' if same else '!='} floor JSON"
    )
    print(
        f"{'server':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'bytes/req':>11}{'SQL/req':>9}"
        f"{'app CPU ms/req':>16}{'PG CPU ms/req':>15}{'CPU ceiling req/s':>19}"
    )
    for run, sql in ((floor, "1"), *((r, str(statements) if r.name == "guichet" else "-") for r in guichet_runs)):
        print(
            f"{run.name:<26}{run.requests_per_second:>10.1f}{run.p50_ms:>10.1f}{run.p99_ms:>10.1f}"
            f"{run.errors:>8}{run.bytes_per_request:>11}{sql:>9}"
            f"{run.app_cpu_ms:>16.1f}{run.db_cpu_ms:>15.1f}{run.ceiling:>19.0f}"
        )
    print(
        f"machine load average before the runs: {load_before:.1f} on {os.cpu_count()} cores "
        f"(other work on the machine lowers every req/s; the CPU columns and their ratio hold better)"
    )
    print(f"CPU-bound ceiling ratio guichet / floor = {guichet.ceiling / floor.ceiling:.2f}")
    fraction = guichet.requests_per_second / floor.requests_per_second
    print(
        f"guichet / floor = {fraction:.2f} (target >= 0.15); guichet p99 {guichet.p99_ms:.1f} ms (target < 100 ms); "
        f"{args.connections} clients, {args.duration} s runs, {os.cpu_count()} cores shared with PostgreSQL and wrk"
    )
    if not same:
        print("bench: WARNING the two servers did not return the same JSON", file=sys.stderr)
    return 0 if same and guichet.errors == 0 and floor.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The peer comparison: Guichet beside PostGraphile 5 and the raw floor on the same data, in one run.

    .venv/bin/python -m bench.bench_peers [--peers DIR] [--targets "pgl5 floor guichet"] [--load]

Drives the peer harness (`run.sh` install, start, check, bench, lat1, stop in DIR, default the
`peers` folder beside this checkout's parent, or $GUICHET_PEERS_DIR) with GUICHET_DIR set to this
checkout: 16 connections for 3 alternating rounds, then 1 connection. --load first copies the
peers' data into database guichet_peer (the harness's guichet/load.py; needed once, and again
when the sessions expire). Prints the harness's tables, then the ratios the invoice-dashboard
goal is judged by: Guichet's req/s over PostGraphile 5's and the floor's, 1-connection p50s,
CPU ms per request. Numbers move with the machine's load: compare only within one run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PEERS = Path(os.environ.get("GUICHET_PEERS_DIR") or ROOT.parent / "shared" / "peers")
ROW = re.compile(r"^\| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| [^|]+ \| ([\d.]+) \+ ([\d.]+) \|")


def tables(output: str) -> list[dict[str, dict[str, float]]]:
    """Each summary table of the harness's output: target -> req/s, p50, p99, CPU ms/request."""
    found: list[dict[str, dict[str, float]]] = []
    for block in output.split("Medians over")[1:]:
        rows: dict[str, dict[str, float]] = {}
        for line in block.splitlines():
            match = ROW.match(line)
            if match:
                name, rps, p50, p99, pg, server = match.groups()
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                rows[name] = {
                    "non2xx": float(cells[8]) if len(cells) > 8 and cells[8].isdigit() else 0.0,
                    "rps": float(rps),
                    "p50": float(p50),
                    "p99": float(p99),
                    "pg_ms": float(pg),
                    "server_ms": float(server),
                }
        found.append(rows)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, help="the peer harness folder")
    parser.add_argument(
        "--targets", default="pgl5 floor guichet", help='measured servers (default "pgl5 floor guichet")'
    )
    parser.add_argument("--load", action="store_true", help="(re)load database guichet_peer and its sessions first")
    args = parser.parse_args()
    run_sh = args.peers / "run.sh"
    if not run_sh.exists():
        print(f"bench: no peer harness at {args.peers} (--peers DIR or GUICHET_PEERS_DIR)", file=sys.stderr)
        return 2
    if args.load:
        subprocess.run([sys.executable, str(args.peers / "guichet" / "load.py")], check=True)
    env = dict(os.environ, GUICHET_DIR=str(ROOT), TARGETS=args.targets, GUICHET_FASTPATH_VERIFY="0")
    # The harness sends 16 connections' worth of dashboards for 100 principals: far beyond the
    # default per-principal rate bucket (1,000 points, 50 a second; a page costs hundreds), so
    # with the defaults most answers would be 429. The bucket is still debited and checked on
    # every request; it is only made large enough not to refuse the benchmark's load.
    env.setdefault("GUICHET_RATE_CAPACITY", "100000000")
    env.setdefault("GUICHET_RATE_RESTORE", "100000000")
    servers = " ".join(dict.fromkeys(["floor", *args.targets.split()]))
    env["SERVERS"] = os.environ.get("SERVERS", servers)
    output = []
    try:
        for step in ("install", "start", "check", "bench", "lat1"):  # run.sh takes one step at a time
            process = subprocess.run(
                ["bash", str(run_sh), step], cwd=args.peers, env=env, capture_output=True, text=True
            )
            print(process.stdout, flush=True)
            output.append(process.stdout)
            if process.returncode != 0:
                print(process.stderr[-3000:], file=sys.stderr)
                return process.returncode
    finally:
        subprocess.run(["bash", str(run_sh), "stop"], cwd=args.peers, env=env, capture_output=True)
    found = tables("".join(output))
    if len(found) < 2 or "guichet" not in found[0]:
        print("bench: could not read the harness's tables", file=sys.stderr)
        return 1
    many, one = found[0], found[1]
    guichet = many["guichet"]
    print(f"{'server':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'1-conn p50':>12}{'CPU ms/req pg + server':>25}")
    for name, row in many.items():
        p50_one = one.get(name, {}).get("p50", float("nan"))
        print(
            f"{name:<10}{row['rps']:>8.0f}{row['p50']:>9.1f}{row['p99']:>9.1f}{p50_one:>12.1f}"
            f"{row['pg_ms']:>14.2f} + {row['server_ms']:.2f}"
        )
    refused = [name for table in (many, one) for name, row in table.items() if row["non2xx"]]
    if refused:
        print(f"bench: non-2xx answers from {', '.join(sorted(set(refused)))}: the figures are not comparable")
    for peer in ("pgl5", "floor", "pgl4"):
        if peer in many:
            print(f"guichet/{peer} req/s = {guichet['rps'] / many[peer]['rps']:.2f}", end="")
            if peer in one and "guichet" in one:
                print(f"; 1-connection p50 guichet {one['guichet']['p50']:.1f} ms vs {one[peer]['p50']:.1f} ms", end="")
            print()
    if "pgl5" in many and "pgl5" in one:
        met = guichet["rps"] >= many["pgl5"]["rps"] and one["guichet"]["p50"] <= one["pgl5"]["p50"]
        print(f"bar (req/s >= PostGraphile 5 and 1-connection p50 <= PostGraphile 5): {'met' if met else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

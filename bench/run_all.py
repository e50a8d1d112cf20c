"""`make bench`: run every benchmark of bench/ in turn, each printing its own figures.

A benchmark module is run as `python -m bench.<name>`; one that is missing is skipped.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec

BENCHMARKS = (
    "bench.bench_dashboard",
    "bench.bench_sqlite",
    "bench.bench_policy",
    "bench.bench_payments",
    "bench.bench_fragment_bomb",
)


def main() -> int:
    status = 0
    for module in BENCHMARKS:
        if find_spec(module) is None:
            print(f"== {module}: not there, skipped")
            continue
        print(f"== {module}", flush=True)
        status |= subprocess.run([sys.executable, "-m", module]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())

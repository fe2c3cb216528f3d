"""Simulation time of ``boundlab verify``'s quick suite: ``python benchmarks/bench_verify.py [--before REV]``.

Each check of the suite is measured (simulated, not judged) one after the other in one process, with the seed
``boundlab verify`` gives it, and timed; the total is the suite's simulation time on one core (``boundlab
verify`` spreads the checks over the cores: its wall time is about this total over the jobs, plus the start
and the judging). The same is done, in the same run, with the numpy engine (``BOUNDLAB_ENGINE=numpy``) and,
with ``--before REV``, with the code of an earlier revision (benchmarks/revision.py): the totals are over the
checks that both versions have, by name. The machine's load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys, time
from boundlab.verify.suite import check_seed, load_suite, measure, seed_name
items = load_suite(sys.argv[1])
only = set(json.loads(sys.argv[2])) if len(sys.argv) > 2 else None
try:
    from boundlab.simulate.kernels import preload
    preload()                                   # numba's cached kernels loaded before the clock starts
except ImportError:                             # an earlier revision
    pass
out = {}
for c in items:
    if only is not None and c.name not in only:
        continue
    t = time.perf_counter()
    measure(c, check_seed(0, seed_name(c)), "monte-carlo")
    out[c.name] = time.perf_counter() - t
print(json.dumps(out))
"""


def run(label: str, suite: str, env: dict, only: list[str] | None = None) -> dict[str, float]:
    args = [sys.executable, "-c", CHILD, suite] + ([json.dumps(only)] if only is not None else [])
    t = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{label}: {proc.stderr.strip().splitlines()[-1]}")
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"# {label}: {len(times)} checks, {sum(times.values()):.1f} s of simulation "
          f"({time.perf_counter() - t:.1f} s with the start)", flush=True)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--before", default=None, metavar="REV", help="also time the code of this git revision")
    parser.add_argument("--json", default=None, help="write every time to this file")
    a = parser.parse_args(argv)
    load0 = os.getloadavg()
    print(f"# boundlab verify ({a.suite}) simulation time, one process; load average "
          f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    base_env = {k: v for k, v in os.environ.items() if k != "BOUNDLAB_ENGINE"}
    results = {"compiled engine": run("compiled engine", a.suite, base_env),
               "numpy engine": run("numpy engine", a.suite, {**base_env, "BOUNDLAB_ENGINE": "numpy"})}
    if a.before:
        sys.path.insert(0, str(HERE))
        from revision import describe, package_tree
        tree = package_tree(a.before)
        env = {**base_env, "PYTHONPATH": os.pathsep.join([str(tree), base_env.get("PYTHONPATH", "")])}
        results[f"before ({describe(a.before)})"] = run(f"revision {a.before}", a.suite, env)
    common = sorted(set.intersection(*(set(t) for t in results.values())))
    print(f"\n| code | checks | simulation time over the {len(common)} common checks (s) | x faster than the first row |")
    print("|---|---|---|---|")
    ref = None
    for label in reversed(list(results)):
        total = sum(results[label][n] for n in common)
        ref = ref or total
        print(f"| {label} | {len(results[label])} | {total:.1f} | {ref / total:.2f} |")
    first = list(results)[0]
    print(f"\nThe ten longest checks ({first}; the others' times beside):\n")
    labels = list(results)
    print("| check | " + " | ".join(labels) + " |")
    print("|---" * (len(labels) + 1) + "|")
    for n in sorted(common, key=lambda n: -results[first][n])[:10]:
        print(f"| {n} | " + " | ".join(f"{results[lb][n]:.2f}" for lb in labels) + " |")
    load1 = os.getloadavg()
    print(f"\n# load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"load_before": load0, "load_after": load1, "times": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

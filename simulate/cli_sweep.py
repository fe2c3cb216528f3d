"""boundlab sweep SPEC.toml: run a grid of simulations in parallel, cached and resumable.

The spec (TOML) has a [base] table (a `boundlab simulate` config shared by every point), a [grid]
table (dotted config keys -> lists of values; the points are their Cartesian product) and an
optional out (the results folder). Each point is cached in OUT/cache/KEY.npz (KEY: a hash of the
fully resolved configuration and of everything else that changes numbers), so a sweep that is
interrupted and restarted recomputes only the missing points. OUT/results.csv is the tidy table of
every point (one row per point, run and checkpoint); OUT/sweep.json lists the points and their
status. A failing point is reported (exit status 1) and not cached; the others complete.
--jobs J runs J local processes; --scheduler ADDRESS runs on a Dask distributed cluster
(pip install 'boundlab[dask]'). The numbers are the same whatever the back end or the jobs.
"""
from __future__ import annotations

import argparse
import sys

from boundlab.errors import BoundlabError


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments."""
    parser.add_argument("spec", help="sweep spec (TOML): [base], [grid], out")
    parser.add_argument("--out", default=None, help="results folder (beats the spec's out; default SPEC.sweep)")
    parser.add_argument("--jobs", "-j", default=1, type=_int_arg("jobs"),
                        help="local processes running points in parallel (default 1: this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (e.g. tcp://127.0.0.1:8786) instead of local processes")
    parser.add_argument("--timeout", default=30.0, type=float, help="seconds to connect to the scheduler")
    parser.add_argument("--dry-run", action="store_true", help="list the points and whether they are cached")


def _int_arg(name: str):
    def conv(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer >= 1, got {text!r}") from None
    return conv


def run(args: argparse.Namespace) -> int:
    """Run the sweep; 0 if every point is done, 1 if some failed, 130 on Ctrl-C (cache kept)."""
    from boundlab.simulate import sweep as S
    if args.jobs < 1:
        raise BoundlabError(f"jobs must be an integer >= 1, got {args.jobs}")
    if args.scheduler is not None and args.jobs != 1:
        raise BoundlabError("jobs: give either --jobs (local processes) or --scheduler (Dask), not both")
    spec = S.load_spec(args.spec, args.out)
    if args.dry_run:  # reads the cache, creates nothing
        import os
        cache_dir = os.path.join(spec.out, "cache")
        for p in spec.points:
            state = "to run"
            if os.path.isdir(cache_dir):
                check = S.Cache.__new__(S.Cache)
                check.folder = cache_dir
                state = {"ok": "cached", "missing": "to run"}.get(check.check(p.key), None) or \
                    f"to rerun ({check.check(p.key)})"
            print(f"{p.index}\t{p.key[:16]}\t{state}\t{S._short(p)}")
        return 0
    try:
        report = S.run_sweep(spec, jobs=args.jobs, scheduler=args.scheduler, timeout=args.timeout,
                             log=S.main_log)
    except KeyboardInterrupt:
        print("boundlab sweep: interrupted: the finished points are cached; run the same command to resume",
              file=sys.stderr)
        return 130
    print(f"wrote {report.results_path}: {report.n_points} points ({report.cached} cached, "
          f"{report.computed} computed, {len(report.failed)} failed) in {report.elapsed_s:.1f} s")
    if report.failed:
        print(f"boundlab sweep: {len(report.failed)} points failed (not cached; run again to retry them): "
              f"{', '.join(map(str, sorted(report.failed)))}; see {report.results_path[:-11]}sweep.json",
              file=sys.stderr)
    return 1 if report.failed else 0

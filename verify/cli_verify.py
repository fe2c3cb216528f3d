"""Check every bound of the paper against simulation, with honest statistics.

  boundlab verify                     the quick suite (under 3 minutes on 2 cores), master seed 0
  boundlab verify --suite full        more runs, checkpoints and settings
  boundlab verify --tighten 0.97      every bound multiplied by 0.97: the equality checks must fail
  boundlab verify --format markdown|csv|json

One row per check: the result and its tag, the checkpoint, the measured left side and the bound,
their ratio with its interval, the verdict and whether the setting satisfies the hypotheses.
Exit status 1 when a bound is violated, 0 otherwise; a doubtful [S?] item that the simulation
contradicts is reported as a finding and fails the run only with --strict. The suite's false-alarm rate is at most
--alpha (1%), across all checks and checkpoints (Bonferroni).
"""
from __future__ import annotations

import argparse

from boundlab.verify.report import render
from boundlab.verify.suite import ALPHA, run_suite


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", choices=("quick", "full"), default="quick")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    parser.add_argument("--tighten", type=float, default=1.0, help="multiply every bound by this factor (power check)")
    parser.add_argument("--alpha", type=float, default=ALPHA, help="false-alarm rate of the whole suite (default 0.01)")
    parser.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: min(2, cores)); numbers unchanged")
    parser.add_argument("--strict", action="store_true",
                        help="also fail (exit 1) when a doubtful [S?] item is contradicted")


def run(args: argparse.Namespace) -> int:
    report = run_suite(args.suite, seed=args.seed, tighten=args.tighten, alpha=args.alpha, jobs=args.jobs,
                       strict=args.strict)
    print(render(report, args.format))
    return report.exit_code

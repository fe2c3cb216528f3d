"""Audit every encoded result: dimensional consistency, step-size schedules against the
hypotheses they claim, hypothesis chains, and the constants re-derived from Theorem 5.

Exit status 1 when a result not already flagged [S?] has a defect (or a re-derivation fails),
0 otherwise; defects of [S?] results are reported as known.
"""
from __future__ import annotations

import argparse



def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--verbose", "-v", action="store_true", help="also list the checks that passed")


def run(args: argparse.Namespace) -> int:
    from boundlab.theory import audit
    report = audit.run_audit()
    print(audit.render(report, args.format, verbose=args.verbose))
    return report.exit_code

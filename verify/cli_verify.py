"""Check every bound of the paper against simulation, with honest statistics.

  boundlab verify                     the quick suite (under 3 minutes on 2 cores), master seed 0
  boundlab verify --suite full        more runs, checkpoints and settings
  boundlab verify --suite mychecks.py your own results and checks (a module or file defining suite())
  boundlab verify --tighten 0.97      every bound multiplied by 0.97: the equality checks must fail
  boundlab verify --list              the suite's checks; --only PATTERN runs those whose name matches
  boundlab verify --exact             every check with an exact counterpart on exact expectations (no statistics)
  boundlab verify --power             also the power matrix: every constant of every statement scaled by
                                      0, 1/4, 1/2, 2 and each check judged again on the same records
  boundlab verify --format text|markdown|csv|json

One row per check: the result and its tag, the checkpoint, the measured left side and the bound,
their ratio with its interval, the verdict and whether the setting satisfies the hypotheses.
Exit status 1 when a bound is violated, when a negative control does not fail, or when an asserted
check leaves its result's hypotheses; 0 otherwise. A doubtful [S?] item that the simulation
contradicts (or an order claim it does not match) is reported as a finding and fails the run only
with --strict. The suite's false-alarm rate is at most
--alpha (1%), across all checks and checkpoints (Bonferroni).
"""
from __future__ import annotations

import argparse
import sys

from boundlab.errors import BoundlabError

ALPHA = 0.01  # the suite's default false-alarm rate (boundlab.verify.suite.ALPHA; a test keeps them equal)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", default="quick", metavar="NAME_OR_MODULE",
                        help="quick (default), full, a plug-in's registered suite, or a Python module or .py file "
                             "defining suite() (your own checks; see docs/verify-your-own-method.md)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    parser.add_argument("--tighten", type=float, default=1.0, help="multiply every bound by this factor (power check)")
    parser.add_argument("--alpha", type=float, default=ALPHA, help="false-alarm rate of the whole suite (default 0.01)")
    parser.add_argument("--format", choices=("text", "markdown", "csv", "json", "table"), default="text",
                        help="text (default: the aligned table), markdown, csv or json ('table' is the old name of text)")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: min(2, cores)); numbers unchanged")
    parser.add_argument("--strict", action="store_true",
                        help="also fail (exit 1) when a doubtful [S?] item is contradicted")
    parser.add_argument("--list", action="store_true", help="list the suite's checks (name, kind, result) and exit")
    parser.add_argument("--only", metavar="PATTERN", default=None,
                        help="run only the checks whose name contains PATTERN (shell wildcards * ? allowed); the "
                             "same numbers as in the whole suite, Bonferroni over the selected comparisons")
    parser.add_argument("--exact", action="store_true",
                        help="judge every check that has an exact counterpart on exact expectations "
                             "(boundlab.simulate.exact: mask operators on quadratics) instead of Monte Carlo")
    parser.add_argument("--power", action="store_true",
                        help="also print the power matrix: which constants of the statements the checks can see")
    parser.add_argument("--power-out", metavar="FILE", default=None,
                        help="with --power: write the matrix as CSV to FILE")


def select(items: list, pattern: str | None) -> list:
    """The checks whose name matches ``pattern`` (a substring, or a shell wildcard pattern)."""
    import fnmatch
    if pattern is None:
        return items
    wild = any(c in pattern for c in "*?[")
    chosen = [c for c in items if (fnmatch.fnmatch(c.name, pattern) if wild else pattern in c.name)]
    if not chosen:
        raise BoundlabError(f"only: no check of the suite matches {pattern!r} (see 'boundlab verify --list')")
    return chosen


def run(args: argparse.Namespace) -> int:
    from boundlab.verify.checks import load_suite
    from boundlab.verify.report import render
    from boundlab.verify.suite import check_options, run_items, run_suite
    if args.list:
        for c in select(load_suite(args.suite), args.only):
            what = getattr(c, "result", None) or getattr(c, "derivation", None) or getattr(c, "spec", "")
            print(f"{c.name}\t{getattr(c, 'kind', 'upper')}\t{getattr(c, 'role', 'assert')}\t{what}")
        return 0
    if args.only is None:
        report = run_suite(args.suite, seed=args.seed, tighten=args.tighten, alpha=args.alpha, jobs=args.jobs,
                           strict=args.strict, engine="exact" if args.exact else "monte-carlo")
    else:
        check_options(args.tighten, args.alpha, args.seed)
        report = run_items(select(load_suite(args.suite), args.only), args.suite, args.seed, args.tighten, args.alpha,
                           args.jobs, args.strict, "exact" if args.exact else "monte-carlo")
    if args.format == "table":                      # one name per output format across the commands
        print("boundlab: note: '--format table' is now called '--format text' (accepted)", file=sys.stderr)
    print(render(report, "text" if args.format == "table" else args.format))
    from boundlab.verify import cache        # kept for 'boundlab figures tightness' (boundlab.verify.cache)
    cache.store(cache.key(args.suite, args.seed, args.tighten, args.alpha, "exact" if args.exact else "monte-carlo",
                          args.only), report.to_frame())
    if args.power:
        from boundlab.verify.power import power_frame, power_matrix, render_power
        matrix = power_matrix(report)
        print()
        print(render_power(matrix))
        if args.power_out:
            from boundlab.simulate.files import atomic_write
            text = power_frame(matrix).to_csv(index=False)
            try:
                atomic_write(args.power_out, lambda fh: fh.write(text), binary=False)
            except OSError as err:
                raise BoundlabError(f"--power-out: cannot write {args.power_out}: {err.strerror or err}") from None
    return report.exit_code

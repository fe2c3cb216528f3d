"""boundlab worst RESULT: the tightest instance of a bound inside its hypotheses, on exact expectations.

  boundlab worst thm5                  search Theorem 5's space (300 exact evaluations, 4 starts)
  boundlab worst prop1 --budget 1000   a longer search
  boundlab worst thm5 --objective innovation   maximise the recursion's innovation ratio instead
  boundlab worst thm7 --config-out worst.toml   also write a 'boundlab simulate' config of the tightest instance

Prints the largest E[lhs]/E[rhs] found (and the innovation ratio for recursions), the instance, a
config that reproduces it, and the empirical constants (the scale at which each constant of the
statement would first fail on an instance explored). A ratio above 1 inside the hypotheses is a
counterexample: it is confirmed by Monte Carlo (20,000 runs) and the exit status is 1.
"""
from __future__ import annotations

import argparse

import numpy as np

from boundlab.errors import BoundlabError


def configure(parser: argparse.ArgumentParser) -> None:
    from boundlab.verify.worst import SPACES
    parser.add_argument("result", choices=sorted(SPACES), metavar="RESULT",
                        help=f"one of: {', '.join(sorted(SPACES))}")
    parser.add_argument("--budget", type=int, default=300, help="exact evaluations in all (default 300)")
    parser.add_argument("--starts", type=int, default=4, help="starting points of the local searches (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starting points (default 0)")
    parser.add_argument("--objective", choices=("ratio", "innovation"), default="ratio",
                        help="maximise E[lhs]/E[rhs] (default) or, for a recursion, its innovation ratio")
    parser.add_argument("--config-out", metavar="FILE", default=None,
                        help="write the tightest instance as a 'boundlab simulate' TOML config")


def confirm(report, runs: int = 20_000) -> str:
    """Monte-Carlo confirmation of a counterexample: the paired one-sided interval on E[lhs - rhs] at k."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    from boundlab.theory import get
    from boundlab.verify import stats
    from boundlab.verify.checks import bind, constants_of, needed_symbols

    b = report.best
    inst = b.instance
    problem = quadratic(**inst.problem, seed=0)
    algorithm = make_algorithm(inst.algorithm, dict(inst.params))
    res = simulate(problem, algorithm, n_runs=runs, n_iter=inst.K, gamma=b.gamma, seed=1, allow_large_step=True,
                   checkpoints_spec="all", progress=False)
    needed = needed_symbols(report.result)
    vals = {**{n: v for n, v in constants_of(problem, algorithm, b.gamma).items() if n in needed},
            **inst.constants, **bind(res, b.k, needed)}
    e = get(report.result).evaluate(**vals)
    diff = np.broadcast_to(e.lhs - e.value, (runs,))
    verdict, ci = stats.upper_verdict(diff, 0.001)
    return (f"Monte Carlo ({runs} runs, seed 1): E[lhs - rhs] = {ci.estimate:.4g}, one-sided 99.9% interval "
            f"[{ci.low:.4g}, inf): {verdict}")


def run(args: argparse.Namespace) -> int:
    from boundlab.verify.worst import render, search
    if args.starts < 1:
        raise BoundlabError(f"starts must be an integer >= 1, got {args.starts}")
    if args.seed < 0:
        raise BoundlabError(f"seed must be an integer >= 0, got {args.seed}")
    report = search(args.result, budget=args.budget, seed=args.seed, starts=args.starts, objective=args.objective)
    counterexample = report.best is not None and report.best.ratio > 1 + 1e-9
    if counterexample:
        report.confirmation = confirm(report)
    print(render(report))
    if args.config_out and report.best is not None:
        from boundlab.simulate.files import atomic_write
        text = report.config_toml() + "\n"
        try:
            atomic_write(args.config_out, lambda fh: fh.write(text), binary=False)
        except OSError as err:
            raise BoundlabError(f"--config-out: cannot write {args.config_out}: {err.strerror or err}") from None
    return 1 if counterexample else 0

"""boundlab figures --out DIR: the paper's pictures from simulation, with the theory drawn over the data.

  boundlab figures --out DIR                      all seven figures (a few minutes on 2 cores)
  boundlab figures limit-variance --out DIR       1. stationary excess loss vs omega_dwn, theory over it
  boundlab figures convergence --out DIR          2. excess loss vs iterations and vs bits, two problems
  boundlab figures tightness --out DIR [--from-csv FILE]   3. measured/bound of every verify check
  boundlab figures step-sizes --out DIR           4. gamma_max and its three pieces vs omega
  boundlab figures step-edge --out DIR            5. the measured step-size edge vs omega (MCM, Artemis, Dore)
  boundlab figures decentralized --out DIR        6. decentralized training: consensus, loss vs bits, gossip
                                                     thresholds, the rate against nT
  boundlab figures stale-edge --out DIR           7. the exact mean-square edge gamma*(tau, omega) with stale
                                                     gradients, and the measured divergence onset

Each figure is written as NAME.png and NAME.pdf, with the plotted data in NAME.csv and the
settings in NAME.meta.json; existing files are kept unless --overwrite. Bands are the mean over
independent runs +- 1.96 standard errors (a 95% normal interval). Figure 1's problem (and the
quadratic of figure 2) take the problem keys of 'boundlab simulate' as flags (--problem.mu 0.2 ...).
Tiny runs for a quick look: --runs 4 --iterations 200.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from boundlab.errors import BoundlabError
from boundlab.simulate import config as C

#: figure names written after options ('boundlab figures step-sizes --out d convergence') join the list (boundlab.cli)
TRAILING_POSITIONALS = "figures"

FIGURES = ("limit-variance", "convergence", "tightness", "step-sizes", "step-edge", "decentralized", "stale-edge")
ORDER = ("step-sizes", "decentralized", "stale-edge", "limit-variance", "convergence", "step-edge",
         "tightness")  # cheap first; verify (external) last
FILE_NAMES = {"limit-variance": "limit_variance", "convergence": "convergence", "tightness": "tightness",
              "step-sizes": "step_sizes", "step-edge": "step_edge", "decentralized": "decentralized",
              "stale-edge": "stale_edge"}


def _gamma(text: str) -> "float | str":
    return text if text in ("min", "theory") else float(text)


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments (one group per figure)."""
    parser.add_argument("figures", nargs="*", metavar="FIGURE",
                        help=f"which figures: {', '.join(FIGURES)} or all (default: all)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if its parent exists)")
    parser.add_argument("--style", default="screen", choices=("screen", "paper", "column", "slides"),
                        help="figure width and font sizes: paper (487 pt, a page's text width, 8 pt type), column "
                             "(241 pt, one column of a two-column paper, 7 pt type, panels stacked), slides "
                             "(720 pt, 14 pt type), screen (default: each figure's own); the files are exactly "
                             "that wide; captions go to NAME.meta.json, never into the image")
    parser.add_argument("--from", dest="from_dir", default=None, metavar="DIR",
                        help="redraw the figures from the tables and metadata an earlier run wrote into DIR "
                             "(NAME.csv, NAME.meta.json): nothing is simulated")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files in DIR")
    parser.add_argument("--seed", type=int, default=0, help="seed of every simulation (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="simulations run in parallel (default 2)")
    parser.add_argument("--processes", type=int, dest="old_processes", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=None,
                        help="runs per simulation of every simulated figure: limit-variance (default 64), "
                             "convergence, step-edge (100), stale-edge (64), decentralized (200); a figure's own "
                             "option (--lv-runs, --conv-runs) wins")
    parser.add_argument("--iterations", type=int, default=None,
                        help="iterations per simulation: limit-variance (default 12000), convergence, "
                             "decentralized (300); step-edge's and stale-edge's are fixed (200, 300)")
    g1 = parser.add_argument_group("figure 1: limit variance vs omega_dwn")
    g1.add_argument("--omegas", default="0,1,2,5,10,20", help="omega_dwn grid (default 0,1,2,5,10,20)")
    g1.add_argument("--lv-algorithms", default="diana,artemis,dore,mcm,rand-mcm",
                    help="from diana, artemis, dore, double-squeeze, mcm, rand-mcm")
    g1.add_argument("--up", default="qsgd:s=1", help="uplink operator spec (default qsgd:s=1)")
    g1.add_argument("--down", default="bernoulli", choices=("bernoulli", "randk"),
                    help="downlink family with exact omega: bernoulli (p = 1/(1+omega)) or randk (k = d/(1+omega))")
    g1.add_argument("--lv-runs", type=int, default=None, help="runs (default 64)")
    g1.add_argument("--lv-iterations", type=int, default=None, help="iterations K (default 12000)")
    g1.add_argument("--tail", type=float, default=0.5, help="window = the last TAIL fraction of the iterations")
    g1.add_argument("--gamma", type=_gamma, default="min",
                    help="'min' (default: the smallest theory bound over algorithms and omegas) or a number")
    g1.add_argument("--allow-large-step", action="store_true", help="allow a gamma above a theory bound (figures 1, 2)")
    g2 = parser.add_argument_group("figure 2: convergence")
    g2.add_argument("--conv-algorithms", default="sgd,qsgd,diana,artemis,dore,double-squeeze,mcm,rand-mcm",
                    help="algorithms (default: the paper's eight)")
    g2.add_argument("--conv-problems", default="least_squares,quadratic", help="least_squares and/or quadratic")
    g2.add_argument("--conv-up", default="qsgd:s=1", help="uplink operator (default qsgd:s=1)")
    g2.add_argument("--conv-down", default="qsgd:s=1", help="downlink operator (default qsgd:s=1)")
    g2.add_argument("--conv-runs", type=int, default=None, help="runs (default 12 least squares, 32 quadratic)")
    g2.add_argument("--conv-iterations", type=int, default=None,
                    help="iterations (default 40000 least squares, 5000 quadratic)")
    g2.add_argument("--conv-gamma", type=_gamma, default="min",
                    help="'min' (default: same step, the smallest bound), 'theory' (each its own) or a number")
    g3 = parser.add_argument_group("figure 3: tightness")
    g3.add_argument("--from-csv", default=None, metavar="FILE", help="a 'boundlab verify --format csv' table")
    g3.add_argument("--suite", default="quick", help="verify suite to run when no --from-csv (default quick)")
    g3.add_argument("--rerun", action="store_true",
                    help="run the verify suite even when the table of an earlier run of the same code is cached")
    g4 = parser.add_argument_group("figure 4: step sizes")
    g4.add_argument("--step-N", type=int, default=20, help="number of workers N (default 20)")
    g4.add_argument("--step-omega-up", type=float, default=20 ** 0.5,
                    help="omega_up of panel (b) (default sqrt(20): s-quantization s = 1, d = 20)")
    g6 = parser.add_argument_group("figure 6: decentralized training")
    g6.add_argument("--dec-graph", default="ring", help="graph of panels a-c (default ring)")
    g6.add_argument("--dec-n", type=int, default=8, help="nodes (default 8)")
    g6.add_argument("--dec-compressor", default="randk:k=3", help="operator of every compressed algorithm (d = 4)")
    g6.add_argument("--dec-gamma", type=float, default=0.05, help="step size (default 0.05; no rule is sourced)")
    gp = parser.add_argument_group("problem of figure 1 and of figure 2's quadratic (keys of 'boundlab simulate')")
    for key in C.keys():
        if key.section == "problem":
            gp.add_argument(key.flag, *(["--" + key.dotted] if "_" in key.dotted else []), dest=key.dotted,
                            default=None, metavar="VALUE", help=key.help)


def selected(names: list[str]) -> list[str]:
    """The figures asked for, in the order they are made."""
    names = [n.replace("_", "-") for n in names]          # both spellings: step-edge and step_edge (its files)
    bad = [n for n in names if n not in (*FIGURES, "all")]
    if bad:
        raise BoundlabError(f"figure {bad[0]!r} is not one of {', '.join(FIGURES)}, all")
    wanted = set(FIGURES) if not names or "all" in names else set(names)
    return [f for f in ORDER if f in wanted]


def problem_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The --problem.KEY flags that were given."""
    return {k.dotted: getattr(args, k.dotted) for k in C.keys()
            if k.section == "problem" and getattr(args, k.dotted, None) is not None}


def settings_of(fig: str, args: argparse.Namespace, overrides: dict[str, Any]):
    """The validated settings of one figure (raises BoundlabError before anything is written)."""
    from boundlab.figures import common, convergence, limit_variance, step_sizes
    if fig == "step-sizes":
        s = step_sizes.Settings(N=args.step_N, omega_up=args.step_omega_up)
    elif fig == "limit-variance":
        s = limit_variance.Settings(
            omegas=args.omegas, algorithms=args.lv_algorithms, up=args.up, down=args.down,
            runs=_first(args.lv_runs, args.runs, 64), iterations=_first(args.lv_iterations, args.iterations, 12000),
            tail=args.tail, gamma=args.gamma, allow_large_step=args.allow_large_step, seed=args.seed,
            processes=args.jobs, problem=overrides)
    elif fig == "convergence":
        s = convergence.Settings(
            algorithms=args.conv_algorithms, problems=args.conv_problems, up=args.conv_up, down=args.conv_down,
            runs=_first(args.conv_runs, args.runs, None), iterations=_first(args.conv_iterations, args.iterations, None),
            gamma=args.conv_gamma, allow_large_step=args.allow_large_step, seed=args.seed,
            processes=args.jobs, quadratic=overrides)
    elif fig == "step-edge":
        common.positive_int(_first(args.runs, 100), "runs (figure 5)", 2)
        return None
    elif fig == "stale-edge":
        common.positive_int(_first(args.runs, 64), "runs (figure 7)", 2)
        return None
    elif fig == "decentralized":
        from boundlab.figures import decentralized
        s = decentralized.Settings(runs=_first(args.runs, 200), iterations=_first(args.iterations, 300),
                                   graph=args.dec_graph, n=args.dec_n, compressor=args.dec_compressor,
                                   gamma=args.dec_gamma, seed=args.seed)
    else:  # tightness
        if args.from_csv and not os.path.isfile(args.from_csv):
            raise BoundlabError(f"from-csv: {args.from_csv} is not a file")
        if args.suite not in ("quick", "full"):
            raise BoundlabError(f"suite must be 'quick' or 'full', got {args.suite!r}")
        return None
    if hasattr(s, "validate"):
        s.validate()
    if fig in ("limit-variance", "convergence"):  # the operators and the problem, built (cheaply) now
        from boundlab.figures.problem import build_problem
        from boundlab.simulate import make_compressor
        ups = (args.up,) if fig == "limit-variance" else (args.conv_up, args.conv_down)
        for what, spec in zip(("up", "down") if fig == "convergence" else ("up",), ups):
            make_compressor(spec, f"{'conv-' if fig == 'convergence' else ''}{what}")
        build_problem(overrides, seed=args.seed)
    return s


#: the order in which figures start when they are computed together: the longest single job (decentralized's one
#: job) and the largest map (the verify suite) first, so that a long job is not the last one started
START_ORDER = ("decentralized", "tightness", "step-edge", "stale-edge", "limit-variance", "convergence", "step-sizes")


def _data(fig: str, s: Any, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The table and metadata of one figure, nothing written (in a thread of its own when several figures are
    computed at once: every job then goes to the shared pool, see :func:`boundlab.simulate.files.shared_pool`)."""
    from boundlab.figures import (convergence, decentralized, limit_variance, stale_edge, step_edge, step_sizes,
                                  tightness)
    from boundlab.simulate.files import progress_map
    if fig == "step-sizes":
        return progress_map(step_sizes.compute, [(s,)], 1, fig)[0]
    if fig == "limit-variance":
        return limit_variance.compute(s)
    if fig == "convergence":
        return convergence.compute(s)
    if fig == "step-edge":
        return step_edge.compute(args.seed, _first(args.runs, 100), args.jobs)
    if fig == "stale-edge":
        return stale_edge.compute(args.seed, _first(args.runs, 64), args.jobs)
    if fig == "decentralized":
        return progress_map(decentralized.compute, [(s,)], 1, fig)[0]
    if args.from_csv:
        frame, source = tightness.load_csv(args.from_csv), f"from {args.from_csv}"
    else:
        frame, cached = tightness.from_verify(args.suite, args.seed, args.rerun)
        source = (f"boundlab.verify.run_suite({args.suite!r}, seed={args.seed})"
                  + (" (the table of an earlier run of the same code, from boundlab.verify.cache)" if cached else ""))
    return tightness.data(frame, source)


def _summary(fig: str, frame, meta: dict[str, Any]) -> str:
    """What the figure's line adds after its files."""
    if fig == "limit-variance" and {"mcm", "artemis"} <= set(frame.algorithm):
        from boundlab.figures import limit_variance
        r = limit_variance.ratio_at_largest(meta)
        return (f"; MCM/Artemis limit variance at omega_dwn = {r['omega_dwn']:g}: {r['ratio']:.3g} "
                f"[{r['low']:.3g}, {r['high']:.3g}] (95%)")
    if fig == "step-edge":
        fits = meta["fits"]
        return "; divergence exponents: " + ", ".join(
            f"{a} {fits[a + ':divergence']['exponent']:.2f}" for a in ("mcm", "artemis", "dore")
            if a + ":divergence" in fits)
    if fig == "stale-edge":
        fixed = frame[frame.delays == "fixed"]
        return "; onset/gamma* in [" + f"{(fixed.onset / fixed.gamma_star).min():.3g}, " \
               f"{(fixed.onset / fixed.gamma_star).max():.3g}]"
    if fig == "decentralized":
        return "; omega*: " + ", ".join(f"{t['graph']} n={t['n']} {t['omega_star']:.3g}" for t in meta["thresholds"])
    return ""


def run(args: argparse.Namespace) -> int:
    """Make the figures; print one line per figure as it is written (and the MCM/Artemis ratio of figure 1).

    Every requested figure's options are validated before anything is created (the output folder
    included): a bad option gives one line and exit 2 with nothing written. With --jobs above 1 and several
    figures, the figures are computed at once, their jobs sharing the worker processes (the same numbers: every
    job has its own seed), and each figure is drawn and written as soon as its data are complete."""
    import importlib
    from concurrent.futures import ThreadPoolExecutor, as_completed
    from contextlib import ExitStack

    from boundlab.figures import common, tightness
    from boundlab.simulate.files import shared_pool
    todo = selected(args.figures)
    explicit = bool(args.figures) and "all" not in args.figures
    if args.old_processes is not None:          # the old name, for one vocabulary across the commands
        print("boundlab: note: '--processes' is now called '--jobs' (accepted)", file=sys.stderr)
        args.jobs = args.old_processes
    if not isinstance(args.jobs, int) or args.jobs < 1:
        raise BoundlabError(f"jobs must be an integer >= 1, got {args.jobs!r}")
    common.DEFAULT_STYLE[0] = args.style       # every figure this run makes (a redraw passes it explicitly)
    if args.from_dir is not None:
        return redraw(todo, args.from_dir, args.out, args.overwrite, explicit, args.jobs, args.style)
    together = args.jobs > 1 and len(todo) > 1
    failed: list[BaseException] = []
    if together:     # numba's kernels compiled (or loaded from its cache) while the options are checked, before
        import threading                      # the workers fork: they inherit them instead of each compiling them
        from boundlab.simulate.kernels import preload

        def warm() -> None:
            try:
                preload()
            except BaseException as err:      # noqa: BLE001 - raised below, in this thread (e.g. a bad BOUNDLAB_ENGINE)
                failed.append(err)
        warming = threading.Thread(target=warm, name="preload")
        warming.start()
    try:
        overrides = problem_overrides(args)
        settings = {fig: settings_of(fig, args, overrides) for fig in todo}
        if together and "tightness" in todo and not args.from_csv:
            # meanwhile, the verify suite's modules and the theory registry: the workers inherit them (building
            # the registry took each of them about a second; importing the other figures' modules too measured
            # no faster)
            importlib.import_module("boundlab.verify.suite")
    finally:
        if together:
            warming.join()
    if failed:
        raise failed[0]
    common.check_out(args.out, [FILE_NAMES[f] for f in todo], args.overwrite)
    status = 0
    started = {}

    def timed(fig: str):
        started[fig] = time.perf_counter()
        return _data(fig, settings[fig], args)

    with ExitStack() as stack:
        if together:
            threads = stack.enter_context(ThreadPoolExecutor(len(todo), thread_name_prefix="figure"))
            stack.enter_context(shared_pool(args.jobs))   # left first: jobs not started are cancelled
            order = sorted(todo, key=lambda f: START_ORDER.index(f) if f in START_ORDER else len(START_ORDER))
            futures = {threads.submit(timed, fig): fig for fig in order}
            finished = ((futures[f], f) for f in as_completed(futures))
        else:
            finished = ((fig, None) for fig in todo)
        for fig, fut in finished:
            try:
                frame, meta = fut.result() if fut is not None else timed(fig)
            except tightness.VerifyUnavailable as err:
                if explicit:
                    raise
                print(f"boundlab figures: {err}", file=sys.stderr)
                continue
            except BoundlabError:
                raise
            except Exception as err:   # verify is another package: report its failure, keep the other figures
                if fig != "tightness" or explicit:
                    raise
                print(f"boundlab figures: tightness: verify failed ({type(err).__name__}: {err}); figure 3 skipped",
                      file=sys.stderr)
                status = 1
                continue
            module = importlib.import_module(f"boundlab.figures.{FILE_NAMES[fig]}")
            paths = common.save(module.plot(frame, meta), frame, meta, args.out, FILE_NAMES[fig])
            stem = paths[0].rsplit(".", 1)[0]
            print(f"{fig}: {stem}.{{png,pdf,csv,meta.json}} ({time.perf_counter() - started[fig]:.1f} s)"
                  f"{_summary(fig, frame, meta)}", flush=True)
    return status


def _redraw_one(fig: str, src: str, out: str, style: str) -> tuple[list[str], float]:
    import importlib

    from boundlab.figures import common
    t0 = time.perf_counter()
    frame, meta = common.load_saved(src, FILE_NAMES[fig])
    module = importlib.import_module(f"boundlab.figures.{FILE_NAMES[fig]}")
    return common.save(module.plot(frame, meta), frame, meta, out, FILE_NAMES[fig], style), time.perf_counter() - t0


def redraw(todo: list[str], src: str, out: str, overwrite: bool, explicit: bool, jobs: int = 1,
           style: str = "screen") -> int:
    """Each figure drawn again from SRC/NAME.csv and SRC/NAME.meta.json (written by an earlier run): the same plot
    function, nothing simulated. A figure asked for by name must be in SRC; with 'all', the missing are listed."""
    from boundlab.figures import common
    if not os.path.isdir(src):
        raise BoundlabError(f"from: {src} is not a folder")
    have = [f for f in todo if os.path.isfile(os.path.join(src, FILE_NAMES[f] + ".csv"))
            and os.path.isfile(os.path.join(src, FILE_NAMES[f] + ".meta.json"))]
    missing = [f for f in todo if f not in have]
    if missing and explicit:
        raise BoundlabError(f"from: {src} has no {FILE_NAMES[missing[0]]}.csv and .meta.json (run the figure first)")
    if not have:
        raise BoundlabError(f"from: {src} holds no figure's table (NAME.csv with NAME.meta.json)")
    common.check_out(out, [FILE_NAMES[f] for f in have], overwrite)
    if missing:
        print(f"boundlab figures: not in {src}, skipped: {', '.join(missing)}", file=sys.stderr)
    if jobs > 1 and len(have) > 1:           # each figure drawn in its own process (the same files)
        from boundlab.simulate.files import process_pool
        with process_pool(min(jobs, len(have))) as pool:
            done = list(pool.map(_redraw_one, have, [src] * len(have), [out] * len(have), [style] * len(have)))
    else:
        done = [_redraw_one(fig, src, out, style) for fig in have]
    for fig, (paths, seconds) in zip(have, done):
        stem = paths[0].rsplit(".", 1)[0]
        print(f"{fig}: {stem}.{{png,pdf,csv,meta.json}} ({seconds:.1f} s, redrawn from {src})")
    return 0


def _first(*values):
    """The first value that is not None."""
    return next((v for v in values if v is not None), None)

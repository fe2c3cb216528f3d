"""Evaluate one encoded result at given constants.

  boundlab theory gamma_max L=1 omega_up=4 omega_dwn=4 N=20
  boundlab theory thm5 L=1 omega_up=4 omega_dwn=4 N=20 gamma=0.003 alpha_dwn=0.03125 sigma=1 b=1 \\
      upsilon_prev=0.1 grad2_hat_prev=1
  boundlab theory gamma_max L=1 omega_up=4 omega_dwn=1,2,4,8 N=20      (a comma list is evaluated pointwise)
  boundlab theory thm7 --from-run out.csv upsilon_prev=0 ...   (the run's constants: L, omegas, gamma...)
  boundlab theory --list

Prints the statement, the value (for a bound: its right-hand side), whether the relation holds
when its left-hand side is given too, and which hypotheses hold at these constants.
"""
from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import numpy as np

from boundlab.errors import BoundlabError

if TYPE_CHECKING:
    from boundlab.theory.core import Evaluation, Result


#: key=value items may also come after the options (boundlab.cli takes the leftovers into this argument)
TRAILING_POSITIONALS = "constants"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="result name (see --list)")
    parser.add_argument("constants", nargs="*", metavar="key=value",
                        help="constants, e.g. L=1 N=20; a comma list (omega_dwn=1,2,4) evaluates pointwise")
    parser.add_argument("--from-run", metavar="FILE",
                        help="take the constants (L, mu, sigma, N, b, omegas, alpha_dwn, gamma...) from the output of "
                             "'boundlab simulate --out FILE' (its FILE.meta.json); key=value items override them")
    parser.add_argument("--list", action="store_true", help="list every encoded result with its tag")
    parser.add_argument("--latex", action="store_true", help="also print the statement in LaTeX")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def parse_constants(items: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise BoundlabError(f"constants are given as key=value, got '{item}'")
        try:
            values = [float(v) for v in raw.split(",")]
        except ValueError:
            raise BoundlabError(f"{key} must be a number or a comma list of numbers, got '{raw}'") from None
        out[key] = np.array(values[0] if len(values) == 1 else values)
    return out


def run_constants(path: str, result: "Result") -> dict[str, np.ndarray]:
    """The constants of a ``boundlab simulate`` output that ``result`` uses (from its metadata file)."""
    from pathlib import Path

    from boundlab.simulate.constants import Constants
    from boundlab.verify.checks import needed_symbols
    meta_path = Path(path if path.endswith(".meta.json") else path + ".meta.json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        consts = Constants.from_dict(meta.get("result", meta)["constants"])
    except FileNotFoundError:
        raise BoundlabError(f"--from-run: {meta_path} not found (the metadata 'boundlab simulate --out {path}' "
                            "writes)") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BoundlabError(f"--from-run: {meta_path} is not the metadata of a boundlab simulate run "
                            f"({type(err).__name__}: {err})") from None
    needed = needed_symbols(result.name)
    return {n: np.asarray(v, dtype=float) for n, v in consts.theory_values().items() if n in needed}


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(listing(args.format))
        return 0
    if not args.name:
        raise BoundlabError("give a result name (e.g. 'boundlab theory gamma_max L=1 omega_up=4 omega_dwn=4 N=20') "
                            "or --list")
    from boundlab.theory.core import get
    result = get(args.name)
    if result.statement is None:     # a claim without a formula, or an unsourced placeholder: shown, not evaluated
        print(f"{result.name} {result.status.tag}  {result.title}\n  source: {result.source}\n  no formula"
              + (f" (it extends {', '.join(result.extends)})" if result.extends else "")
              + (f"\n  notes: {result.notes}" if result.notes else ""))
        return 0
    values = parse_constants(args.constants)
    if args.from_run:
        values = {**run_constants(args.from_run, result), **values}
    evaluation = result.evaluate(**values)
    print(as_json(evaluation, values) if args.format == "json" else as_text(evaluation, values, args.latex))
    return 0


def listing(fmt: str = "text") -> str:
    from boundlab.theory.core import all_results
    results = all_results()
    if fmt == "json":
        return json.dumps([{"name": r.name, "status": r.status.value, "kind": r.kind, "title": r.title,
                            "inputs": r.inputs(), "source": str(r.source)} for r in results], indent=2)
    width = max(len(r.name) for r in results)
    tag = max(len(r.status.tag) for r in results)
    lines = [f"{r.name:<{width}}  {r.status.tag:<{tag}} {r.kind:<10} {r.title}" for r in results]
    return "\n".join(lines + ["", "Tags: [S] printed on the slides or stated in a seed's abstract, [S?] printed but "
                                  "doubtful, [D] derived, [O] order only (constants unknown), [unsourced] a "
                                  "placeholder: the sources say it exists but its formula could not be read (no "
                                  "number is encoded)."])


def _fmt(x: np.ndarray) -> str:
    x = np.asarray(x)
    if x.dtype == bool:
        return "yes" if bool(x) else "NO"
    return f"{float(x):.6g}"


def as_text(e: Evaluation, values: dict[str, np.ndarray], latex: bool = False) -> str:
    r: Result = e.result
    lines = [f"{r.name} {r.status.tag}  {r.title}", f"  source: {r.source}", f"  statement: {r.statement}"]
    if latex:
        lines.append(f"  latex: {r.latex}")
    varying = [k for k, v in values.items() if np.ndim(v) > 0]
    what = "bound (right-hand side)" if r.is_relation else "value"
    if not varying:
        lines.append(f"  {what}: {_fmt(e.value)}")
        if e.lhs is not None:
            lines.append(f"  left-hand side: {_fmt(e.lhs)}   holds: {_fmt(e.holds)}")
    else:
        cols = varying + [what] + (["lhs", "holds"] if e.lhs is not None else [])
        widths = [max(len(c), 12) for c in cols]
        lines.append("  " + "  ".join(f"{c:>{w}}" for c, w in zip(cols, widths)))
        n = int(np.broadcast(*[values[k] for k in varying]).size)
        table = [np.broadcast_to(values[k], (n,)) for k in varying] + [np.broadcast_to(e.value, (n,))]
        if e.lhs is not None:
            table += [np.broadcast_to(e.lhs, (n,)), np.broadcast_to(e.holds, (n,))]
        for i in range(n):
            lines.append("  " + "  ".join(f"{_fmt(col[i]):>{w}}" for col, w in zip(table, widths)))
    if r.hypotheses:
        lines.append("  hypotheses:")
        for label, check in e.hypotheses.items():
            tag = "" if check.hypothesis.status.value == "S" else f" {check.hypothesis.status.tag}"
            lines.append(f"    - {label}{tag}: {check.summary()}")
    if r.tight:
        lines.append(f"  equality case: {r.tight}")
    if r.notes:
        lines.append(f"  notes: {r.notes}")
    return "\n".join(lines)


def as_json(e: Evaluation, values: dict[str, np.ndarray]) -> str:
    def arr(x):
        return None if x is None else np.asarray(x).tolist()

    return json.dumps({
        "name": e.result.name, "status": e.result.status.value, "title": e.result.title,
        "source": str(e.result.source), "statement": str(e.result.statement),
        "inputs": {k: arr(v) for k, v in values.items()},
        "value": arr(e.value), "lhs": arr(e.lhs), "holds": arr(e.holds),
        "hypotheses": {k: (None if c.holds is None else arr(c.holds)) for k, c in e.hypotheses.items()},
    }, indent=2)

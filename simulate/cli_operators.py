"""Place every compression operator on the bits-versus-variance plane (seed 003's question).

  boundlab operators                     d = 100: bits per coordinate, declared and numerical worst-case omega,
                                         average-case error on the sphere at the best scaling, the alarm floor
  boundlab operators --d 20 --spec natural --spec randk:k=4
  boundlab operators --out DIR           also the figure (operators.png, .pdf, .csv, .meta.json)

The floor omega >= 1/(4^(b/d) - 1) is derived from an unverified recollection of another paper [M3] (THEORY-SEEDS.md
6.4): an alarm for bits accounting, not seed 003's bound (unsourced, like its Sparse Dithering and Spherical
Compression). Exit 1 when a declared (bits, omega) falls below it.
"""
from __future__ import annotations

import argparse
import sys

from boundlab.errors import BoundlabError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--d", type=int, default=100, help="dimension (default 100)")
    parser.add_argument("--spec", action="append", default=None, metavar="SPEC",
                        help="an operator spec (repeatable; default: every registered operator at several settings)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Monte-Carlo averages and the search")
    parser.add_argument("--format", choices=("text", "csv", "json", "table"), default="text",
                        help="text (default), csv or json ('table' is the old name of text)")
    parser.add_argument("--out", metavar="DIR", default=None, help="also write the figure into DIR")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing figure")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from boundlab.simulate.operators import frontier
    if isinstance(args.d, bool) or args.d < 2:
        raise BoundlabError(f"d must be an integer >= 2, got {args.d}")
    if args.out:
        from boundlab.figures import common
        common.check_out(args.out, ["operators"], args.overwrite)
    if args.format == "table":                      # one name per output format across the commands
        print("boundlab: note: '--format table' is now called '--format text' (accepted)", file=sys.stderr)
    frame = pd.DataFrame(frontier(args.d, args.spec, args.seed))
    if args.format == "csv":
        print(frame.to_csv(index=False), end="")
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=2))
    else:
        cols = ["operator", "bits_per_coordinate", "omega_declared", "omega_numerical", "average_error", "floor_M3"]
        print(f"boundlab operators: d = {args.d}; omega_numerical: the largest relative variance found by a search over "
              "x; average_error: min over the scaling of E||l C(x) - x||^2 on the unit sphere; floor_M3: the alarm "
              "floor 1/(4^(b/d) - 1), from an unverified recollection [M3], not seed 003's bound")
        print(frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out:
        from boundlab.figures.operators import make
        make(frame, args.out, args.d)
        print(f"wrote {args.out}/operators.{{png,pdf,csv,meta.json}}")
    below = frame[frame.below_floor]
    if len(below):
        print(f"boundlab operators: below the floor (a bits or omega accounting error): {', '.join(below.operator)}")
        return 1
    return 0

"""Regenerate the paper's rate-summary table from the encoded results.

The MCM cells are derived by sympy (leading order, constants dropped) from the exact formulas;
the Diana and Artemis/Dore cells come from their order-level encodings. Each cell carries its
tag, and every cell that differs from the slides' printed table is reported as a finding.

  boundlab table                      (markdown)
  boundlab table --format latex|csv|json
  boundlab table --features           (which algorithm has which memory / error feedback / update point)
"""
from __future__ import annotations

import argparse



def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("markdown", "latex", "csv", "json"), default="markdown")
    parser.add_argument("--features", action="store_true", help="print the features table instead")


def run(args: argparse.Namespace) -> int:
    from boundlab.theory import table
    if args.features:
        print(table.render_features(args.format))
    else:
        print(table.render(table.rate_table(), args.format))
    return 0

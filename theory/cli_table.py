"""Regenerate the paper's rate-summary table from the encoded results.

The MCM cells are derived by sympy (leading order, constants dropped) from the exact formulas;
the Diana and Artemis/Dore cells come from their order-level encodings. Each cell carries its
tag, and every cell that differs from the slides' printed table is reported as a finding.

  boundlab table                      (markdown)
  boundlab table --format latex|csv|json
  boundlab table --format latex --no-tags       (without the status tags)
  boundlab table --format latex --compact       (a double-column paper's column: smaller, no tags)
  boundlab table --format latex --standalone    (a whole document: pdflatex compiles it as it is)
  boundlab table --features           (which algorithm has which memory / error feedback / update point)

The LaTeX tables use booktabs; their first line names the packages they need (amsmath, amssymb, booktabs).
They fit an article's text width (345 pt), the compact one a two-column article's column (tests compile them).
"""
from __future__ import annotations

import argparse



def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("markdown", "latex", "csv", "json"), default="markdown")
    parser.add_argument("--features", action="store_true", help="print the features table instead")
    parser.add_argument("--no-tags", action="store_true", help="LaTeX: leave out the cells' status tags")
    parser.add_argument("--compact", action="store_true",
                        help="LaTeX: for a double-column paper (smaller type, abbreviated heads, no tags)")
    parser.add_argument("--standalone", action="store_true",
                        help="LaTeX: a whole document (documentclass, packages) around the table")


def run(args: argparse.Namespace) -> int:
    from boundlab.errors import BoundlabError
    from boundlab.theory import table
    latex_only = [f"--{n.replace('_', '-')}" for n in ("no_tags", "compact", "standalone") if getattr(args, n)]
    if latex_only and args.format != "latex":
        raise BoundlabError(f"{latex_only[0]} applies to --format latex only (got --format {args.format})")
    if args.features:
        if args.compact or args.no_tags:
            raise BoundlabError("--compact and --no-tags apply to the rate table (the features table has no tags)")
        text = table.render_features(args.format)
    else:
        text = table.render(table.rate_table(), args.format, tags=not args.no_tags, compact=args.compact)
    print(table.latex_document(text, twocolumn=args.compact) if args.standalone else text)
    return 0

r"""The source index: where each result's citation points, shipped with the package (``sources.csv``).

Every result transcribed from a seed document (the seminar slides, seed 001's abstract) cites a slide title and a
line of the extracted text. The seed texts are not the project's to redistribute, so the package ships this index
instead: per cited line, the short phrase that identifies the result there (``KEYWORDS``: "Theorem 5",
"Assumption 1", ...), the line at which the cited slide title first appears, and the SHA-256 of the three-line
window the keyword is read in; and, for a table transcribed cell by cell (the features table), the SHA-256 of each
row's cells (``sources_tables.csv``). The tests check every citation and every transcribed row against the index
(in any checkout), and the index against the documents where they are beside the checkout (``../shared/seeds``);
``python -m boundlab.theory.sources SEEDS_DIR`` rewrites both files from the documents.
"""
from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

INDEX = Path(__file__).with_name("sources.csv")
COLUMNS = ("result", "document", "line", "slide", "keyword", "title_line", "window_sha256")

#: The phrase the cited line (or the two after it) must contain, by result (or result family, the name before
#: the first underscore-suffixed variant): the result's own label on the slide.
KEYWORDS = {"A1": "Assumption 1", "A2": "Assumption 2", "A3": "Assumption 3", "A4": "Assumption 4",
            "A5": "Assumption 5", "prop1": "Proposition 1", "thm3": "Theorem 3", "thm5": "Theorem 5",
            "thm6": "Theorem 6", "thm6_averaged": "Theorem 6", "thm7": "Theorem 7", "thm7_linear": "Theorem 7",
            "thm8": "Theorem 8", "thm9": "Theorem 9", "V_k": "V_k", "Phi": r"\Phi(\gamma) :=", "Phi_Rd": "Phi^{",
            "gamma_up": "gamma_{\\max}^{\\text{up}}", "gamma_max_artemis_dore": "Dore}}",
            "thm7_averaged": "weighted Polyak", "L_tilde": "tilde{L}", "thm6_tuned": "step-size",
            "heterogeneous_extension": "Heterogeneous framework", "mcm_local_gap": "downlink memory",
            "dcd_ecd_rate": r"O(1/\sqrt{nT})", "naive_gossip_fails": "fail to converge"}


def window(lines: list[str], line: int) -> str:
    """The cited line and the two after it (1-based ``line``)."""
    return "\n".join(lines[line - 1: line + 2])


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(text: str) -> str:
    return re.sub(r"[*]", "", text)


def title_line(lines: list[str], slide: str, line: int) -> int | None:
    """The first line, at or before ``line``, where the slide's title (its first 20 characters, before any
    parenthesis) appears; None if it does not."""
    title = _plain(slide).split(" (")[0][:20]
    return next((i + 1 for i, ln in enumerate(lines[:line]) if title in _plain(ln)), None)


def cited() -> list:
    """The results that cite a line of a seed document."""
    from boundlab.theory import all_results
    return [r for r in all_results() if r.source.document.startswith("seeds/") and r.source.line is not None]


def build(seeds: Path) -> list[dict[str, str]]:
    """The index rows, from the documents in ``seeds``."""
    rows = []
    for r in sorted(cited(), key=lambda r: r.name):
        lines = (seeds / Path(r.source.document).name).read_text(encoding="utf-8").splitlines()
        src = r.source
        rows.append({"result": r.name, "document": src.document, "line": str(src.line), "slide": src.slide,
                     "keyword": KEYWORDS.get(r.name, ""), "title_line": str(title_line(lines, src.slide, src.line)
                                                                         or ""),
                     "window_sha256": digest(window(lines, src.line))})
    return rows


def load() -> dict[str, dict[str, str]]:
    """The shipped index, by result name."""
    with INDEX.open(encoding="utf-8", newline="") as fh:
        return {row["result"]: row for row in csv.DictReader(fh)}


#: the shipped index of the tables transcribed cell by cell (``boundlab theory table --features``)
TABLES_INDEX = Path(__file__).with_name("sources_tables.csv")
TABLE_COLUMNS = ("table", "row", "document", "line", "cells_sha256")
#: where each transcribed table's rows are: (document, first line, last line), 1-based, one row per line with its
#: cells separated by tabs, the row's name first
TABLES = {"features": ("seeds/004_0e25362dabf1950b.txt", 162, 170)}


def cells_digest(cells) -> str:
    """The SHA-256 of a row's cells after its name, stripped, joined by tabs (what the transcription must equal)."""
    return digest("\t".join(c.strip() for c in cells))


def build_tables(seeds: Path) -> list[dict[str, str]]:
    """The rows of :data:`TABLES_INDEX`, from the documents in ``seeds``."""
    rows = []
    for table, (document, first, last) in TABLES.items():
        lines = (seeds / Path(document).name).read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(range(first, last + 1)):
            rows.append({"table": table, "row": str(i), "document": document, "line": str(line),
                         "cells_sha256": cells_digest(lines[line - 1].split("\t")[1:])})
    return rows


def load_tables() -> dict[str, list[dict[str, str]]]:
    """The shipped table index, by table: its rows in order."""
    out: dict[str, list[dict[str, str]]] = {}
    with TABLES_INDEX.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["table"], []).append(row)
    return out


def write(rows: list[dict[str, str]], path: Path = INDEX, columns: tuple[str, ...] = COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        print("usage: python -m boundlab.theory.sources SEEDS_DIR (the folder of the seed texts)", file=sys.stderr)
        sys.exit(2)
    write(build(Path(sys.argv[1])))
    write(build_tables(Path(sys.argv[1])), TABLES_INDEX, TABLE_COLUMNS)
    print(f"wrote {INDEX} and {TABLES_INDEX}")

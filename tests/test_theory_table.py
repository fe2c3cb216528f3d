"""The rate-summary table: every cell derived, compared with the printed slides (THEORY.md section 4)."""
import csv
import io
import json

import pytest
import sympy as sp

from boundlab.theory import table
from boundlab.theory.symbols import L, N, eps, gamma, k, mu, omega_dwn, omega_up


@pytest.fixture(scope="module")
def cells():
    return table.rate_table()


def test_the_table_has_five_rows_and_three_columns(cells):
    assert [c.row for c in cells[::3]] == ["gamma_max", "limit_variance", "rate", "complexity_sc", "complexity_convex"]
    assert {c.column for c in cells} == set(table.COLUMNS) and len(cells) == 15


def test_every_cell_matches_the_slides_except_mcm_gamma_max(cells):
    # THEORY.md section 4 [D]: the only known discrepancy is the MCM L*gamma_max cell.
    differs = {(c.row, c.column) for c in cells if c.comparison.verdict == "differs"}
    assert differs == {("gamma_max", "MCM, Rand-MCM")}
    assert all(c.comparison.verdict == "identical" for c in cells if (c.row, c.column) not in differs)


def test_mcm_cells_are_derived_from_the_exact_formulas(cells):
    mcm = {c.row: c for c in cells if c.column == "MCM, Rand-MCM"}
    # Hand derivation: L*gamma_max with N -> 1 and constants dropped is
    #   min(1/(1+w_u), 1/w_d, 1/(w_d sqrt(w_d + w_u))); 1/w_d never binds (it is >= the third) so it is pruned.
    assert sp.simplify(mcm["gamma_max"].expr - sp.Min(1 / (1 + omega_up),
                                                      1 / (omega_dwn * sp.sqrt(omega_dwn + omega_up)))) == 0
    # Theorem 7's sigma^2 term is gamma^2 sigma^2 Phi/(N b): the cell is Phi without constants.
    assert sp.expand(mcm["limit_variance"].expr - (1 + omega_up) * (1 + gamma * L * omega_dwn**2)) == 0
    # Unrolling V_k <= (1 - gamma mu) V_{k-1} gives (1 - gamma mu)^k V_0.
    assert sp.simplify(mcm["rate"].expr - (1 - gamma * mu) ** k) == 0
    # thm7_averaged_derived's noise term 4 sigma^2 (1+w_u)/(N b (mu (K+1) + 2a)) ~ 4 sigma^2 (1+w_u)/(mu K N b)
    # reaches eps at K = 4 sigma^2 (1+w_u)/(mu N b eps) (the printed corollary's leading term too).
    assert sp.simplify(mcm["complexity_sc"].expr - (1 + omega_up) / (mu * eps * N)) == 0
    # thm6_tuned's 2 sqrt(D (1+w_u) sigma^2/(N b K)) reaches eps at K = 4 D (1+w_u) sigma^2/(N b eps^2).
    assert sp.simplify(mcm["complexity_convex"].expr - (1 + omega_up) / eps**2) == 0
    # built on the corollary re-derived from the recursion [D] (THEORY.md 7.6), not on the flagged printed one
    assert mcm["complexity_sc"].status == "D" and "thm7_averaged_derived" in mcm["complexity_sc"].derived_from
    assert {c.status for c in cells if c.column == "Diana"} == {"O"}


def test_the_gamma_max_finding_names_the_direction_where_they_differ(cells):
    finding = next(c.finding for c in cells if c.finding)
    # omega_up bounded, omega_dwn ~ Omega: exact Omega^(-3/2), printed Omega^(-1).
    assert "ω_up ~ Omega^0, ω_dwn ~ Omega^1" in finding and "Omega^-3/2" in finding and "Omega^-1" in finding
    assert "sqrt(8 omega_dwn + omega_up/N)" in finding


def test_a_wrong_printed_cell_would_be_reported():
    # Negative control: had the slides printed Artemis's complexity for MCM, the comparison must catch it.
    c = table.cell("complexity_convex", "MCM, Rand-MCM", printed=(1 + omega_up) * (1 + omega_dwn) / eps**2)
    assert c.comparison.verdict == "differs" and "unexplained" in c.finding
    c = table.cell("limit_variance", "MCM, Rand-MCM", printed=(1 + omega_up) * (1 + gamma * L * omega_dwn))
    assert c.comparison.verdict == "differs"


def test_all_formats_render(cells):
    md = table.render(cells, "markdown")
    assert md.count("\n| ") == 5 + 1 - 1 and "Findings (derived vs printed): 1" in md  # header + 5 rows
    assert all(tag in md for tag in ("[O]", "[D]", "[D from S?]"))
    data = json.loads(table.render(cells, "json"))
    assert len(data["cells"]) == 15 and len(data["findings"]) == 1
    rows = list(csv.DictReader(io.StringIO(table.render(cells, "csv"))))
    assert len(rows) == 15 and {r["comparison"] for r in rows} == {"identical", "differs"}
    tex = table.render(cells, "latex")
    assert r"\begin{tabular}" in tex and r"\end{tabular}" in tex and r"\bottomrule" in tex and tex.count(r" \\") == 6


def test_features_table_matches_the_slide():
    # Every row's cells, as transcribed, against the hash of the slide's row shipped in theory/sources_tables.csv
    # (lines 162-170 of the slides' text, checked against the text itself by tests/test_theory_sources.py).
    from boundlab.theory import sources
    shipped = sources.load_tables()["features"]
    assert len(shipped) == len(table.FEATURES)
    for (name, values), row in zip(table.FEATURES, shipped):
        assert sources.cells_digest(values) == row["cells_sha256"], f"{name}: a cell differs from the slide"
    # the check sees a one-cell change
    name, values = table.FEATURES[7]
    assert sources.cells_digest(("one-way", *values[1:])) != shipped[7]["cells_sha256"]
    for fmt in ("markdown", "latex", "csv", "json"):
        assert "Rand-MCM" in table.render_features(fmt)

"""The power matrix and the suite's own guards: hypotheses enforced, controls that must fail, exact
symbolic checks that a perturbed constant breaks, and the perturbation machinery itself."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from boundlab.theory import get
from boundlab.theory.perturb import owners_of, perturbed, targets
from boundlab.verify.checks import CONVEX, ISOTROPIC, Check, Setting, quick_suite
from boundlab.verify.kinds import ORDER_TOL, judge_order
from boundlab.verify.power import power_matrix, render_power
from boundlab.verify.suite import Measurement, run_items
from boundlab.verify.symbolic import symbolic_checks


def _target(owner: str, text: str):
    return next(t for t in targets(owner) if t.text.startswith(text))


def test_targets_of_phi_and_a_perturbation_that_is_undone():
    labels = [t.text for t in targets("Phi")]
    assert any(t.startswith("64 in") for t in labels) and "(omega_up + 1)" in labels
    t64 = _target("Phi", "64 in")
    point = dict(omega_up=1, omega_dwn=2, L=1, gamma=0.01)
    # Phi = (1 + 1)(1 + 64 * 0.01 * 4) = 2 * 3.56 = 7.12; with 32 instead of 64: 2 * 2.28 = 4.56
    assert float(get("Phi").evaluate(**point).value) == pytest.approx(7.12)
    with perturbed(t64, 0.5):
        assert float(get("Phi").evaluate(**point).value) == pytest.approx(4.56)
        # a statement using Phi through its symbol sees the perturbation too (thm6's variance term)
        thm6 = dict(point, N=2, b=1, sigma=1, dist2=0, upsilon=0, dist2_prev=0, upsilon_prev=0)
        assert float(get("thm6").evaluate(**thm6).value) == pytest.approx(0.01**2 * 4.56 / 2)
    assert float(get("Phi").evaluate(**point).value) == pytest.approx(7.12)
    assert owners_of("thm6") == ["thm6", "Phi", "V_k"]


def test_exponents_are_not_targets():
    # V_k = dist2 + 32 gamma L omega_dwn^2 upsilon: the 2 of omega_dwn^2 is not a constant of the paper
    assert [t.text.split(" ")[0] for t in targets("V_k")] == ["32"]


def test_the_symbolic_checks_see_the_constants_simulation_cannot():
    # Phi's 64, V_k's 32 and gamma_max^Upsilon's 8 sqrt 2 follow from Theorem 5: halving any of them breaks a
    # re-derivation, although no simulated check of the quick suite detects a halved 64 (the bound has slack).
    report = run_items(symbolic_checks(), seed=0, jobs=1)
    assert report.exit_code == 0
    matrix = power_matrix(report, slack=False)
    tested = {r.target.label for r in matrix.tested}
    for owner, text in (("Phi", "64 in"), ("V_k", "32 in"), ("gamma_upsilon", "sqrt(2)/16"), ("thm5", "-1/2"),
                        ("prop1", "(1 + omega_up/N)"), ("thm3", "(2*L*gamma*omega_dwn + 1)")):
        assert _target(owner, text).label in tested, (owner, text)


def test_power_matrix_of_proposition_1_and_its_render():
    check = next(c for c in quick_suite() if isinstance(c, Check) and c.result == "prop1")
    report = run_items([dataclasses.replace(check, runs=50_000)], seed=1, jobs=1)
    matrix = power_matrix(report)
    # every target of Proposition 1 (its two terms, (1 + omega_up/N), (omega_up + 1) and their 1s) is seen at x1/2
    prop1 = [r for r in matrix.rows if r.target.owner == "prop1"]
    assert len(prop1) == 6 and all(r.fails[0.5] for r in prop1)
    text = render_power(matrix)
    assert "Tested: 6 of 6 targets" in text and "prop1 6/6" in text


def test_an_untested_target_gets_its_best_slack():
    # thm6_averaged's variance term has huge slack on the averaged iterate: not tested, slack reported
    check = next(c for c in quick_suite() if isinstance(c, Check) and c.name == "thm6_averaged MCM")
    report = run_items([dataclasses.replace(check, runs=500)], seed=0, jobs=1)
    matrix = power_matrix(report)
    row = next(r for r in matrix.rows if r.target.label.startswith("thm6_averaged: term Phi"))
    assert not row.tested and (row.slack is None or row.slack > 2)
    assert "What no check can see" in render_power(matrix)


def test_an_asserted_check_outside_its_hypotheses_is_a_suite_error():
    # Theorem 6 at 2 gamma_max, not declared as exploration: exit 1 whatever the verdict
    bad = Check("thm6 at 2 gamma_max (undeclared)", "thm6", "upper",
                Setting(CONVEX, "mcm", {"up": "randk:k=5", "down": "randk:k=2"}, gamma="theory*2"), 300, 5, (5,))
    report = run_items([bad], seed=0, jobs=1)
    assert [r.check for r in report.hypothesis_errors] == [bad.name] and report.exit_code == 1
    explored = run_items([dataclasses.replace(bad, explore=True)], seed=0, jobs=1)
    assert explored.hypothesis_errors == [] and explored.exit_code == 0


def test_a_control_that_holds_fails_the_suite():
    # a 'control' that is in fact true (Proposition 1 on Ghost) must make the suite exit 1
    check = next(c for c in quick_suite() if isinstance(c, Check) and c.result == "prop1")
    report = run_items([dataclasses.replace(check, runs=20_000, control=True)], seed=0, jobs=1)
    assert report.rows[0].verdict == "holds" and report.missed_controls and report.exit_code == 1


def test_order_verdicts():
    x = np.array([1.0, 2.0, 5.0, 10.0])
    exact = {"x": x, "mean": 3.0 * x, "se": 0.01 * 3.0 * x}
    hold = judge_order(Measurement(None, np.zeros(1), np.zeros(1), values={**exact, "claimed": 1.0}), 0.01)
    assert hold["verdict"] == "holds" and hold["measured"].estimate == pytest.approx(1.0)
    off = judge_order(Measurement(None, np.zeros(1), np.zeros(1), values={**exact, "claimed": 1.0 + 2 * ORDER_TOL}),
                      0.01)
    assert off["verdict"] == "violated"


def test_one_over_c_checks_share_instance_and_seed():
    checks = [c for c in quick_suite() if isinstance(c, Check) and c.result == "one_over_C"]
    assert {c.seed_key for c in checks} == {"one_over_C"} and {c.setting.problem["mu"] for c in checks} == {1.0}
    assert sorted(c.constants["C"] for c in checks) == [1, 2, ISOTROPIC["N"]]
    thm9 = [c for c in quick_suite() if isinstance(c, Check) and c.result in ("thm9", "thm9_alpha")]
    assert len(thm9) == 6 and {c.seed_key for c in thm9} == {"thm9"}


def test_list_and_only(capsys):
    from boundlab.cli import main
    assert main(["verify", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(quick_suite()) and any(line.startswith("one_over_C mcm (C=1)\t") for line in lines)
    assert main(["verify", "--only", "one_over_C", "--exact", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 1 + 3 and all(r.startswith("one_over_C") for r in rows[1:])
    assert main(["verify", "--only", "no such check"]) == 2
    assert "no check of the suite matches" in capsys.readouterr().err

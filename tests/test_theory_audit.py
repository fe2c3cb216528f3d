"""`boundlab audit`: it must find Theorem 7's averaged-corollary defects on its own, and nothing it cannot explain."""
import dataclasses

from boundlab.theory import get
from boundlab.theory.audit import audit_result, render, run_audit
from boundlab.theory.core import Schedule, Status, le
from boundlab.theory.symbols import (L_tilde, N, b, gamma, gamma_max, grad2_hat_prev, k, local_gap2, mu, omega_dwn,
                                     omega_up, sigma)


def test_only_thm7_averaged_has_defects_and_they_are_the_three_known_ones():
    report = run_audit()
    defects = {a.result.name: a.defects for a in report.results if a.defects}
    assert set(defects) == {"thm7_averaged"}
    messages = [f.message for f in defects["thm7_averaged"]]
    checks = sorted(f.check for f in defects["thm7_averaged"])
    assert checks == ["dimensions", "dimensions", "schedule"]
    # 1. first step above gamma_max: gamma_0/gamma_max = 4 L~/(mu + L~) in [2, 4) since 0 < mu <= L~.
    assert any("gamma_0" in m and "[2, 4)" in m for m in messages)
    # 2. the first term (mu + 2L~)/(4 mu K^2) ||w0 - w*||^2 is in units of ||w||^2, the left side in units of F.
    assert any("dist2_0" in m and "[w]^2" in m and "left side [F]" in m for m in messages)
    # 3. ln(mu K + L~) takes the log of a quantity with the units of L.
    assert any("log" in m and "[F]/[w]^2" in m for m in messages)
    assert report.exit_code == 0 and report.unexpected == []


def test_every_other_finding_is_an_explained_note():
    report = run_audit()
    notes = [(a.result.name, f) for a in report.results for f in a.findings if f.kind == "note"]
    by = {}
    for name, f in notes:
        by.setdefault(name, []).append(f.check)
    # Each note says why: the two readings of Theorem 5's alpha condition, the tuned step's "K large enough",
    # gamma_max^down never binding, and the [S?] items whose doubt only simulation can judge.
    assert by == {"thm5": ["doubtful condition", "doubtful condition"], "thm6_tuned": ["schedule"],
                  "gamma_max": ["redundancy"], "Phi_Rd": ["doubt"], "thm9": ["doubt"]}
    thm5 = [f.message for n, f in notes if n == "thm5"]
    assert "cannot be the intended one" in thm5[0] and "sensible reading" in thm5[1]
    # The rederivations all match.
    assert all(d.matches for d in report.rederivations)
    text = render(report)
    assert "0 unexpected" in text and "thm7_averaged" in text.splitlines()[-1]


def test_a_dimension_error_is_caught():
    # Negative control: Proposition 1 with gamma instead of gamma^2 in its first term.
    prop1 = get("prop1")
    wrong = dataclasses.replace(prop1, name="prop1_wrong", statement=le(
        local_gap2, gamma * omega_dwn * (1 + omega_up / N) * grad2_hat_prev
        + gamma**2 * omega_dwn * (1 + omega_up) * sigma**2 / (N * b)))
    a = audit_result(wrong)
    assert a.verdict == "DEFECTS" and a.defects[0].check == "dimensions"


def test_a_schedule_above_gamma_max_is_caught_and_a_correct_one_passes():
    base = dataclasses.replace(get("thm6_averaged"), name="schedule_test", status=Status.S)
    # gamma_k = 1/(mu (k+1)/4 + L~) <= 1/(2 L~) iff mu (k+1) >= 4 L~: fails at k = 0 for every 0 < mu <= L~.
    bad = dataclasses.replace(base, schedule=Schedule(1 / (mu * (k + 1) / 4 + L_tilde), k, 0, le(gamma, gamma_max)))
    assert [f.check for f in audit_result(bad).defects] == ["schedule"]
    # gamma_k = 1/(2 L~ + mu k) <= 1/(2 L~) for every k >= 0: no finding.
    good = dataclasses.replace(base, schedule=Schedule(1 / (2 * L_tilde + mu * k), k, 0, le(gamma, gamma_max)))
    assert audit_result(good).defects == []


def test_mcm_theorems_imply_theorem_5_conditions():
    # gamma_max = min(gamma_up, 1/(8 omega_dwn L), gamma_upsilon) implies Theorem 5's step condition, and
    # alpha_dwn = 1/(8 omega_dwn) satisfies both readings of its alpha condition for omega_dwn >= 1.
    a = audit_result(get("thm6"))
    assert any("implies Theorem 5's gamma <= 1/(8 omega_dwn L)" in c for c in a.checks)
    assert any("contains omega_dwn >= 1" in c for c in a.checks)


def test_dimension_of_every_definition_matches_its_declared_unit():
    a = audit_result(get("gamma_max"))
    assert any(c.startswith("dimensions") for c in a.checks)
    wrong = dataclasses.replace(get("Phi"), name="Phi_wrong", statement=(1 + omega_up) * (1 + 64 * gamma * omega_dwn**2))
    assert [f.check for f in audit_result(wrong).defects] == ["dimensions"]  # gamma alone is not a pure number


"""boundlab worst: the search stays inside the hypotheses, finds the known tight instances, reproduces them
as a simulate config, and flags a counterexample when the statement is wrong."""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.cli import main
from boundlab.theory.perturb import targets
from boundlab.verify.worst import SPACES, evaluate, search


def test_the_noise_dominated_corner_is_the_exact_factor_two_of_theorem_5():
    # From w_0 = w_* with Upsilon_0 = 0, E Upsilon_1 = gamma^2 (1 + omega_up) sigma^2/(N b) against the bound's
    # 2 gamma^2 sigma^2 (1 + omega_up)/(N b) (THEORY.md 7.2): innovation ratio exactly 1/2 at k = 1.
    report = search("thm5", budget=40, objective="innovation")
    assert report.best.innovation == pytest.approx(0.5, rel=1e-9) and report.best.k == 1


def test_identities_are_attained_on_every_instance():
    for name in ("uplink_second_moment", "memory_step", "distance_identity", "one_over_C"):
        report = search(name, budget=20)
        assert all(abs(e.ratio - 1) < 1e-9 for e in report.explored), name
        # an identity pins every constant: any change fails on some instance (scale within 2^0.1 of 1)
        assert all(s is not None and abs(np.log2(s)) <= 0.1 for _, s in report.constants), name


def test_every_explored_instance_is_inside_the_hypotheses():
    from boundlab.theory import get
    report = search("thm7", budget=30)
    assert report.explored and report.rejected == 0
    for e in report.explored:
        assert e.instance.problem["mu"] > 0 and e.gamma <= 1.0  # Theorem 7 needs mu > 0, gamma <= gamma_max
        for v in e.values:
            hyp = get("thm7").evaluate(**v).hypotheses
            assert all(h.holds is None or bool(np.all(h.holds)) for h in hyp.values())


def test_a_wrong_statement_is_a_counterexample(monkeypatch, capsys):
    # Negative control: Phi's 64 replaced by 1 still holds, but Theorem 7's noise term halved does not hold at
    # the noise-dominated corner: the search finds a ratio above 1, Monte Carlo confirms it, exit 1.
    from boundlab.theory.perturb import perturbed
    t = next(x for x in targets("thm7") if x.text.startswith("Phi*gamma**2"))
    with perturbed(t, 0.5):
        assert main(["worst", "thm7", "--budget", "20"]) == 1
    out = capsys.readouterr().out
    assert "COUNTEREXAMPLE" in out and "Monte Carlo" in out and "violated" in out


def test_the_config_reproduces_the_instance(tmp_path):
    path = tmp_path / "worst.toml"
    assert main(["worst", "thm5", "--budget", "15", "--config-out", str(path)]) == 0
    text = path.read_text()
    assert "[problem]" in text and 'name = "mcm"' in text and "memory_offset" in text
    assert main(["simulate", str(path), "--runs", "50", "--exact"]) == 0


def test_bad_input_is_one_line(capsys):
    assert main(["worst", "thm5", "--budget", "3"]) == 2
    err = capsys.readouterr().err
    assert "budget must be an integer >= 10" in err and len(err.strip().splitlines()) == 1
    assert main(["worst", "prop1", "--objective", "innovation"]) == 2
    assert "not a recursion" in capsys.readouterr().err


def test_every_space_builds_an_admissible_instance():
    for name, space in SPACES.items():
        inst = space.build(np.full(len(space.names), 0.5))
        assert evaluate(name, inst) is not None, name

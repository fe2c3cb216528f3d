"""The public API for a user's results and checks: theory.declare (sympy or plain Python), declare_symbol,
Check bindings/assume, suites from files; run with verify's statistics."""
from __future__ import annotations

import pytest

from boundlab.errors import BoundlabError
from boundlab.theory import REGISTRY, Hypothesis, declare, declare_symbol, eq, le, symbol
from boundlab.theory.core import _load_all
from boundlab.verify.checks import Check, Setting, load_suite
from boundlab.verify.suite import run_items

B2 = {"N": 10, "d": 10, "L": 1.0, "mu": 0.0, "sigma": 1.0, "b": 2}
ghat2, grad2, omega_up, N, b, sigma = (symbol(n) for n in ("ghat2", "grad2_hat_prev", "omega_up", "N", "b", "sigma"))


@pytest.fixture
def declared():
    """Results declared by a test, removed afterwards."""
    _load_all()
    names = []

    def add(name, *args, **kw):
        names.append(name)
        return declare(name, *args, **kw)
    yield add
    for n in names:
        REGISTRY.pop(n, None)


def _qsgd(result: str, kind: str = "equality", **kw) -> Check:
    return Check(f"{result} qsgd", result, kind, Setting(B2, "qsgd", {"up": "randk:k=5"}), 50_000, 3, (1, 3), **kw)


def test_a_plain_python_bound_is_checked_and_a_wrong_one_fails(declared):
    # THEORY.md 7.1 for QSGD written as a Python function: (1 + w/N) g + (1 + w) s^2/(N b)
    declared("py_uplink", lhs=ghat2, rhs=lambda g, w, n, bb, s: (1 + w / n) * g + (1 + w) * s**2 / (n * bb),
             inputs=(grad2, omega_up, N, b, sigma), status="D", source="test")
    declared("py_uplink_wrong", lhs=ghat2, rhs=lambda g, w, n, bb, s: (1 + w / n) * g + s**2 / (n * bb),
             inputs=(grad2, omega_up, N, b, sigma), status="D", source="test: forgets (1 + omega) on the noise")
    report = run_items([_qsgd("py_uplink"), _qsgd("py_uplink_wrong")], jobs=1)
    verdicts = {r.check: r.verdict for r in report.rows}
    assert verdicts == {"py_uplink qsgd": "holds", "py_uplink_wrong qsgd": "violated"}
    assert report.exit_code == 1


def test_a_users_symbol_bound_to_a_record(declared):
    before = declare_symbol("test_dist_before", "D_{k-1}", "||w_{k-1} - w_*||^2 (test)", (2, 0), "measured", lower=0)
    declared("test_binding", eq(symbol("dist2_prev"), before), status="D", source="test")
    check = Check("binding", "test_binding", "equality", Setting(B2, "sgd", {}), 256, 3, (2, 3),
                  bindings=(("test_dist_before", "dist2", -1),))
    report = run_items([check], jobs=1)
    assert report.rows[0].verdict == "holds" and report.rows[0].ratio.estimate == pytest.approx(1.0, rel=1e-12)
    shifted = Check("binding, off by one", "test_binding", "equality", Setting(B2, "sgd", {}), 256, 3, (2, 3),
                    bindings=(("test_dist_before", "dist2", 0),))     # ||w_k - w_*||^2 < ||w_{k-1} - w_*||^2
    assert run_items([shifted], jobs=1).rows[0].verdict == "violated"
    bad = Check("binding, no such record", "test_binding", "equality", Setting(B2, "sgd", {}), 64, 3, (2,),
                bindings=(("test_dist_before", "nope", 0),))
    row = run_items([bad], jobs=1).rows[0]
    assert row.verdict == "violated" and "no such record" in row.detail


def test_structural_hypotheses_the_author_vouches_for(declared):
    declared("test_assumed", le(ghat2, (1 + omega_up / N) * grad2 + (1 + omega_up) * sigma**2 / (N * b)),
             status="D", source="test", hypotheses=(Hypothesis("my structure", "something only the author knows"),))
    plain = run_items([_qsgd("test_assumed", "upper")], jobs=1)
    assert plain.rows[0].hypotheses_ok is False and plain.exit_code == 1        # undecidable: an error of the suite
    vouched = run_items([_qsgd("test_assumed", "upper", assume=("my structure",))], jobs=1)
    assert vouched.rows[0].hypotheses_ok and vouched.exit_code == 0
    assert "my structure (assumed by the check)" in vouched.rows[0].hypotheses


def test_declare_refuses_clashes_and_bad_tags(declared):
    with pytest.raises(BoundlabError, match="already registered"):
        declare("thm5", le(ghat2, grad2))
    with pytest.raises(BoundlabError, match="status must be one of"):
        declare("test_bad_status", le(ghat2, grad2), status="X")
    with pytest.raises(BoundlabError, match="another meaning"):
        declare_symbol("L", "L", "not the smoothness")


def test_a_suite_from_a_file(tmp_path):
    path = tmp_path / "my_checks.py"
    path.write_text("from boundlab.verify.checks import Check, Setting\n"
                    "SUITE = [Check('uplink sgd', 'uplink_second_moment', 'equality', Setting({'N': 4, 'd': 5, "
                    "'L': 1.0, 'mu': 0.0, 'sigma': 1.0}, 'sgd', {}), 1000, 2, (2,))]\n")
    assert [c.name for c in load_suite(str(path))] == ["uplink sgd"]
    with pytest.raises(BoundlabError, match="suite must be one of quick, full"):
        load_suite("nonsense")
    empty = tmp_path / "empty_checks.py"
    empty.write_text("X = 1\n")
    with pytest.raises(BoundlabError, match="defines neither suite"):
        load_suite(str(empty))

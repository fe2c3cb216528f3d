"""Figure 1 (limit variance vs omega_dwn): the plotted numbers are the simulation's and the theory's."""
import math

import numpy as np
import pandas as pd
import pytest

from boundlab.errors import BoundlabError
from boundlab.figures import limit_variance as lv
from boundlab.simulate import make_algorithm, make_compressor, quadratic, simulate
from boundlab.theory import get

# Tiny but complete: two algorithms with a downlink, two omegas, a 4-worker quadratic.
SMALL = {"problem.N": 4, "problem.d": 6}


def small_settings(**kw) -> lv.Settings:
    base = dict(omegas=[0.0, 3.0], algorithms=["diana", "artemis", "mcm"], runs=3, iterations=40, processes=1,
                seed=5, problem=dict(SMALL))
    base.update(kw)
    return lv.Settings(**base)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("lv")
    paths, frame, meta = lv.make(small_settings(), str(out))
    return out, paths, frame, meta


def test_writes_png_pdf_csv_and_meta(made):
    out, paths, frame, _ = made
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == sorted(
        ["limit_variance.png", "limit_variance.pdf", "limit_variance.csv", "limit_variance.meta.json"])
    assert (out / "limit_variance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "limit_variance.pdf").read_bytes()[:5] == b"%PDF-"
    csv = pd.read_csv(out / "limit_variance.csv")
    # the CSV is the table (written with full float precision by pandas: exact up to the text round trip)
    np.testing.assert_allclose(csv["value"], frame["value"], rtol=1e-14)


def test_measured_value_is_an_independent_simulation(made):
    """Rebuild the problem and run MCM at omega_dwn = 3 directly with the same seed: the CSV's
    value is the mean over runs of the per-run mean of F(w_k) - F_* over k >= tail_start."""
    _, _, frame, meta = made
    s = small_settings()
    problem = quadratic(N=4, d=6, L=1.0, mu=0.5, sigma=1.0, b=1, B2=0.0, w0=0.0, seed=5)
    algo = make_algorithm("mcm", {"up": "qsgd:s=1", "down": "bernoulli:p=0.25", "uplink": "plain"})
    res = simulate(problem, algo, n_runs=3, n_iter=40, gamma=meta["gamma"], seed=5, checkpoints_spec="all",
                   progress=False)
    window = res.k >= s.tail_start
    expected = res["excess_loss"][:, window].mean(axis=1).mean()
    row = frame[(frame.kind == "measured") & (frame.algorithm == "mcm") & (frame.omega_dwn == 3.0)].iloc[0]
    # same seed, same runs: the engine is bit-reproducible; only the order of the final sums may differ
    assert row.value == pytest.approx(expected, rel=1e-12)
    assert row.down == "bernoulli:p=0.25"


def test_plotted_lines_are_the_csv(made):
    out, _, _, meta = made
    csv = pd.read_csv(out / "limit_variance.csv")
    fig = lv.plot(csv, meta)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}
    for name in ("diana", "artemis", "mcm"):
        rows = csv[(csv.kind == "measured") & (csv.algorithm == name)].sort_values("omega_dwn")
        ln = lines[f"measured:{name}"]
        np.testing.assert_array_equal(ln.get_xdata(), rows.omega_dwn.to_numpy())
        np.testing.assert_array_equal(ln.get_ydata(), rows.value.to_numpy())
        np.testing.assert_array_equal(lines[f"growth:{name}"].get_ydata(), rows.growth.to_numpy())
    theory = csv[csv.kind == "theory"]
    for algos, part in theory.groupby("algorithm"):
        np.testing.assert_array_equal(lines[f"theory:{algos}"].get_ydata(), part.value.to_numpy())


def test_mcm_theory_curve_is_gamma_sigma2_phi_over_nb(made):
    _, _, frame, meta = made
    curve = frame[(frame.kind == "theory") & (frame.algorithm == "mcm")]
    assert set(curve.tag) == {"[S]"}
    c = meta["problem"]
    g, w_up, w = meta["gamma"], meta["omega_up"], curve.omega_dwn.to_numpy()
    by_hand = g * c["sigma2"] * (1 + w_up) * (1 + 64 * g * c["L"] * w ** 2) / (c["N"] * c["b"])
    # the same formula evaluated by sympy's lambdified code and by numpy: rounding only
    np.testing.assert_allclose(curve.value.to_numpy(), by_hand, rtol=1e-12)


def test_order_curves_are_labelled_and_anchored_at_the_smallest_omega(made):
    _, _, frame, _ = made
    measured = frame[frame.kind == "measured"]
    for algos, name in (("diana", "diana"), ("artemis", "artemis")):
        curve = frame[(frame.kind == "theory") & (frame.algorithm == algos)].sort_values("omega_dwn")
        assert set(curve.tag) == {"[O]"} and curve.series.str.contains("order only, arbitrary constant").all()
        at0 = measured[(measured.algorithm == name) & (measured.omega_dwn == 0.0)].value.iloc[0]
        assert curve.value.iloc[0] == pytest.approx(at0, rel=1e-12)   # scaled to match: exact up to rounding
    art = frame[(frame.kind == "theory") & (frame.algorithm == "artemis")].sort_values("omega_dwn")
    # order (1 + omega_dwn): at omega_dwn = 3 the curve is 4 times its value at 0 (rounding only)
    assert art.value.iloc[-1] / art.value.iloc[0] == pytest.approx(4.0, rel=1e-12)


def test_default_gamma_is_the_smallest_bound_mcm_gamma_max_at_the_largest_omega(made):
    _, _, _, meta = made
    c = meta["problem"]
    expected = get("gamma_max").evaluate(L=c["L"], N=c["N"], omega_up=meta["omega_up"], omega_dwn=3.0).value
    assert meta["gamma"] == pytest.approx(float(expected), rel=1e-12)   # the same theory call: rounding only
    assert "MCM" in meta["gamma_choice"]


def test_diana_has_no_downlink_so_one_value_at_every_omega(made):
    _, _, frame, _ = made
    d = frame[(frame.kind == "measured") & (frame.algorithm == "diana")]
    assert len(d) == 2 and d.value.nunique() == 1


def test_artemis_at_omega_zero_is_diana():
    """Artemis with the identity downlink is Diana: same seed, same numbers (the reduction of
    THEORY.md section 2), so the two measured values at omega_dwn = 0 coincide."""
    frame, _ = lv.compute(small_settings(omegas=[0.0], algorithms=["diana", "artemis"]))
    m = frame[frame.kind == "measured"]
    assert m[m.algorithm == "artemis"].value.iloc[0] == m[m.algorithm == "diana"].value.iloc[0]


def test_paired_ratio():
    b = np.array([1.0, 2.0, 3.0, 4.0])
    r, low, high = lv.paired_ratio(2 * b, b)
    assert (r, low, high) == (2.0, 2.0, 2.0)        # exactly proportional runs: a zero-width interval
    a = np.array([1.0, 3.0, 2.0, 5.0])
    r, low, high = lv.paired_ratio(a, b)
    assert r == pytest.approx(a.mean() / b.mean(), rel=1e-15) and low < r < high


@pytest.mark.parametrize("omega", [1.0, 2.0, 5.0, 10.0, 20.0, 0.37])
def test_bernoulli_operator_has_the_requested_omega(omega):
    spec = lv.down_spec(omega, "bernoulli", 20)
    # omega = (1 - p)/p with p = 1/(1 + omega): exact up to floating-point rounding
    assert make_compressor(spec).omega(20) == pytest.approx(omega, rel=1e-12)


def test_randk_operator_and_its_omega():
    assert lv.down_spec(3.0, "randk", 20) == "randk:k=5"
    assert lv.down_spec(0.0, "randk", 20) == "identity"
    with pytest.raises(BoundlabError, match="omegas: rand-k on d = 20"):
        lv.down_spec(2.0, "randk", 20)


@pytest.mark.parametrize("kw, match", [
    ({"omegas": "-1,2"}, "omegas"),
    ({"algorithms": "mcm,sgd"}, "algorithms"),
    ({"runs": 1}, "runs"),
    ({"tail": 0.0}, "tail"),
    ({"down": "topk"}, "down"),
    ({"gamma": 1.0}, "above the theory's bound"),
])
def test_bad_input_is_one_line_naming_the_parameter(kw, match):
    with pytest.raises(BoundlabError, match=match) as err:
        lv.compute(small_settings(**kw))
    assert "\n" not in str(err.value)


def test_a_large_step_needs_allow_large_step_and_is_said_in_the_metadata():
    frame, meta = lv.compute(small_settings(gamma=0.05, allow_large_step=True, algorithms=["mcm"]))
    assert "ABOVE the theory's bound" in meta["gamma_choice"]
    # the MCM bound is drawn only where gamma <= gamma_max(omega_dwn): not at omega_dwn = 3 here
    curve = frame[(frame.kind == "theory") & (frame.algorithm == "mcm")]
    assert math.isnan(curve.value.iloc[-1]) and meta["theory_notes"]


def test_diverged_runs_are_left_out_and_said_on_the_figure():
    """gamma L = 5 > 2: every run of a gradient method on a quadratic diverges; a note on the picture says so."""
    frame, meta = lv.compute(small_settings(gamma=5.0, allow_large_step=True, algorithms=["mcm"], iterations=400))
    m = frame[frame.kind == "measured"]
    assert (m.finite_runs == 0).all() and m.value.isna().all()
    fig = lv.plot(frame, meta)
    assert any("3 of 3 runs diverged" in t.get_text() for t in fig.texts)
    assert "3 of 3 runs diverged" in fig._boundlab_caption

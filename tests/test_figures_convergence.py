"""Figure 2 (convergence): the plotted curves are the simulation's, in iterations and in bits."""
import numpy as np
import pandas as pd
import pytest

from boundlab.errors import BoundlabError
from boundlab.figures import convergence as cv
from boundlab.simulate import make_algorithm, quadratic, simulate

SMALL = {"problem.N": 4, "problem.d": 5}


def small_settings(**kw) -> cv.Settings:
    base = dict(algorithms=["sgd", "artemis", "mcm"], problems=["quadratic"], runs=3, iterations=30, processes=1,
                seed=7, quadratic=dict(SMALL), checkpoints=10)
    base.update(kw)
    return cv.Settings(**base)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("conv")
    paths, frame, meta = cv.make(small_settings(), str(out))
    return out, frame, meta


def test_files_are_written(made):
    out, _, _ = made
    for ext in ("png", "pdf", "csv", "meta.json"):
        assert (out / f"convergence.{ext}").stat().st_size > 0


def test_curve_is_an_independent_simulation(made):
    """MCM on the quadratic rebuilt by hand, same seed and step: the mean excess loss and the mean
    bits at every checkpoint are the CSV's."""
    _, frame, meta = made
    gamma = meta["problems"]["quadratic"]["gammas"]["mcm"]
    problem = quadratic(N=4, d=5, L=1.0, mu=0.5, sigma=1.0, b=1, B2=0.0, w0=1.0, seed=7)
    res = simulate(problem, make_algorithm("mcm", {"up": "qsgd:s=1", "down": "qsgd:s=1", "uplink": "plain"}),
                   n_runs=3, n_iter=30, gamma=gamma, seed=7, checkpoints_spec="all", progress=False)
    rows = frame[(frame.problem == "quadratic") & (frame.algorithm == "mcm")]
    idx = rows.k.to_numpy()
    # bit-reproducible engine: only the order of the sums over runs may differ
    np.testing.assert_allclose(rows.value, res["excess_loss"][:, idx].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rows.bits, (res["bits_up"] + res["bits_down"])[:, idx].mean(axis=0), rtol=1e-12)


def test_plotted_lines_are_the_csv(made):
    out, _, meta = made
    csv = pd.read_csv(out / "convergence.csv")
    fig = cv.plot(csv, meta)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}
    for name in ("sgd", "artemis", "mcm"):
        rows = csv[csv.algorithm == name]
        for x in ("k", "bits"):
            ln = lines[f"quadratic:{x}:{name}"]
            keep = rows[x].to_numpy() > 0              # log axes: the initial point (k = 0, no bits) is not drawn
            np.testing.assert_array_equal(ln.get_xdata(), rows[x].to_numpy()[keep])
            np.testing.assert_array_equal(ln.get_ydata(), rows.value.to_numpy()[keep])


def test_min_gamma_is_the_smallest_bound_and_the_same_for_all(made):
    _, _, meta = made
    info = meta["problems"]["quadratic"]
    assert len(set(info["gammas"].values())) == 1
    assert info["gammas"]["sgd"] == min(b for b in info["bounds"].values() if b is not None)


def test_theory_gamma_gives_each_its_own_bound():
    frame, meta = cv.compute(small_settings(gamma="theory", algorithms=["sgd", "mcm"]))
    info = meta["problems"]["quadratic"]
    assert info["gammas"] == {k: v for k, v in info["bounds"].items()}
    assert info["gammas"]["sgd"] > info["gammas"]["mcm"]


@pytest.mark.parametrize("kw, match", [
    ({"algorithms": "mcm,adam"}, "algorithms"),
    ({"problems": "logistic"}, "problems"),
    ({"gamma": 10.0}, "above the theory's bound"),
    ({"gamma": -1.0}, "gamma"),
    ({"runs": 1}, "runs"),
])
def test_bad_input(kw, match):
    with pytest.raises(BoundlabError, match=match):
        cv.compute(small_settings(**kw))


def test_diverged_runs_are_reported():
    """gamma L = 5 > 2 on the quadratic (L = 1): every run diverges, and a note on the figure says so."""
    frame, meta = cv.compute(small_settings(gamma=5.0, allow_large_step=True, algorithms=["sgd"], iterations=400))
    assert (frame.diverged_runs == 3).all()
    fig = cv.plot(frame, meta)
    assert any("Diverged runs" in t.get_text() and "SGD on quadratic: 3 of 3" in t.get_text() for t in fig.texts)


def test_least_squares_row_uses_the_papers_design_and_memory_uplink_for_mcm():
    s = small_settings(problems=["least_squares"], algorithms=["mcm"], quadratic={},
                       least_squares={"problem.N": 4, "problem.n_per_worker": 20, "problem.d": 5})
    frame, meta = cv.compute(s)
    info = meta["problems"]["least_squares"]
    assert info["keys"]["problem.data"] == "synthetic" and info["constants"]["B2"] > 0
    assert info["mcm_uplink"] == "memory" and set(frame.uplink) == {"memory"}
    assert np.isfinite(frame.value).all()

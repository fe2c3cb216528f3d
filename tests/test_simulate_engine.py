"""Engine: reproducibility across batchings, records, checkpoints, bits, divergence, step sizes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from boundlab.errors import BoundlabError
from boundlab.simulate import ALGORITHMS, BLOCK_SIZE, RECORDS, Algorithm, least_squares, make_algorithm, quadratic, simulate
from boundlab.simulate.engine import checkpoints

OPS = {"up": "qsgd:s=1", "down": "qsgd:s=1"}


@pytest.mark.parametrize("name, params, p", [
    ("mcm", OPS, 1.0),
    ("rand-mcm", {**OPS, "uplink": "memory"}, 0.7),
    ("double-squeeze", {"up": "topk:k=3", "down": "randk:k=4"}, 1.0),
])
def test_same_seed_same_numbers_whatever_the_batching(name, params, p):
    prob = quadratic(N=6, d=7, sigma=1.0, B2=0.5, seed=1)
    algo = lambda: make_algorithm(name, {**params, "p": p})  # noqa: E731
    kw = dict(n_iter=25, seed=42, progress=False, gamma=0.005)   # below every bound here
    one = simulate(prob, algo(), n_runs=130, batch_runs=1024, **kw)
    assert BLOCK_SIZE == 64
    for batch in (64, 100):        # 64+64+2 and 128+2 runs
        other = simulate(prob, algo(), n_runs=130, batch_runs=batch, **kw)
        for rec in RECORDS:
            assert np.array_equal(one[rec], other[rec], equal_nan=True), (batch, rec)
    # a prefix of the runs does not depend on how many runs follow
    first = simulate(prob, algo(), n_runs=64, **kw)
    for rec in RECORDS:
        assert np.array_equal(first[rec], one[rec][:64], equal_nan=True), rec
    # and another seed gives other numbers
    other_seed = simulate(prob, algo(), n_runs=64, **{**kw, "seed": 43})
    assert not np.array_equal(other_seed["dist2"], first["dist2"])


def test_least_squares_reproducible_across_batches():
    prob = least_squares(N=4, n_per_worker=30, d=5, b=3, seed=2, w0=1.0)
    kw = dict(n_iter=15, seed=9, progress=False)
    a = simulate(prob, make_algorithm("mcm", OPS), n_runs=70, batch_runs=64, **kw)
    b = simulate(prob, make_algorithm("mcm", OPS), n_runs=70, **kw)
    for rec in RECORDS:
        assert np.array_equal(a[rec], b[rec], equal_nan=True), rec


def test_records_against_a_direct_computation():
    """Deterministic SGD (sigma = 0): every record recomputed by a plain numpy loop."""
    prob = quadratic(N=3, d=4, L=2.0, mu=0.5, sigma=0.0, seed=3, B2=0.4)
    gamma = 0.2
    res = simulate(prob, make_algorithm("sgd", {}), n_runs=2, n_iter=12, gamma=gamma, seed=0, progress=False)
    A, c = prob.A, prob.centres
    w, ws = prob.w0.copy(), []
    for k in range(13):
        ws.append(w.copy())
        w = w - gamma * np.mean([A @ (w - ci) for ci in c], axis=0)
    ws = np.array(ws)
    F = lambda v: np.mean([0.5 * (v - ci) @ A @ (v - ci) for ci in c])  # noqa: E731
    Fstar = F(prob.w_star)
    for r in range(2):
        np.testing.assert_allclose(res["excess_loss"][r], [F(v) - Fstar for v in ws], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(res["dist2"][r], np.sum((ws - prob.w_star) ** 2, axis=1), rtol=1e-12)
        avg = [ws[0]] + [ws[:k].mean(axis=0) for k in range(1, 13)]
        np.testing.assert_allclose(res["excess_loss_avg"][r], [F(v) - Fstar for v in avg], rtol=1e-9, atol=1e-13)
        gF = [np.sum((A @ (v - prob.w_star)) ** 2) for v in ws[:-1]]
        np.testing.assert_allclose(res["grad2_hat"][r, 1:], gF, rtol=1e-12)
        # F(w_hat_{k-1}) - F_*: here w_hat = w (no downlink compression), so F(w_{k-1}) - F_*.
        np.testing.assert_allclose(res["excess_loss_hat"][r, 1:], [F(v) - Fstar for v in ws[:-1]], rtol=1e-9,
                                   atol=1e-13)
    assert np.isnan(res["grad2_hat"][:, 0]).all() and np.isnan(res["upsilon"]).all()
    # bits: N workers x 32 d bits per iteration each way (uncompressed)
    np.testing.assert_array_equal(res["bits_up"][0], 32 * 4 * 3 * np.arange(13))
    np.testing.assert_array_equal(res["bits_down"][0], 32 * 4 * 3 * np.arange(13))


def test_bits_of_compressed_messages():
    prob = quadratic(N=4, d=20, sigma=1.0, seed=0)
    res = simulate(prob, make_algorithm("mcm", {"up": "qsgd:s=1", "down": "randk:k=5"}), n_runs=3, n_iter=10,
                   seed=0, progress=False)
    # qsgd s=1, d=20: 32 + 20*2 = 72 bits per worker; rand-k k=5: 5*(32+5) = 185 bits, received by 4
    np.testing.assert_array_equal(res["bits_up"][:, -1], 10 * 4 * 72)
    np.testing.assert_array_equal(res["bits_down"][:, -1], 10 * 4 * 185)
    pp = simulate(prob, make_algorithm("qsgd", {"up": "qsgd:s=1", "p": 0.5}), n_runs=200, n_iter=10, seed=0,
                  progress=False)
    sent = pp["bits_up"][:, -1] / 72          # messages actually sent: active workers only
    assert np.all(sent >= 10) and np.all(sent <= 40) and 0 < sent.std()


def test_upsilon_and_local_gap_at_start():
    prob = quadratic(N=4, d=5, sigma=1.0, seed=0)
    res = simulate(prob, make_algorithm("mcm", OPS), n_runs=3, n_iter=4, seed=0, progress=False)
    assert np.all(res["upsilon"][:, 0] == 0) and np.all(res["local_gap2"][:, 0] == 0)  # H_0 = w_hat_0 = w_0
    assert np.all(res["dist2"][:, 0] == pytest.approx(1.0))                           # ||w0 - w*|| = 1


def test_divergence_is_reported_per_run_not_raised():
    prob = quadratic(N=3, d=4, sigma=1.0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no numpy overflow warning may escape
        res = simulate(prob, make_algorithm("sgd", {}), n_runs=5, n_iter=400, gamma=60.0, allow_large_step=True,
                       seed=0, progress=False)
    assert res.diverged.all()
    for r in range(5):
        k_div = res.diverged_at[r]
        assert 0 < k_div < 400
        before = np.vstack([res["excess_loss"][r, :k_div], res["dist2"][r, :k_div]])
        assert np.all(np.isfinite(before))                               # results before are kept
        assert not (np.isfinite(res["excess_loss"][r, k_div]) and np.isfinite(res["dist2"][r, k_div]))
    frame = res.to_frame()
    assert frame["diverged"].any() and not frame.loc[frame.k == 0, "diverged"].any()
    assert res.meta["diverged_runs"] == [0, 1, 2, 3, 4]


class _ExplodeSomeRuns(Algorithm):
    r"""A user-defined algorithm (registered without touching the engine): SGD,
    :math:`w_k=w_{k-1}-\gamma\widehat g_k`, except that at k = 1 the runs whose first aggregated
    gradient coordinate is positive jump to :math:`10^{300}w` (and overflow at once)."""

    uplink = "none"
    has_down = False
    step_bound = "gamma_up"

    def __init__(self, p: float = 1.0) -> None:
        super().__init__(p=p)

    def init_state(self, ctx, w0):
        return self._base_state(ctx, w0)

    def step(self, st, ctx, gamma, k):
        ghat = self.send_up(ctx.gradients(st.w), st, ctx)
        st.w -= gamma * ghat
        ctx.send_exact_down(st.w)
        if k == 1:
            st.w[ghat[:, 0] > 0] *= 1e300


@pytest.fixture
def explode_registered():
    ALGORITHMS.register("test-explode-some-runs")(_ExplodeSomeRuns)
    yield
    ALGORITHMS.unregister("test-explode-some-runs")


def test_some_runs_diverge_others_not(explode_registered):
    """Divergence is per run: the other runs are bit-identical to plain SGD."""
    prob = quadratic(N=4, d=3, sigma=1.0, seed=0)
    kw = dict(n_runs=64, n_iter=30, seed=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = simulate(prob, make_algorithm("test-explode-some-runs", {}), **kw)
    ref = simulate(prob, make_algorithm("sgd", {}), **kw)
    assert 0 < res.diverged.sum() < 64
    assert np.all(res.diverged_at[res.diverged] == 1)
    ok = ~res.diverged
    for rec in RECORDS:
        assert np.array_equal(res[rec][ok], ref[rec][ok], equal_nan=True), rec


def test_checkpoints():
    assert checkpoints("all", 5).tolist() == [0, 1, 2, 3, 4, 5]
    assert checkpoints(2, 5).tolist() == [0, 2, 4, 5]
    assert checkpoints([3, 1], 5).tolist() == [0, 1, 3, 5]
    ks = checkpoints("log:10", 1000)
    assert ks[0] == 0 and ks[-1] == 1000 and 8 <= len(ks) <= 12
    with pytest.raises(BoundlabError, match="checkpoints"):
        checkpoints([7], 5)
    with pytest.raises(BoundlabError, match="checkpoints"):
        checkpoints("every", 5)


def test_gamma_defaults_and_override():
    prob = quadratic(N=20, d=20, L=1.0, sigma=1.0, seed=0)
    from boundlab.theory import get
    res = simulate(prob, make_algorithm("mcm", OPS), n_runs=1, n_iter=1, seed=0, progress=False)
    om = float(get("omega_qsgd").evaluate(d=20, s=1).value)
    assert res.meta["gamma"] == pytest.approx(float(get("gamma_max").evaluate(L=1.0, omega_up=om, omega_dwn=om,
                                                                              N=20).value), rel=1e-12)
    with pytest.raises(BoundlabError, match="above the theory's bound"):
        simulate(prob, make_algorithm("mcm", OPS), n_runs=1, n_iter=1, gamma=0.1, progress=False)
    ok = simulate(prob, make_algorithm("mcm", OPS), n_runs=1, n_iter=1, gamma=0.1, allow_large_step=True,
                  progress=False)
    assert ok.meta["gamma"] == 0.1
    with pytest.raises(BoundlabError, match="give gamma explicitly"):
        simulate(prob, make_algorithm("ecq-sgd", {"up": "topk:k=2"}), n_runs=1, n_iter=1, progress=False)
    sched = simulate(prob, make_algorithm("sgd", {}), n_runs=1, n_iter=4, schedule="inv_sqrt", gamma=0.4,
                     progress=False, seed=0)
    assert sched.meta["gamma"] == 0.4


def test_sigma_region_is_checked_per_run():
    prob = least_squares(N=4, n_per_worker=40, d=5, b=2, label_noise=0.5, w0=1.0, seed=0)
    safe = simulate(prob, make_algorithm("sgd", {}), n_runs=10, n_iter=50, seed=0, progress=False)
    assert safe.sigma_valid.all()
    wild = simulate(prob, make_algorithm("sgd", {}), n_runs=10, n_iter=50, seed=0, progress=False,
                    gamma=3 / prob.L, allow_large_step=True)
    assert not wild.sigma_valid.any()
    assert wild.meta["sigma_invalid_runs"] == list(range(10))


def test_processes_do_not_change_the_numbers():
    prob = quadratic(N=5, d=6, sigma=1.0, seed=0)
    kw = dict(n_runs=150, n_iter=10, seed=3, progress=False, batch_runs=64)
    one = simulate(prob, make_algorithm("mcm", OPS), **kw)
    two = simulate(prob, make_algorithm("mcm", OPS), processes=2, **kw)
    assert two.meta["processes"] == 2
    for rec in RECORDS:
        assert np.array_equal(one[rec], two[rec], equal_nan=True), rec


def test_interrupt_keeps_finished_batches(monkeypatch):
    """Ctrl-C during the second batch: the first batch's runs are returned, bit-identical."""
    from boundlab.simulate import engine
    real = engine._run_batch
    calls = []

    def interrupted_after_one(*args):
        calls.append(args[5])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    prob = quadratic(N=3, d=4, sigma=1.0, seed=0)
    kw = dict(n_runs=130, n_iter=8, seed=5, progress=False, batch_runs=64)
    full = simulate(prob, make_algorithm("mcm", OPS), **kw)
    monkeypatch.setattr(engine, "_run_batch", interrupted_after_one)
    with pytest.raises(KeyboardInterrupt):
        simulate(prob, make_algorithm("mcm", OPS), **kw)
    calls.clear()
    part = simulate(prob, make_algorithm("mcm", OPS), keep_partial_on_interrupt=True, **kw)
    assert part.meta["interrupted"] and part.n_runs == 64 and part.meta["runs_completed"] == 64
    for rec in RECORDS:
        assert np.array_equal(part[rec], full[rec][:64], equal_nan=True), rec


def test_tune_allocator_applies_on_glibc():
    import platform
    from boundlab.simulate.engine import tune_allocator
    assert tune_allocator() is (platform.libc_ver()[0] == "glibc")


def test_weighted_average_matches_a_direct_computation():
    # average_weights lambda_k weight w_{k-1}: F(sum lambda_k w_{k-1} / sum lambda_k) - F_*, computed here from
    # the iterates of a deterministic run (identity compressors, sigma = 0: every run follows the same path).
    from boundlab.simulate import make_algorithm, quadratic, simulate

    prob = quadratic(N=2, d=3, sigma=0.0, seed=4)
    lam = np.arange(1.0, 7.0)  # lambda_k = k for k = 1..6
    res = simulate(prob, make_algorithm("sgd"), n_runs=2, n_iter=6, gamma=0.3, seed=1, progress=False,
                   average_weights=lam)
    H, ws = prob.hessian, [prob.w0]
    for _ in range(6):
        ws.append(ws[-1] - 0.3 * H @ (ws[-1] - prob.w_star))
    for k in range(1, 7):
        wbar = sum(lam[i] * ws[i] for i in range(k)) / lam[:k].sum()
        u = wbar - prob.w_star
        np.testing.assert_allclose(res["excess_loss_avg"][:, k], 0.5 * u @ H @ u, rtol=1e-10)
    with pytest.raises(BoundlabError, match="average_weights"):
        simulate(prob, make_algorithm("sgd"), n_runs=2, n_iter=6, gamma=0.3, progress=False, average_weights=[1.0])

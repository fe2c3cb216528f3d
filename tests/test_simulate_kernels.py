"""The compiled engine against the numpy reference: the same random numbers bit for bit, the same rules.

The compiled draws (boundlab.simulate._draws) must equal numpy's Generator draws exactly, and leave the
generators in the same state; the fused uplink kernel (boundlab.simulate._fused) must draw the same
numbers and apply the same rule as Algorithm.send_up on numpy arrays: equal to the last bit where the
order of operations is the same, and within a few units in the last place where a sum is taken in
another order (the norms of s-quantization and of the sphere noise, a partial-participation aggregate).
"""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.simulate import make_algorithm, quadratic, simulate
from boundlab.simulate.algorithms import ALGORITHMS, Context
from boundlab.simulate.kernels import compiled, draws, engine
from boundlab.simulate.rng import BLOCK_SIZE, RunRNG, StreamRNG

pytestmark = pytest.mark.skipif(not compiled(), reason="numba is not installed: the numpy engine is the only one")

#: Relative tolerance where the two engines sum in different orders: a norm of d <= 40 terms differs by a
#: few ulps (about d * 2.2e-16 at worst), and the difference carries through a few products and, in whole
#: runs, through iterations of a contraction; 1e-11 leaves three orders of magnitude of room, while any
#: error in a rule (a missing factor, a wrong draw) moves the numbers by far more than 1e-6.
RTOL = 1e-11


def _numpy_gens(seed, stream, n_blocks):
    return [np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(1, b, stream))))
            for b in range(n_blocks)]


def _words(gens):
    return np.array([g.bit_generator.state["state"]["state"] for g in gens], dtype=np.uint64)


@pytest.mark.parametrize("R,m", [(64, 50), (200, 17), (5, 3)])
@pytest.mark.parametrize("kind,method", [(0, "random"), (1, "standard_normal")])
def test_compiled_draws_equal_numpy_bit_for_bit(R, m, kind, method):
    nb = -(-R // BLOCK_SIZE)
    gens = _numpy_gens(7, 1, nb)
    state = _words(gens)
    out = np.empty((R, m))
    draws().fill(state, out, BLOCK_SIZE, kind)
    ref = np.empty((nb * BLOCK_SIZE, m))
    for j, g in enumerate(gens):
        getattr(g, method)(out=ref[j * BLOCK_SIZE:(j + 1) * BLOCK_SIZE])      # whole blocks, as the format says
    assert np.array_equal(out, ref[:R])
    assert np.array_equal(state, _words(gens))                                  # the same state afterwards


def test_compiled_normals_equal_numpy_in_the_rare_branches():
    """4 million normals: the tail (|x| > r = 3.654) and the wedges are each taken thousands of times."""
    gens = _numpy_gens(3, 0, 1)
    state = _words(gens)
    out = np.empty((BLOCK_SIZE, 62_500))
    draws().fill(state, out, BLOCK_SIZE, 1)
    ref = gens[0].standard_normal((BLOCK_SIZE, 62_500))
    assert np.array_equal(out, ref)
    assert (np.abs(ref) > 3.6541528853610088).sum() > 500                      # expected about 1,030


@pytest.mark.parametrize("R,N,p", [(100, 5, 0.1), (64, 3, 0.3), (10, 2, 0.05)])
def test_participation_masks_equal_numpy(monkeypatch, R, N, p):
    got = StreamRNG(3, 3, 0, R).bernoulli_nonempty(N, p)
    monkeypatch.setenv("BOUNDLAB_ENGINE", "numpy")
    ref_rng = StreamRNG(3, 3, 0, R)
    assert not ref_rng.compiled
    assert np.array_equal(got, ref_rng.bernoulli_nonempty(N, p))


def test_engine_switch(monkeypatch):
    monkeypatch.setenv("BOUNDLAB_ENGINE", "numpy")
    assert engine() == "numpy" and not StreamRNG(0, 0, 0, 3).compiled
    monkeypatch.setenv("BOUNDLAB_ENGINE", "compiled")
    assert engine() == "compiled" and StreamRNG(0, 0, 0, 3).compiled
    monkeypatch.setenv("BOUNDLAB_ENGINE", "fast")
    with pytest.raises(Exception, match="BOUNDLAB_ENGINE must be one of compiled, numpy"):
        engine()


# -- the fused uplink against Algorithm.send_up ---------------------------------------------------
UPLINK_CASES = [  # (algorithm, its parameters): plain, memory, error-feedback and uncompressed uplinks
    ("qsgd", {"up": "qsgd:s=1"}), ("qsgd", {"up": "qsgd:s=3,norm=linf"}), ("qsgd", {"up": "qsgd:s=2,bucket=7"}),
    ("qsgd", {"up": "randk:k=3"}), ("qsgd", {"up": "bernoulli:p=0.3"}), ("qsgd", {"up": "identity"}),
    ("sgd", {}), ("diana", {"up": "qsgd:s=1"}), ("diana", {"up": "randk:k=2", "p": 0.5}),
    ("ecq-sgd", {"up": "qsgd:s=1"}), ("qsgd", {"up": "qsgd:s=1", "p": 0.4}),
]
EXACT = {"randk:k=3", "bernoulli:p=0.3", "identity", None}   # no norm inside: the same operations in order


def _one_uplink(monkeypatch, eng, name, params, problem, R, x, steps=3):
    monkeypatch.setenv("BOUNDLAB_ENGINE", eng)
    algo = make_algorithm(name, params)
    algo.setup(problem)
    ctx = Context(problem, RunRNG(11, 0, R), algo.up, algo.down, algo.p)
    st = algo.init_state(ctx, problem.w0)
    out = []
    for _ in range(steps):                                   # memories carry over from step to step
        ctx.begin_iteration()
        out.append(algo.send_up_at(x, st, ctx).copy())
    mem = getattr(st, "h", getattr(st, "e", None))
    after = ctx.rng.up.random((R, 2)), ctx.rng.noise.random((R, 2))   # where the streams stand afterwards
    return np.array(out), ctx.bits_up.copy(), None if mem is None else mem.copy(), after


@pytest.mark.parametrize("name,params", UPLINK_CASES)
@pytest.mark.parametrize("noise", ["gaussian", "sphere"])
def test_fused_uplink_equals_the_numpy_rule(monkeypatch, name, params, noise):
    problem = quadratic(N=6, d=9, sigma=0.7, noise=noise, B2=0.3, seed=2)
    R = 70                                                   # a whole block and a partial one
    x = np.random.default_rng(4).standard_normal((R, 9))
    a = _one_uplink(monkeypatch, "numpy", name, params, problem, R, x)
    b = _one_uplink(monkeypatch, "compiled", name, params, problem, R, x)
    exact = params.get("up") in EXACT and noise == "gaussian" and params.get("p", 1) == 1
    for ref, got in ((a[0], b[0]), (a[2], b[2])):
        if ref is None:
            continue
        if exact:
            assert np.array_equal(ref, got)
        else:
            np.testing.assert_allclose(got, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())
    assert np.array_equal(a[1], b[1])                        # bits: integers, exactly
    for ref, got in zip(a[3], b[3]):                         # both streams consumed identically
        assert np.array_equal(ref, got)


def test_fused_uplink_with_a_model_per_worker_and_no_noise(monkeypatch):
    problem = quadratic(N=4, d=6, sigma=0.0, B2=0.5, seed=1)
    x = np.random.default_rng(0).standard_normal((64, 4, 6))
    a = _one_uplink(monkeypatch, "numpy", "diana", {"up": "randk:k=2"}, problem, 64, x)
    b = _one_uplink(monkeypatch, "compiled", "diana", {"up": "randk:k=2"}, problem, 64, x)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[2], b[2])


@pytest.mark.parametrize("name", sorted(ALGORITHMS.names()))
def test_every_algorithm_runs_the_same_on_both_engines(monkeypatch, name):
    """Whole runs: the compiled engine (compiled draws, and the fused uplink where there is one) gives the
    numpy engine's records, to the tolerance of a different summation order."""
    cls = ALGORITHMS.factory(name)
    problem = quadratic(N=4, d=6, sigma=0.5, B2=0.2, seed=3)
    params = {}
    import inspect
    keys = inspect.signature(cls.__init__).parameters
    if "up" in keys:
        params["up"] = "qsgd:s=2" if cls.uplink != "error_feedback" else "topk:k=2"
    if "down" in keys:
        params["down"] = "randk:k=3" if not getattr(cls, "biased_down_ok", False) else "topk:k=3"
    res = {}
    for eng in ("numpy", "compiled"):
        monkeypatch.setenv("BOUNDLAB_ENGINE", eng)
        try:
            res[eng] = simulate(problem, make_algorithm(name, params), n_runs=70, n_iter=15, seed=5,
                                gamma=0.05, progress=False, allow_large_step=True)
        except Exception as err:                    # e.g. a decentralized algorithm needs its own problem
            pytest.skip(f"{name}: {err}")
    for rec in res["numpy"].records:
        np.testing.assert_allclose(res["compiled"][rec], res["numpy"][rec], rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name}: {rec}")

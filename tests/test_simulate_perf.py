"""The engine's speed and memory devices change no number: in-place compression, reused buffers,
partial blocks drawn in pieces, diagonal Hessians, one product for F(w_hat) and its gradient."""
from __future__ import annotations

import numpy as np
import pytest

from boundlab.simulate import COMPRESSORS, RECORDS, make_algorithm, make_compressor, quadratic, simulate
from boundlab.simulate import problems as P
from boundlab.simulate import rng as rng_mod
from boundlab.simulate.rng import StreamRNG

OPS = {"up": "qsgd:s=1", "down": "qsgd:s=1"}


@pytest.mark.parametrize("name", sorted(COMPRESSORS.names()))
def test_compress_owned_gives_the_numbers_of_compress(name):
    for spec in COMPRESSORS.examples[name]:
        op = make_compressor(spec)
        x = np.random.default_rng(0).standard_normal((70, 3, 9))
        y1, b1 = op.compress(x.copy(), StreamRNG(5, 1, 0, 70))
        y2, b2 = op.compress_owned(x.copy(), StreamRNG(5, 1, 0, 70))
        assert np.array_equal(y1, y2) and np.array_equal(b1, b2), spec


def test_compress_does_not_touch_its_input_and_compress_owned_works_in_place():
    op = make_compressor("qsgd:s=2")
    x = np.random.default_rng(1).standard_normal((64, 4, 6))
    keep = x.copy()
    rng = StreamRNG(0, 1, 0, 64)
    op.compress(x, rng)
    assert np.array_equal(x, keep)                     # compress: x untouched
    y, _ = op.compress_owned(x, rng)
    assert y is x                                      # compress_owned: in place


@pytest.mark.parametrize("n_runs", [64, 130, 3])
def test_add_random_in_pieces_equals_adding_a_whole_draw(monkeypatch, n_runs):
    """add_random draws each block in pieces of rows into a small buffer: the same numbers as
    t + random(t.shape), and the generators end in the same state (the next draws agree)."""
    monkeypatch.setattr(rng_mod, "DISCARD_BYTES", 8 * 13)           # pieces of 13 numbers, across rows
    t = np.random.default_rng(2).standard_normal((n_runs, 5, 7))
    a, b = StreamRNG(9, 1, 0, n_runs), StreamRNG(9, 1, 0, n_runs)
    expected = t + a.random(t.shape)
    got = b.add_random(t.copy())
    assert np.array_equal(expected, got)
    assert np.array_equal(a.random((n_runs, 3)), b.random((n_runs, 3)))
    assert b.scratch((13,)).nbytes == 8 * 13                           # the only buffer: 13 numbers


def test_partial_block_is_discarded_in_pieces_with_the_same_numbers(monkeypatch):
    """The unused rows of a partial block go through a small scratch buffer: same draws, same state."""
    whole = StreamRNG(3, 0, 0, 64)
    a = whole.standard_normal((64, 5, 7))
    a2 = whole.random((64, 5, 7))
    monkeypatch.setattr(rng_mod, "DISCARD_BYTES", 8 * 11)           # 11 numbers at a time, across rows
    part = StreamRNG(3, 0, 0, 2)
    b = part.standard_normal((2, 5, 7))
    b2 = part.random((2, 5, 7))                        # the next draw starts where the block ended
    assert np.array_equal(a[:2], b) and np.array_equal(a2[:2], b2)


def test_diagonal_hessian_gives_the_dense_numbers(monkeypatch):
    """Storing an unrotated Hessian as its diagonal (d >= DIAGONAL_FROM_D) changes no number: each
    product has a single non-zero term, so x @ diag(a) and x * a round identically."""
    kw = dict(N=5, d=9, mu=0.0, sigma=0.7, rotate=False, B2=0.4, seed=2)
    dense = quadratic(**kw)
    assert dense.A.ndim == 2
    monkeypatch.setattr(P, "DIAGONAL_FROM_D", 9)
    diag = quadratic(**kw)
    assert diag.A.ndim == 1 and diag.hessian.ndim == 1
    assert np.array_equal(np.diag(dense.A), diag.A)
    assert diag.constants() == dense.constants()
    for name in ("mcm", "diana", "artemis"):
        params = {"up": "qsgd:s=1"} if name == "diana" else OPS
        r1 = simulate(dense, make_algorithm(name, params), n_runs=70, n_iter=15, seed=4, progress=False)
        r2 = simulate(diag, make_algorithm(name, params), n_runs=70, n_iter=15, seed=4, progress=False)
        for rec in RECORDS:
            assert np.array_equal(r1[rec], r2[rec], equal_nan=True), (name, rec)


def test_large_dimension_runs_without_a_dense_matrix():
    prob = quadratic(N=2, d=P.DIAGONAL_FROM_D * 4, rotate=False, sigma=1.0, seed=0)
    assert prob.A.nbytes == 8 * prob.d                # 1 MiB instead of 2 GiB
    res = simulate(prob, make_algorithm("mcm", OPS), n_runs=2, n_iter=3, seed=0, progress=False)
    assert np.all(np.isfinite(res["excess_loss"]))


def test_fused_excess_loss_and_gradient_match_the_separate_calls():
    prob = quadratic(N=3, d=6, sigma=1.0, seed=1)
    w = np.random.default_rng(2).standard_normal((5, 3, 6))
    loss, grad = prob.excess_loss_and_gradient(w)
    assert np.array_equal(loss, prob.excess_loss(w)) and np.array_equal(grad, prob.full_gradient(w))


def test_a_problem_that_redefines_its_loss_is_not_fused():
    """The engine calls a subclass's own excess_loss / full_gradient (no shortcut around them)."""
    calls = []

    class Counted(P.QuadraticProblem):
        def full_gradient(self, w):
            calls.append(w.shape)
            return super().full_gradient(w)

    base = quadratic(N=2, d=3, sigma=0.5, seed=0)
    prob = Counted(base.A, base.centres, base.sigma, base.b, base.noise, base.w0)
    simulate(prob, make_algorithm("mcm", OPS), n_runs=3, n_iter=4, seed=0, progress=False)
    # twice per recorded iteration k = 1..4: at w_hat_{k-1} and at w_{k-1} (the records of THEORY.md 7.3-7.4)
    assert len(calls) == 8


def test_diagonal_on_request_and_its_bad_input():
    kw = dict(N=3, d=6, sigma=0.5, seed=3)
    dense = quadratic(rotate=False, **kw)
    diag = quadratic(rotate=False, diagonal=True, **kw)
    assert diag.A.ndim == 1 and np.array_equal(np.diag(dense.A), diag.A)
    r1 = simulate(dense, make_algorithm("mcm", OPS), n_runs=5, n_iter=6, seed=1, progress=False)
    r2 = simulate(diag, make_algorithm("mcm", OPS), n_runs=5, n_iter=6, seed=1, progress=False)
    assert all(np.array_equal(r1[n], r2[n], equal_nan=True) for n in RECORDS)
    from boundlab.errors import BoundlabError
    with pytest.raises(BoundlabError, match="diagonal must be true or false, and true only with rotate = false"):
        quadratic(rotate=True, diagonal=True, **kw)


def test_default_batches_keep_the_message_array_within_budget(monkeypatch):
    """The default batch_runs caps one (runs, N, d) array at MESSAGE_BYTES (at least one block):
    same numbers as one big batch."""
    from boundlab.simulate import engine
    prob = quadratic(N=4, d=10, sigma=1.0, seed=0)
    one = simulate(prob, make_algorithm("mcm", OPS), n_runs=200, n_iter=5, seed=2, progress=False)
    sizes = []
    real = engine._run_batch
    monkeypatch.setattr(engine, "_run_batch", lambda *a, **k: sizes.append(a[6] - a[5]) or real(*a, **k))
    monkeypatch.setattr(engine, "MESSAGE_BYTES", 8 * 4 * 10 * 100)    # 100 runs' messages: batches of 128
    capped = simulate(prob, make_algorithm("mcm", OPS), n_runs=200, n_iter=5, seed=2, progress=False)
    assert sizes == [128, 72]
    assert all(np.array_equal(one[n], capped[n], equal_nan=True) for n in RECORDS)

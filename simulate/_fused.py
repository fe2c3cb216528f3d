r"""The workers' side of one iteration in one compiled kernel (numba): noise, uplink, compression, sum.

Imported only through :func:`boundlab.simulate.kernels.fused`. :func:`uplink` computes, for every run
of a batch, what :meth:`boundlab.simulate.algorithms.Algorithm.send_up` computes with numpy arrays
(the reference, whose rules and equations are in :mod:`boundlab.simulate.algorithms` and
:mod:`boundlab.simulate.compressors`), worker by worker, without any (runs, N, d) temporary:

1. :math:`g^i=\nabla F_i(x)+\xi^i` (Gaussian :math:`\xi=s z`, or on the sphere :math:`\xi=\rho z/\|z\|`,
   z standard normal from the noise stream; no noise when sigma = 0);
2. the uplink (``none``, ``plain``, ``memory``: :math:`v=g^i-h^i`, ``error_feedback``:
   :math:`v=g^i+e^i`) and the operator (identity, s-quantization, rand-k, Bernoulli) with its uniforms
   from the uplink stream; the memories of active workers updated in place;
3. :math:`\widehat g=\frac1N\sum_i\widehat g^i` (partial participation: the active workers' sum times
   :math:`\theta/(pN)`), and the bits of the active workers.

The random numbers are the numpy engine's, in the same order (each stream drawn block by block, run by
run, worker by worker, coordinate by coordinate; the unused rows of a partial last block drawn and
discarded), so the draws are bit-identical. The arithmetic is the reference's operation by operation,
except the norms inside s-quantization and on the sphere (four partial sums instead of numpy's order) and the
sum of a partial-participation aggregate: there the results differ in the last bits, which
``tests/test_simulate_kernels.py`` bounds (and, where the order is the same, it asserts equality).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from boundlab.simulate._draws import normal, uniform
from boundlab.simulate.compressors import FLOAT_BITS
from boundlab.simulate.kernels import (NOISE_GAUSSIAN, NOISE_NONE, NOISE_SPHERE, OP_BERNOULLI, OP_IDENTITY, OP_QSGD,
                                       OP_RANDK, UPLINK_CODES)

UP_NONE, UP_MEMORY, UP_ERROR_FEEDBACK = UPLINK_CODES["none"], UPLINK_CODES["memory"], UPLINK_CODES["error_feedback"]


@njit(inline="always")
def sum_sq(v, t0, t1):
    """sum_{t0 <= t < t1} v_t^2 with four partial sums (a sequential sum waits on each addition: 3x slower)."""
    s0 = s1 = s2 = s3 = 0.0
    t = t0
    while t + 4 <= t1:
        s0 += v[t] * v[t]
        s1 += v[t + 1] * v[t + 1]
        s2 += v[t + 2] * v[t + 2]
        s3 += v[t + 3] * v[t + 3]
        t += 4
    while t < t1:
        s0 += v[t] * v[t]
        t += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def uplink(noise_state, up_state, block, N, base, noise, scale, op, prm, kind, mem, alpha, ef, active, factor,
           ghat, bits, msgs, msg_bits):
    """See the module docstring. ``N``: workers; ``base``: (R, 1 or N, d) exact local gradients; ``prm``: the operator's
    parameters (qsgd: s, linf, bucket, bits; rand-k: k; Bernoulli: p); ``mem``: (R, N, d) h or e (updated
    in place; (0, 0, 0) without); ``active``: (R, N) bool, or (0, 0) when every worker is active; ``ghat`` (R, d) (or (0, 0):
    not wanted) and ``bits`` (R,) are written (bits added); ``msgs`` (R, N, d) and ``msg_bits`` (R, N), unless (0, 0, 0) and (0, 0),
    receive every message and its bits: with no noise and ``base`` the messages' inputs, this is the operator
    alone, applied to any (R, m, d) array (:meth:`boundlab.simulate.algorithms.Context.compress_up`)."""
    R, d = base.shape[0], base.shape[2]
    M = base.shape[1]
    partial = active.shape[0] > 0
    v = np.empty(d)
    y = np.empty(d)
    keys = np.empty(d if op == OP_RANDK or op == OP_BERNOULLI else 0)    # (buffers only where used: at d = 1e5,
                                                                        # each one is 0.8 MB)
    acc2 = np.empty(d if op == OP_RANDK else 0)
    draws_up = kind != UP_NONE and op != OP_IDENTITY
    keep_msgs = msgs.shape[0] > 0
    keep_sum = ghat.shape[0] > 0
    for j in range(noise_state.shape[0]):
        a, b, c, w = noise_state[j, 0], noise_state[j, 1], noise_state[j, 2], noise_state[j, 3]
        a2, b2, c2, w2 = up_state[j, 0], up_state[j, 1], up_state[j, 2], up_state[j, 3]
        lo = j * block
        hi = min(lo + block, R)
        for r in range(lo, hi):
            if keep_sum:
                for t in range(d):                              # the workers' sum, then the mean, in place
                    ghat[r, t] = 0.0
            run_bits = 0.0
            for i in range(N):
                on = (not partial) or active[r, i]
                gi = i if M > 1 else 0
                # 1. the stochastic gradient
                if noise == NOISE_GAUSSIAN:
                    for t in range(d):
                        z, a, b, c, w = normal(a, b, c, w)
                        v[t] = z
                    for t in range(d):
                        v[t] = v[t] * scale + base[r, gi, t]
                elif noise == NOISE_SPHERE:
                    for t in range(d):
                        z, a, b, c, w = normal(a, b, c, w)
                        v[t] = z
                    f = scale / math.sqrt(sum_sq(v, 0, d))
                    for t in range(d):
                        v[t] = v[t] * f + base[r, gi, t]
                else:
                    for t in range(d):
                        v[t] = base[r, gi, t]
                # 2. the uplink's input
                if kind == UP_MEMORY:
                    for t in range(d):
                        v[t] -= mem[r, i, t]
                elif kind == UP_ERROR_FEEDBACK:
                    for t in range(d):
                        v[t] += mem[r, i, t]
                # the operator: y = C(v), with one uniform per coordinate; rand-k's and Bernoulli's drawn first
                # (their selections then run without branches), s-quantization's as it goes (measured faster)
                if draws_up and op != OP_QSGD:
                    for t in range(d):
                        u, a2, b2, c2, w2 = uniform(a2, b2, c2, w2)
                        keys[t] = u
                if not draws_up:                                           # identity, or no uplink
                    for t in range(d):
                        y[t] = v[t]
                    nb = float(FLOAT_BITS * d)
                elif op == OP_QSGD:
                    s, linf, q = prm[0], prm[1] > 0, int(prm[2])
                    for t0 in range(0, d, q):
                        t1 = min(t0 + q, d)
                        nrm = 0.0
                        if linf:
                            for t in range(t0, t1):
                                nrm = max(nrm, abs(v[t]))
                        else:
                            nrm = math.sqrt(sum_sq(v, t0, t1))
                        sc = s / nrm if nrm > 0 else 0.0
                        unit = nrm / s
                        for t in range(t0, t1):
                            u, a2, b2, c2, w2 = uniform(a2, b2, c2, w2)
                            y[t] = np.floor(v[t] * sc + u) * unit
                    nb = prm[3]
                elif op == OP_RANDK:
                    k = int(prm[0])
                    for t in range(d):   # keys_t <= k-th smallest  <=>  fewer than k keys below keys_t (ties too)
                        below = 0
                        for t2 in range(d):
                            below += keys[t2] < keys[t]
                        acc2[t] = below
                    for t in range(d):
                        y[t] = v[t] if acc2[t] < k else 0.0
                    if k != d:
                        sc = d / k
                        for t in range(d):
                            y[t] *= sc
                    nb = prm[1]
                else:                                                      # Bernoulli
                    p = prm[0]
                    kept = 0
                    for t in range(d):
                        keep = keys[t] < p
                        y[t] = v[t] if keep else 0.0
                        kept += keep
                    if p != 1:
                        for t in range(d):
                            y[t] /= p
                    nb = float(d + FLOAT_BITS * kept)
                # 3. the message, the memory, the sum
                if kind == UP_MEMORY:
                    if on:
                        for t in range(d):
                            h = mem[r, i, t]
                            mem[r, i, t] = h + alpha * y[t]
                            y[t] = y[t] + h
                    else:
                        for t in range(d):
                            y[t] = y[t] + mem[r, i, t]
                elif kind == UP_ERROR_FEEDBACK:
                    if ef != 1.0:
                        for t in range(d):
                            y[t] = y[t] * ef
                    if on:
                        for t in range(d):
                            mem[r, i, t] = v[t] - y[t]
                if keep_msgs:                                  # each message kept (compress_rows)
                    for t in range(d):
                        msgs[r, i, t] = y[t]
                    msg_bits[r, i] = nb
                if on:
                    if keep_sum:
                        for t in range(d):
                            ghat[r, t] += y[t]
                    run_bits += nb
            if keep_sum and partial:
                for t in range(d):
                    ghat[r, t] *= factor
            elif keep_sum:
                for t in range(d):
                    ghat[r, t] /= N
            bits[r] += run_bits
        for _ in range((block - (hi - lo)) * N * d):        # the unused rows of a partial last block
            if noise != NOISE_NONE:
                z, a, b, c, w = normal(a, b, c, w)
            if draws_up:
                u, a2, b2, c2, w2 = uniform(a2, b2, c2, w2)
        noise_state[j, 0], noise_state[j, 1], noise_state[j, 2], noise_state[j, 3] = a, b, c, w
        up_state[j, 0], up_state[j, 1], up_state[j, 2], up_state[j, 3] = a2, b2, c2, w2


def warm() -> None:
    """Compile :func:`uplink` (or load it from numba's cache) for the argument types the engine passes, on an empty
    batch: no draw, nothing written but the dummy state."""
    state = np.zeros((1, 4), dtype=np.uint64)
    uplink(state, state.copy(), 1, 1, np.zeros((0, 1, 1)), NOISE_NONE, 0.0, OP_IDENTITY, np.zeros(0), UP_NONE,
           np.zeros((0, 0, 0)), 0.0, 1.0, np.zeros((0, 0), dtype=np.bool_), 1.0, np.zeros((0, 0)), np.zeros(0),
           np.zeros((0, 0, 0)), np.zeros((0, 0)))

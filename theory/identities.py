r"""THEORY.md section 7: exact per-step identities of the MCM analysis, the "/alpha_dwn" reading
of Phi^Rd, and Theorem 7's averaged corollary re-derived from its recursion.

The identities are [D]: equalities that hold in expectation, conditionally on the past, under
the hypotheses listed with each (equality compressors: rand-k, Bernoulli-p; homogeneous workers;
additive noise with E||xi||^2 = sigma^2/b exactly; quadratic F where said). ``boundlab verify``
checks each one as a two-sided equality on per-run records, so every ingredient of the proofs
is pinned: a wrong constant in the identity, or a wrong simulation, moves the ratio off 1.
Derivations: THEORY.md 7.1-7.6; each docstring gives the one-line reason.
"""
from __future__ import annotations

import sympy as sp

from boundlab.theory import results  # noqa: F401  (registers thm7, STEP hypotheses... used below)
from boundlab.theory.assumptions import assumed
from boundlab.theory.core import Hypothesis, Schedule, Source, Status, encode, eq, le
from boundlab.theory.results import _MCM_BASE, ALPHA_DERIVED, CONVEX, MCM, STEP_LE_GAMMA_MAX, STRONGLY_CONVEX
from boundlab.theory.symbols import (C, K, L, L_tilde, N, Phi_Rd_alpha, V_0, alpha_dwn, b, contracted_dist2, dist2,
                                     dist2_0, down_noise2, excess_loss_avg, gamma, gamma_max, ghat2, grad2_hat_prev, k,
                                     local_bias, memory_residual2, mu, omega_dwn, omega_up, sigma, upsilon,
                                     upsilon_prev, zeta2)

EQUALITY_UP = Hypothesis("uplink attains A1", "C_up attains A1 with equality (rand-k, Bernoulli-p)")
EQUALITY_DOWN = Hypothesis("downlink attains A1", "C_dwn attains A1 with equality (rand-k, Bernoulli-p)")
ISOTROPIC = Hypothesis("isotropic A", "F(w) = (L/2)||w - w_*||^2 (mu = L)", eq(mu, L))


@encode("uplink_second_moment", "Second moment of the aggregated uplink message (THEORY.md 7.1)", "identity",
        Status.D, Source("Convergence of Ghost", 327, "THEORY.md 7.1: the gradient identity behind Proposition 1"),
        algorithms=("Ghost", "MCM"),
        hypotheses=(*assumed("A1", "A5", "homogeneous", "no uplink memory"), EQUALITY_UP),
        tight="An equality for equality uplinks; '<=' for any C_up in U(omega_up).",
        notes="g_hat_k = (1/N) sum_i grad F(w_hat_{k-1}) + (1/N) sum_i xi_i + (1/N) sum_i eps_i with eps_i the "
              "uplink errors: each part has zero mean given the previous ones, so the second moments add; "
              "E||eps_i||^2 = omega_up E||g_i||^2 = omega_up (||grad F||^2 + sigma^2/b). One local model (Ghost, "
              "MCM).")
def uplink_second_moment():
    r"""\mathbb E\|\widehat g_k\|^2 = \Big(1 + \frac{\omega_{\rm up}}N\Big)\mathbb E\|\nabla F(\widehat w_{k-1})\|^2
    + \frac{(1 + \omega_{\rm up})\sigma^2}{Nb}"""
    return eq(ghat2, (1 + omega_up / N) * grad2_hat_prev + (1 + omega_up) * sigma**2 / (N * b))


@encode("memory_step", "The memory step of MCM (THEORY.md 7.2)", "identity", Status.D,
        Source("The downlink memory mechanism for MCM", 472, "THEORY.md 7.2"), algorithms=MCM,
        hypotheses=(*assumed("A1"), EQUALITY_DOWN),
        tight="An equality for equality downlinks; '<=' for any C_dwn in U(omega_dwn).",
        notes="w_k - H_k = Omega_k - alpha C(Omega_k); expand and use E C(Omega) = Omega, "
              "E||C(Omega)||^2 = (1 + omega)||Omega||^2. The factor is <= 1 - alpha iff alpha <= 1/(1 + omega). "
              "Per group for Rand-MCM(-G), averaged with weights n_g/N; not across a reset of Rand-MCM-reset.")
def memory_step():
    r"""\mathbb E\|w_k - H_k\|^2 = \mathbb E\|\Omega_k - \alpha_{\rm dwn}\mathcal C(\Omega_k)\|^2
    = \big(1 - 2\alpha_{\rm dwn} + \alpha_{\rm dwn}^2(1 + \omega_{\rm dwn})\big)\,\mathbb E\Upsilon_k"""
    return eq(memory_residual2, (1 - 2 * alpha_dwn + alpha_dwn**2 * (1 + omega_dwn)) * upsilon)


@encode("distance_identity", "Quadratic distance identity of MCM (THEORY.md 7.3)", "identity", Status.D,
        Source("Convergence of Rand-MCM", 686, "THEORY.md 7.3: the step Theorem 9 uses"), algorithms=MCM,
        hypotheses=(*assumed("A1", "A5", "quadratic"),),
        tight="An equality for any unbiased compressors on a quadratic; fails beyond quadratics or with a biased "
              "downlink (then E[grad F(w_hat) | w] != grad F(w)).",
        notes="w_k - w_* = (I - gamma A)(w_{k-1} - w_*) - gamma zeta_k with E[zeta_k | F_{k-1}] = 0, since the "
              "downlink is unbiased and grad F is affine.")
def distance_identity():
    r"""\mathbb E\|w_k - w_*\|^2 = \mathbb E\|(I - \gamma A)(w_{k-1} - w_*)\|^2 + \gamma^2\,\mathbb E\|\zeta_k\|^2,
    \qquad \zeta_k = \widehat g_k - \nabla F(w_{k-1})"""
    return eq(dist2, contracted_dist2 + gamma**2 * zeta2)


@encode("one_over_C", "The 1/C identity of Rand-MCM (THEORY.md 7.4)", "identity", Status.D,
        Source("Convergence of Rand-MCM", 686, "THEORY.md 7.4: the 1/C of Theorem 9"), algorithms=MCM,
        hypotheses=(*assumed("A1", "quadratic"), ISOTROPIC, EQUALITY_DOWN,
                    Hypothesis("equal groups", "C groups of N/C workers (C = 1: MCM, C = N: Rand-MCM)")),
        tight="An equality (isotropic A, equality downlink, equal groups).",
        notes="The left vector is sum_g (n_g/N) A e_g with independent, conditionally zero-mean downlink errors "
              "e_g, so D_C = sum_g (n_g/N)^2 tr(A^2 Sigma(Omega_g)); with A = L I and an equality compressor "
              "tr(A^2 Sigma(Omega)) = L^2 omega_dwn ||Omega||^2, and n_g = N/C gives L^2 omega_dwn E Upsilon_bar/C.")
def one_over_C():
    r"""D_{\mathbf C,k} := \mathbb E\Big\|\frac1N\sum_i\nabla F(\widehat w^{g(i)}_{k-1}) - \nabla F(w_{k-1})\Big\|^2
    = \frac{L^2\omega_{\rm dwn}}{\mathbf C}\,\mathbb E\bar\Upsilon_{k-1}"""
    return eq(down_noise2, L**2 * omega_dwn * upsilon_prev / C)


@encode("mcm_unbiased_local", "Unbiased local model of MCM: E[w_hat_k | w_k, H_{k-1}] = w_k", "identity", Status.S,
        Source("The downlink memory mechanism for MCM", 472, "E[w_hat_k | w_k, H_{k-1}] = w_k (THEORY.md 2)"),
        algorithms=MCM, hypotheses=assumed("A1"),
        notes="Tested through its consequence E<w_hat_k - w_k, Omega_k> = E<C(Omega_k) - Omega_k, Omega_k> = 0; "
              "a biased downlink (top-k: C(Omega) - Omega = -(the smallest coordinates)) makes it negative.")
def mcm_unbiased_local():
    r"""\mathbb E\langle\widehat w_k - w_k, \Omega_k\rangle = 0"""
    return eq(local_bias, sp.Integer(0))


@encode("Phi_Rd_alpha", "Variance factor of Rand-MCM, '/alpha_dwn' reading (THEORY.md 7.5)", "definition",
        Status.D, Source("Convergence of Rand-MCM", 694, "THEORY.md 7.5: the printed Phi^Rd with alpha_dwn for K"),
        macro=Phi_Rd_alpha, algorithms=MCM,
        notes="A candidate reading of the printed Phi^Rd, whose '/K' is [S?]: derived in THEORY.md 7.5 from "
              "Theorems 5 and 8 and the identities 7.3-7.4 (with a factor 3/8 to spare); the paper itself could "
              "not be checked.")
def Phi_Rd_alpha_def():
    r"""\Phi^{\rm Rd}_\alpha(\gamma) = (1+\omega_{\rm up})\Big(1 + \frac{4\gamma^2L^2\omega_{\rm dwn}}{\alpha_{\rm dwn}}
    \Big(\frac{1}{\mathbf C} + \frac{\omega_{\rm up}}{N}\Big)\Big)"""
    return (1 + omega_up) * (1 + 4 * gamma**2 * L**2 * omega_dwn / alpha_dwn * (1 / C + omega_up / N))


@encode("thm9_alpha", "Theorem 9 with the '/alpha_dwn' reading of Phi^Rd (THEORY.md 7.5)", "bound", Status.D,
        Source("Convergence of Rand-MCM", 686, "THEORY.md 7.5"), algorithms=MCM,
        hypotheses=(*assumed("A1", "A3", "A5", "homogeneous", "no uplink memory", "init", "quadratic"), CONVEX,
                    STEP_LE_GAMMA_MAX, ALPHA_DERIVED),
        notes="Derived (THEORY.md 7.5) under Theorem 9's hypotheses; beside the printed thm9 ('/K', [S?]). "
              "Within the hypotheses the two readings differ by a fraction of the variance term (at most 1/4 of "
              "it): the derivation decides, not the simulation.")
def thm9_alpha():
    r"""\mathbb E[F(\bar w_K) - F_*] \le \frac{V_0}{\gamma K} + \frac{\gamma\sigma^2\Phi^{\rm Rd}_\alpha(\gamma)}{Nb}"""
    return le(excess_loss_avg, V_0 / (gamma * K) + gamma * sigma**2 * Phi_Rd_alpha / (N * b))


# Theorem 7's schedule with the offset a = 4 L_tilde, for which every step is at most gamma_max.
A_OFFSET = 4 * L_tilde


@encode("thm7_averaged_derived", "Theorem 7, averaged corollary re-derived from the recursion (THEORY.md 7.6)",
        "bound", Status.D, Source("Convergence of MCM - Strongly Convex", 587, "THEORY.md 7.6"), algorithms=MCM,
        hypotheses=(*_MCM_BASE, STRONGLY_CONVEX),
        schedule=Schedule(2 / (mu * (k + 1) + A_OFFSET), k, 0, le(gamma, gamma_max)),
        notes="gamma_k = 2/(mu(k+1) + a) with a = 4 L_tilde (every step <= gamma_max), weights lambda_k = "
              "1/gamma_{k-1}. Telescoping Theorem 7's recursion divided by gamma_k (1/gamma_k - mu = "
              "1/gamma_{k-2}), then gamma_k/gamma_{k-1} <= 1 and sum gamma_k <= (2/mu) ln((mu(K+1)+a)/(mu+a)). "
              "Its leading noise term 4 sigma^2 (1 + omega_up)/(mu K N b) is the printed one: the table's strongly "
              "convex MCM cell is derived from it.")
def thm7_averaged_derived():
    r"""\gamma_k = \frac2{\mu(k+1) + 4\widetilde L}:\quad \mathbb E[F(\bar w_K) - F_*] \le
    \frac{a(\mu + a)\|w_0 - w_*\|^2}{\mu K(K+1) + 2aK} + \frac{4\sigma^2(1 + \omega_{\rm up})}{Nb(\mu(K+1) + 2a)}
    \Big(1 + \frac{128L\omega_{\rm dwn}^2}{\mu K}\ln\frac{\mu(K+1) + a}{\mu + a}\Big),\quad a = 4\widetilde L"""
    a = A_OFFSET
    return le(excess_loss_avg, a * (mu + a) * dist2_0 / (mu * K * (K + 1) + 2 * a * K)
              + 4 * sigma**2 * (1 + omega_up) / (N * b * (mu * (K + 1) + 2 * a))
              * (1 + 128 * L * omega_dwn**2 / (mu * K) * sp.log((mu * (K + 1) + a) / (mu + a))))

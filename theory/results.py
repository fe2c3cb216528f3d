"""The results of THEORY.md section 3: Proposition 1, Theorems 3, 5, 6, 7, 8, 9 and corollaries.

One object per result; each is a function whose docstring is the statement in LaTeX and whose
return value is the sympy statement. Measured quantities (expectations a simulation estimates)
are the ``measured`` symbols of :mod:`boundlab.theory.symbols`: ``dist2`` = E||w_k - w_*||^2,
``upsilon`` = E Upsilon_k, ``grad2_hat_prev`` = E||grad F(w_hat_{k-1})||^2, and so on.

All theorems of section 3 assume homogeneous workers and no uplink memory (THEORY.md section
1); the extension to the heterogeneous case "at the cost of a constant 2" is order-level only
and is not encoded as an exact result.
"""
from __future__ import annotations

import sympy as sp

from boundlab.theory import definitions  # noqa: F401  (registers V, Phi, gamma_max... used below)
from boundlab.theory.assumptions import assumed
from boundlab.theory.core import Hypothesis, Schedule, Source, Status, encode, eq, le
from boundlab.theory.symbols import (K, L, L_tilde, N, Phi, Phi_Rd, V, V_0, V_prev, alpha_dwn, b, dist2, dist2_0,
                                     dist2_prev,
                                     excess_loss_avg, excess_loss_hat_prev, excess_loss_prev, gamma, gamma_max,
                                     grad2_hat_prev, grad2_hat_prev2, k, local_gap2, mu, omega_dwn, omega_up, sigma,
                                     upsilon, upsilon_prev)

MCM = ("MCM", "Rand-MCM", "Rand-MCM-G")

# Hypotheses shared by the MCM theorems.
STEP_LE_GAMMA_MAX = Hypothesis("gamma <= gamma_max", "step size at most gamma_max", le(gamma, gamma_max))
ALPHA_DERIVED = Hypothesis(
    "alpha_dwn = 1/(8 omega_dwn)",
    "the memory rate for which V_k's and Phi's constants follow from Theorem 5 (THEORY.md [D])",
    eq(alpha_dwn, 1 / (8 * omega_dwn)), Status.D)
CONVEX = Hypothesis("A4 (mu = 0)", "F convex (the slides state mu = 0; strong convexity is a special case)")
STRONGLY_CONVEX = Hypothesis("mu > 0", "F mu-strongly convex (A4 with mu > 0)", sp.StrictGreaterThan(mu, 0,
                                                                                                       evaluate=False))


# --------------------------------------------------------------------------------- Ghost
@encode("prop1", "Proposition 1 (local-model variance of Ghost)", "bound", Status.S,
        Source("Convergence of Ghost", 327), algorithms=("Ghost",),
        hypotheses=assumed("A1", "A3", "A5", "homogeneous", "no uplink memory"),
        tight="Equality for Ghost with rand-k both ways, homogeneous workers and additive noise with "
              "E||xi||^2 = sigma^2/b exactly (THEORY.md section 6).",
        notes="Conditional on w_hat_{k-1}; convention grad F(w_hat_{-1}) = 0.")
def prop1():
    r"""\mathbb E\big[\|w_k - \widehat w_k\|^2 \mid \widehat w_{k-1}\big] \le
    \gamma^2\omega_{\rm dwn}\Big(1 + \frac{\omega_{\rm up}}N\Big)\|\nabla F(\widehat w_{k-1})\|^2
    + \frac{\gamma^2\omega_{\rm dwn}(1 + \omega_{\rm up})\sigma^2}{Nb}"""
    return le(local_gap2, gamma**2 * omega_dwn * (1 + omega_up / N) * grad2_hat_prev
              + gamma**2 * omega_dwn * (1 + omega_up) * sigma**2 / (N * b))


@encode("thm3", "Theorem 3 (contraction of Ghost, convex case)", "recursion", Status.S,
        Source("Contraction for Ghost", 384), algorithms=("Ghost",), carried=dist2_prev,
        hypotheses=(*assumed("A1", "A3", "A5", "homogeneous", "no uplink memory"), CONVEX,
                    Hypothesis("gamma L (1 + omega_up/N) <= 1/2", "step-size condition",
                               le(gamma * L * (1 + omega_up / N), sp.Rational(1, 2)))),
        notes="The slides print the same statement as Theorems 2, 3 and 4 on successive slides.")
def thm3():
    r"""\mathbb E\|w_k - w_*\|^2 \le \mathbb E\|w_{k-1} - w_*\|^2 - \gamma\,\mathbb E(F(w_{k-1}) - F_*)
    - \frac{\gamma}{2L}\mathbb E\|\nabla F(\widehat w_{k-1})\|^2
    + 2\gamma^3\omega_{\rm dwn}L\Big(1 + \frac{\omega_{\rm up}}N\Big)\mathbb E\|\nabla F(\widehat w_{k-2})\|^2
    + \gamma^2\frac{(1 + \omega_{\rm up})\sigma^2}{Nb}(1 + 2\gamma L\omega_{\rm dwn})"""
    return le(dist2, dist2_prev - gamma * excess_loss_prev - gamma / (2 * L) * grad2_hat_prev
              + 2 * gamma**3 * omega_dwn * L * (1 + omega_up / N) * grad2_hat_prev2
              + gamma**2 * (1 + omega_up) * sigma**2 / (N * b) * (1 + 2 * gamma * L * omega_dwn))


@encode("limit_variance_ghost", "Noise term of Ghost (per step)", "definition", Status.S,
        Source("Noise level, Ghost", 398), algorithms=("Ghost",),
        notes="The sigma-dependent term of Theorem 3's recursion.")
def limit_variance_ghost():
    r"""\gamma^2\frac{(1 + \omega_{\rm up})\sigma^2}{Nb}(1 + 2\gamma L\omega_{\rm dwn})"""
    return gamma**2 * (1 + omega_up) * sigma**2 / (N * b) * (1 + 2 * gamma * L * omega_dwn)


# ----------------------------------------------------------------------------------- MCM
@encode("thm5", "Theorem 5 (local variance of MCM: recursion on Upsilon)", "recursion", Status.S,
        Source("Control of the local Variance", 488), algorithms=MCM, carried=(1 - alpha_dwn / 2) * upsilon_prev,
        hypotheses=(*assumed("A1", "A3", "A5", "homogeneous", "no uplink memory"),
                    Hypothesis("mu = 0 (as printed)", "the slide states 'with mu = 0'", eq(mu, 0)),
                    Hypothesis("gamma <= 1/(8 omega_dwn L)", "step-size condition",
                               le(gamma, 1 / (8 * omega_dwn * L))),
                    Hypothesis("alpha_dwn <= 4 omega_dwn - 1 (as printed)",
                               "memory-rate condition as printed: '(4 omega_dwn) - 1' [S?]",
                               le(alpha_dwn, 4 * omega_dwn - 1), Status.S_DOUBT),
                    Hypothesis("alpha_dwn <= 1/(4 omega_dwn)", "the probable reading of the printed condition",
                               le(alpha_dwn, 1 / (4 * omega_dwn)), Status.S_DOUBT)),
        notes="The alpha_dwn condition is garbled on the slide ('(4 omega_dwn) - 1'); almost surely "
              "(4 omega_dwn)^-1. Both readings are encoded; alpha_dwn = 1/(8 omega_dwn) with omega_dwn >= 1 "
              "satisfies both.")
def thm5():
    r"""\mathbb E\Upsilon_k \le \Big(1 - \frac{\alpha_{\rm dwn}}2\Big)\mathbb E\Upsilon_{k-1}
    + 2\gamma^2\Big(\frac1{\alpha_{\rm dwn}} + \frac{\omega_{\rm up}}N\Big)\mathbb E\|\nabla F(\widehat w_{k-1})\|^2
    + \frac{2\gamma^2\sigma^2(1 + \omega_{\rm up})}{Nb}"""
    return le(upsilon, (1 - alpha_dwn / 2) * upsilon_prev
              + 2 * gamma**2 * (1 / alpha_dwn + omega_up / N) * grad2_hat_prev
              + 2 * gamma**2 * sigma**2 * (1 + omega_up) / (N * b))


@encode("mcm_local_gap", "Local-model gap of MCM (A1 on the downlink)", "bound", Status.D,
        Source("The downlink memory mechanism for MCM", 472, "w_hat_k = H_{k-1} + C_dwn(w_k - H_{k-1})"),
        algorithms=MCM, hypotheses=assumed("A1"),
        tight="Equality for a downlink operator attaining A1 with equality (rand-k, Bernoulli-p): "
              "E[||w_k - w_hat_k||^2 | w_k, H_{k-1}] = omega_dwn Upsilon_k (THEORY.md section 6).",
        notes="Derived: w_k - w_hat_k = Omega_k - C_dwn(Omega_k) with Omega_k = w_k - H_{k-1}, so A1 gives "
              "E[||w_k - w_hat_k||^2 | w_k, H_{k-1}] <= omega_dwn ||Omega_k||^2 = omega_dwn Upsilon_k. It is the "
              "residual bound of the derivation of V_k and Phi (boundlab.theory.derivations). For Rand-MCM, both "
              "sides are averages over the workers' memories.")
def mcm_local_gap():
    r"""\mathbb E\|w_k - \widehat w_k\|^2 \le \omega_{\rm dwn}\,\mathbb E\Upsilon_k"""
    return le(local_gap2, omega_dwn * upsilon)


_MCM_BASE = (*assumed("A1", "A3", "A5", "homogeneous", "no uplink memory", "init"), ALPHA_DERIVED)
_MCM_HYPS = (*_MCM_BASE, STEP_LE_GAMMA_MAX)


@encode("thm6", "Theorem 6 (MCM, convex: one-step inequality)", "recursion", Status.S,
        Source("Convergence of MCM - Convex", 509), algorithms=MCM, hypotheses=(*_MCM_HYPS, CONVEX),
        carried=V_prev)
def thm6():
    r"""\gamma\,\mathbb E[F(w_{k-1}) - F_*] \le V_{k-1} - V_k + \frac{\gamma^2\sigma^2\Phi(\gamma)}{Nb}"""
    return le(gamma * excess_loss_prev, V_prev - V + gamma**2 * sigma**2 * Phi / (N * b))


@encode("thm6_averaged", "Theorem 6 (MCM, convex: averaged iterate)", "bound", Status.S,
        Source("Convergence of MCM - Convex", 509), algorithms=MCM, hypotheses=(*_MCM_HYPS, CONVEX),
        notes="w_bar_k = (1/k) sum_{i=0}^{k-1} w_i. Obtained by summing the one-step inequality (thm6).")
def thm6_averaged():
    r"""\mathbb E[F(\bar w_k) - F_*] \le \frac{V_0}{\gamma k} + \frac{\gamma\sigma^2\Phi(\gamma)}{Nb},
    \qquad \bar w_k = \frac1k\sum_{i=0}^{k-1} w_i"""
    return le(excess_loss_avg, V_0 / (gamma * k) + gamma * sigma**2 * Phi / (N * b))


# The step size of Theorem 6's corollary, tuned to the horizon K.
GAMMA_TUNED = sp.sqrt(dist2_0 * N * b / ((1 + omega_up) * sigma**2 * K))


@encode("thm6_tuned", "Theorem 6, corollary: step tuned to the horizon K (exact form)", "bound", Status.D,
        Source("Convergence of MCM - Convex", 528,
               "printed as 2 sqrt(||w_0 - w_*||^2 (1 + omega_up) sigma^2 / (N b K)) + O(1/K)"),
        algorithms=MCM,
        hypotheses=(*_MCM_BASE, CONVEX, Hypothesis("tuned step <= gamma_max", "holds once K is large enough",
                                                   le(GAMMA_TUNED, gamma_max))),
        schedule=Schedule(GAMMA_TUNED, K, 1, le(gamma, gamma_max), eventually=True),  # "K large enough"
        notes="Derived by substituting gamma = sqrt(||w_0-w_*||^2 N b / ((1+omega_up) sigma^2 K)) into "
              "thm6_averaged (with k = K): the printed O(1/K) is exactly 64 L omega_dwn^2 ||w_0 - w_*||^2 / K. "
              "Valid once K is large enough that this step is at most gamma_max.")
def thm6_tuned():
    r"""\mathbb E[F(\bar w_K) - F_*] \le 2\sqrt{\frac{\|w_0 - w_*\|^2(1 + \omega_{\rm up})\sigma^2}{NbK}}
    + \frac{64L\omega_{\rm dwn}^2\|w_0 - w_*\|^2}{K}"""
    from boundlab.theory.core import expand

    averaged = expand(thm6_averaged.rhs, load=False).subs(k, K)  # V_0 and Phi are defined by now
    return le(excess_loss_avg, sp.expand(sp.powsimp(averaged.subs(gamma, GAMMA_TUNED), force=True)))


@encode("limit_variance_mcm", "Variance term of MCM (per step)", "definition", Status.S,
        Source("Comparison to previous results: Limit Variance", 534), algorithms=MCM,
        notes="As gamma -> 0 it approaches Diana's gamma^2 sigma^2 (1 + omega_up)/(N b).")
def limit_variance_mcm():
    r"""\frac{\gamma^2\sigma^2}{Nb}(1 + \omega_{\rm up})(1 + 64\gamma L\omega_{\rm dwn}^2)
    = \frac{\gamma^2\sigma^2\Phi(\gamma)}{Nb}"""
    return gamma**2 * sigma**2 * Phi / (N * b)


@encode("thm7", "Theorem 7 (MCM, strongly convex: one-step inequality)", "recursion", Status.S,
        Source("Convergence of MCM - Strongly Convex", 577), algorithms=MCM,
        hypotheses=(*_MCM_HYPS, STRONGLY_CONVEX), carried=(1 - gamma * mu) * V_prev,
        notes="Holds for any sequence gamma_k <= gamma_max; evaluate it at the step gamma = gamma_k.")
def thm7():
    r"""V_k \le (1 - \gamma_k\mu)V_{k-1} - \gamma_k\,\mathbb E[F(\widehat w_{k-1}) - F_*]
    + \frac{\gamma_k^2\sigma^2\Phi(\gamma_k)}{Nb}"""
    return le(V, (1 - gamma * mu) * V_prev - gamma * excess_loss_hat_prev + gamma**2 * sigma**2 * Phi / (N * b))


@encode("thm7_linear", "Theorem 7, corollary 1: linear rate without noise", "bound", Status.S,
        Source("Convergence of MCM - Strongly Convex", 577), algorithms=MCM,
        hypotheses=(*_MCM_BASE, STRONGLY_CONVEX,
                    Hypothesis("sigma = 0", "noiseless gradients", eq(sigma, 0))),
        schedule=Schedule(gamma_max, k, 0, le(gamma, gamma_max)))
def thm7_linear():
    r"""\sigma = 0,\ \gamma_k\equiv\gamma_{\max}:\qquad \mathbb E\|w_k - w_*\|^2 \le (1 - \gamma_{\max}\mu)^kV_0"""
    return le(dist2, (1 - gamma_max * mu) ** k * V_0)


@encode("thm7_averaged", "Theorem 7, corollary 2: weighted averaged iterate, decreasing steps", "bound",
        Status.S_DOUBT, Source("Convergence of MCM - Strongly Convex", 587), algorithms=MCM,
        hypotheses=(*_MCM_BASE, STRONGLY_CONVEX),
        schedule=Schedule(2 / (mu * (k + 1) + L_tilde), k, 0, le(gamma, gamma_max)),
        notes="Weighted Polyak-Ruppert average w_bar_K = sum_{k=1}^K lambda_k w_{k-1} / sum lambda_k with "
              "lambda_k = 1/gamma_{k-1}. Encoded as printed; flagged [S?]: its first step exceeds gamma_max and "
              "its first term is not dimensionally consistent ('boundlab audit' finds both).")
def thm7_averaged():
    r"""\gamma_k = \frac{2}{\mu(k+1) + \widetilde L}:\qquad \mathbb E[F(\bar w_K) - F_*] \le
    \frac{\mu + 2\widetilde L}{4\mu K^2}\|w_0 - w_*\|^2 + \frac{4\sigma^2(1 + \omega_{\rm up})}{\mu KNb}
    \Big(1 + \frac{64L\omega_{\rm dwn}^2}{\mu K}\ln(\mu K + \widetilde L)\Big)"""
    return le(excess_loss_avg, (mu + 2 * L_tilde) / (4 * mu * K**2) * dist2_0
              + 4 * sigma**2 * (1 + omega_up) / (mu * K * N * b)
              * (1 + 64 * L * omega_dwn**2 / (mu * K) * sp.log(mu * K + L_tilde)))


# ------------------------------------------------------------------------------ Rand-MCM
@encode("thm8", "Theorem 8 (Theorems 5 to 7 hold for Rand-MCM and Rand-MCM-G)", "extension", Status.S,
        Source("Convergence of Rand-MCM", 672), algorithms=("Rand-MCM", "Rand-MCM-G"),
        extends=("thm5", "thm6", "thm6_averaged", "thm7", "thm7_linear", "thm7_averaged"),
        notes="No formula of its own: the listed results apply verbatim to Rand-MCM and Rand-MCM-G "
              "(with Upsilon taken per worker memory).")
def thm8():
    r"""\text{Theorems 5 to 7 are valid for Rand-MCM and Rand-MCM-G.}"""
    return None


@encode("thm9", "Theorem 9 (Rand-MCM, quadratic F, convex)", "bound", Status.S_DOUBT,
        Source("Convergence of Rand-MCM", 686), algorithms=MCM,
        hypotheses=(*assumed("A1", "A3", "A5", "homogeneous", "no uplink memory", "init", "quadratic"), CONVEX,
                    STEP_LE_GAMMA_MAX, ALPHA_DERIVED),
        notes="C = N (Rand-MCM), G (Rand-MCM-G), 1 (MCM). Tagged [S?] through Phi^Rd's '/K'.")
def thm9():
    r"""\mathbb E[F(\bar w_K) - F_*] \le \frac{V_0}{\gamma K} + \frac{\gamma\sigma^2\Phi^{\rm Rd}(\gamma)}{Nb}"""
    return le(excess_loss_avg, V_0 / (gamma * K) + gamma * sigma**2 * Phi_Rd / (N * b))


# ------------------------------------------------------------------- heterogeneous case
@encode("heterogeneous_extension", "Extension of Theorems 5-7 to heterogeneous workers (uplink memory)", "extension",
        Status.O, Source("Extensions - and partial take away", 606),
        algorithms=("MCM",), extends=("thm5", "thm6", "thm6_averaged", "thm7", "thm7_linear"),
        hypotheses=assumed("A1", "A2", "A3", "A5"),
        notes="The slides state that the theorems hold for heterogeneous workers under A2, with an uplink memory, "
              "'at the cost of a constant 2', without saying which constants: order level only, never exact.")
def heterogeneous_extension():
    r"""\text{Theorems 5 to 7 hold in the heterogeneous framework (A2, uplink memory) up to a constant 2.}"""
    return None

"""Definitions of THEORY.md section 3: V_k, Phi, Phi^Rd, gamma_max and its three pieces, L-tilde.

Each definition is also registered as a *macro*: the symbol (``Phi``, ``gamma_max``...) may be
used in any statement and is replaced by its definition before evaluation.
"""
from __future__ import annotations

import sympy as sp

from boundlab.theory.core import Source, Status, define_macro, encode
from boundlab.theory.symbols import (C, K, L, L_tilde, N, V, V_0, V_prev, Phi, Phi_Rd, alpha_dwn, dist2, dist2_0,
                                     dist2_prev, gamma, gamma_down, gamma_max, gamma_max_alpha, gamma_up,
                                     gamma_upsilon, gamma_upsilon_alpha, omega_dwn, omega_up, upsilon, upsilon_prev)

MCM_CONVEX = Source("Convergence of MCM - Convex", 506)
STEP_SIZES = Source("Comparison to previous results: Limit learning rate", 562)


@encode("V_k", "Lyapunov function V_k of MCM", "definition", Status.S, MCM_CONVEX, macro=V,
        algorithms=("MCM", "Rand-MCM", "Rand-MCM-G"),
        notes="V_prev (step k-1) is the same expression at k-1; V_0 = ||w_0 - w_*||^2 because the "
              "checks initialise H_0 = w_hat_0 = w_0, so that Upsilon_0 = 0.")
def V_k():
    r"""V_k = \mathbb{E}\|w_k - w_*\|^2 + 32\gamma L\omega_{\rm dwn}^2\,\mathbb{E}\Upsilon_k"""
    return dist2 + 32 * gamma * L * omega_dwn**2 * upsilon


define_macro(V_prev, V_k.statement.xreplace({dist2: dist2_prev, upsilon: upsilon_prev}))
define_macro(V_0, dist2_0)


@encode("Phi", "Variance factor Phi(gamma) of MCM", "definition", Status.S, MCM_CONVEX, macro=Phi,
        algorithms=("MCM",))
def Phi_def():
    r"""\Phi(\gamma) = (1 + \omega_{\rm up})(1 + 64\gamma L\omega_{\rm dwn}^2)"""
    return (1 + omega_up) * (1 + 64 * gamma * L * omega_dwn**2)


@encode("Phi_Rd", "Variance factor Phi^Rd(gamma) of Rand-MCM (Theorem 9)", "definition", Status.S_DOUBT,
        Source("Convergence of Rand-MCM", 694), macro=Phi_Rd, algorithms=("MCM", "Rand-MCM", "Rand-MCM-G"),
        notes="The division by K is printed but doubtful [S?]: it makes the downlink's effect vanish as the "
              "horizon grows. C = N (Rand-MCM), G (Rand-MCM-G), 1 (MCM).")
def Phi_Rd_def():
    r"""\Phi^{\rm Rd}(\gamma) = (1+\omega_{\rm up})\Big(1 + \frac{4\gamma^2L^2\omega_{\rm dwn}}{K}
    \Big(\frac{1}{\mathbf C} + \frac{\omega_{\rm up}}{N}\Big)\Big)"""
    return (1 + omega_up) * (1 + 4 * gamma**2 * L**2 * omega_dwn / K * (1 / C + omega_up / N))


@encode("gamma_up", "Uplink step-size constraint gamma_max^up", "definition", Status.S, STEP_SIZES,
        macro=gamma_up, notes="The classical constraint of unidirectional compression (Diana, Artemis).")
def gamma_up_def():
    r"""\gamma_{\max}^{\rm up} = \big(2L(1 + \omega_{\rm up}/N)\big)^{-1}"""
    return 1 / (2 * L * (1 + omega_up / N))


@encode("gamma_down", "Downlink step-size constraint gamma_max^down", "definition", Status.S, STEP_SIZES,
        macro=gamma_down, notes="Infinite when omega_dwn = 0 (no downlink compression).")
def gamma_down_def():
    r"""\gamma_{\max}^{\rm down} = (8L\omega_{\rm dwn})^{-1}"""
    return 1 / (8 * L * omega_dwn)


@encode("gamma_upsilon", "Memory step-size constraint gamma_max^Upsilon", "definition", Status.S, STEP_SIZES,
        macro=gamma_upsilon, notes="Arises when controlling Upsilon; re-derived from Theorem 5 in "
                                   "boundlab.theory.derivations with alpha_dwn = 1/(8 omega_dwn).")
def gamma_upsilon_def():
    r"""\gamma_{\max}^{\Upsilon} = \Big(8\sqrt2\,L\omega_{\rm dwn}\sqrt{8\omega_{\rm dwn}
    + \omega_{\rm up}/N}\Big)^{-1}"""
    return 1 / (8 * sp.sqrt(2) * L * omega_dwn * sp.sqrt(8 * omega_dwn + omega_up / N))


@encode("gamma_max", "Largest step size gamma_max of MCM", "definition", Status.S, STEP_SIZES, macro=gamma_max,
        algorithms=("MCM", "Rand-MCM", "Rand-MCM-G"))
def gamma_max_def():
    r"""\gamma_{\max} = \min\big(\gamma_{\max}^{\rm up}, \gamma_{\max}^{\rm down}, \gamma_{\max}^{\Upsilon}\big)"""
    return sp.Min(gamma_up, gamma_down, gamma_upsilon)


@encode("gamma_upsilon_alpha", "Memory step-size constraint at any alpha_dwn", "definition", Status.D,
        Source("Comparison to previous results: Limit learning rate", 562,
               "re-derived from Theorem 5 with alpha_dwn kept free (boundlab.theory.derivations)"),
        macro=gamma_upsilon_alpha, algorithms=("MCM", "Rand-MCM", "Rand-MCM-G"),
        notes="The Lyapunov step of the derivation with a free memory rate: the Upsilon terms telescope with "
              "c = 4 gamma L omega_dwn / alpha_dwn, and the gradient terms cancel iff 8 gamma^2 L^2 omega_dwn "
              "(1/alpha_dwn + omega_up/N)/alpha_dwn <= 1/2. At alpha_dwn = 1/(8 omega_dwn) it is gamma_max^Upsilon. "
              "The step that 'boundlab simulate --gamma theory' uses when alpha_dwn is set by hand.")
def gamma_upsilon_alpha_def():
    r"""\gamma_{\max}^{\Upsilon}(\alpha_{\rm dwn}) = \frac1{4L}\sqrt{\frac{\alpha_{\rm dwn}}
    {\omega_{\rm dwn}\,(1/\alpha_{\rm dwn} + \omega_{\rm up}/N)}}"""
    return sp.sqrt(alpha_dwn / (omega_dwn * (1 / alpha_dwn + omega_up / N))) / (4 * L)


@encode("gamma_max_alpha", "Largest step size of MCM at any alpha_dwn", "definition", Status.D, STEP_SIZES,
        macro=gamma_max_alpha, algorithms=("MCM", "Rand-MCM", "Rand-MCM-G"),
        notes="gamma_max with gamma_max^Upsilon re-derived at the given alpha_dwn; equal to gamma_max at "
              "alpha_dwn = 1/(8 omega_dwn). gamma_max^down is Theorem 5's own step condition, which does not "
              "depend on alpha_dwn.")
def gamma_max_alpha_def():
    r"""\gamma_{\max}(\alpha_{\rm dwn}) = \min\big(\gamma_{\max}^{\rm up}, \gamma_{\max}^{\rm down},
    \gamma_{\max}^{\Upsilon}(\alpha_{\rm dwn})\big)"""
    return sp.Min(gamma_up, gamma_down, gamma_upsilon_alpha)


@encode("L_tilde", "Effective smoothness L-tilde", "definition", Status.S,
        Source("Convergence of MCM - Strongly Convex", 575), macro=L_tilde)
def L_tilde_def():
    r"""\widetilde L \text{ is defined by } \gamma_{\max} = (2\widetilde L)^{-1},
    \text{ i.e. } \widetilde L = 1/(2\gamma_{\max})"""
    return 1 / (2 * gamma_max)

r"""Re-derivations of the slides' constants from the encoded results (THEORY.md's [D] paragraph).

Both MCM's Lyapunov constant and Theorem 3 come out of one *perturbed-iterate* step, sketched on
the slides ('Sketch of proof, 2'):

.. math::
    \mathbb E\|w_k - w_*\|^2 \le \mathbb E\|w_{k-1} - w_*\|^2 - \gamma\,\mathbb E[F(\widehat w_{k-1}) - F_*]
    - \frac{\gamma}{2L}\mathbb E\|\nabla F(\widehat w_{k-1})\|^2
    + 2\gamma L\,\mathbb E\|\widehat w_{k-1} - w_{k-1}\|^2 + \gamma^2\frac{(1+\omega_{\rm up})\sigma^2}{Nb}

It uses E[w_hat | w] = w, the split -2 gamma <grad F(w_hat), w_hat - w_*> <= -gamma (F(w_hat) - F_*)
- (gamma/L)||grad F(w_hat)||^2 (convexity and co-coercivity), the residual bound
2 gamma <grad F(w_hat) - grad F(w), w_hat - w> <= 2 gamma L ||w_hat - w||^2, the second moment
E||g_hat||^2 = (1 + omega_up/N)||grad F||^2 + (1 + omega_up) sigma^2/(N b) (homogeneous workers), and
gamma <= gamma_max^up to absorb gamma^2 (1 + omega_up/N) into gamma/(2L).

* Ghost: the residual E||w_hat_{k-1} - w_{k-1}||^2 is Proposition 1 at step k-1, which gives
  Theorem 3 (after Jensen, E F(w_hat) >= F(w)).
* MCM: the residual is at most omega_dwn E Upsilon_{k-1} (A1 on the downlink). Adding c E Upsilon_k,
  bounded by Theorem 5, the Upsilon terms telescope iff c >= 4 gamma L omega_dwn / alpha_dwn, the
  gradient terms cancel iff gamma <= gamma^Upsilon, and the noise becomes gamma^2 sigma^2 Phi/(N b).
  With alpha_dwn = 1/(8 omega_dwn) this reproduces 32 gamma L omega_dwn^2, gamma_max^Upsilon and Phi.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from boundlab.theory.core import expand, get
from boundlab.theory.symbols import (L, N, alpha_dwn, b, dist2_prev, excess_loss_hat_prev, excess_loss_prev, gamma,
                                     grad2_hat_prev, grad2_hat_prev2, omega_dwn, omega_up, sigma, upsilon,
                                     upsilon_prev)


def one_step(residual: sp.Expr) -> sp.Expr:
    """Right-hand side of the perturbed-iterate step for E||w_k - w_*||^2, given a bound on
    E||w_hat_{k-1} - w_{k-1}||^2 (see the module docstring)."""
    return (dist2_prev - gamma * excess_loss_hat_prev - gamma / (2 * L) * grad2_hat_prev
            + 2 * gamma * L * residual + gamma**2 * (1 + omega_up) * sigma**2 / (N * b))


@dataclass(frozen=True)
class Rederived:
    """A constant re-derived from other results, next to the encoded one."""

    name: str
    derived: sp.Expr
    encoded: sp.Expr

    @property
    def matches(self) -> bool:
        if sp.simplify(self.derived - self.encoded) == 0:
            return True
        # square roots of rational functions: compare the squares (both sides are positive step sizes)
        return sp.simplify(sp.radsimp(self.derived**2 - self.encoded**2)) == 0


def rederive_thm3() -> Rederived:
    """Theorem 3 from the one-step bound with Proposition 1 (at step k-1) as the residual."""
    residual = get("prop1").rhs.subs(grad2_hat_prev, grad2_hat_prev2)
    derived = sp.expand(one_step(residual).subs(excess_loss_hat_prev, excess_loss_prev))
    return Rederived("Theorem 3 (right-hand side)", derived, sp.expand(get("thm3").rhs))


def rederive_mcm_constants(alpha: sp.Expr = 1 / (8 * omega_dwn)) -> list[Rederived]:
    """Re-derive V_k's constant, gamma_max^Upsilon and Phi from Theorem 5 with memory rate ``alpha``."""
    c = sp.Symbol("c", positive=True)
    thm5_rhs = get("thm5").rhs  # bound on E Upsilon_k
    lyapunov = sp.expand(one_step(omega_dwn * upsilon_prev) + c * thm5_rhs)
    # 1. Upsilon terms telescope: coefficient of E Upsilon_{k-1} at most c.
    c_min = sp.solve(sp.Eq(lyapunov.coeff(upsilon_prev), c), c)[0]
    lyapunov = lyapunov.subs(c, c_min)
    # 2. Gradient terms cancel: the coefficient of E||grad F(w_hat_{k-1})||^2 is <= 0 up to the largest gamma.
    grad_coeff = sp.factor(lyapunov.coeff(grad2_hat_prev))
    roots = [r for r in sp.solve(sp.Eq(grad_coeff, 0), gamma)  # keep the positive root (a step size)
             if r.subs({s: 1 for s in r.free_symbols}) > 0]
    # 3. Noise: the sigma^2 terms, divided by gamma^2 sigma^2/(N b).
    noise = sp.expand(lyapunov).coeff(sigma, 2) / (gamma**2 / (N * b))
    at = {alpha_dwn: alpha}
    v_const = get("V_k").statement.coeff(upsilon)
    return [
        Rederived("V_k's constant (coefficient of E Upsilon_k)", sp.simplify(c_min.subs(at)), v_const),
        Rederived("gamma_max^Upsilon", sp.simplify(roots[0].subs(at)), expand(get("gamma_upsilon").rhs)),
        Rederived("Phi(gamma)", sp.factor(sp.simplify(noise.subs(at))), expand(get("Phi").rhs)),
        # the same root with alpha_dwn left free: the step 'gamma = theory' uses when alpha_dwn is set by hand
        Rederived("gamma_max^Upsilon(alpha_dwn)", roots[0], expand(get("gamma_upsilon_alpha").rhs)),
    ]


def all_rederivations() -> list[Rederived]:
    return [rederive_thm3(), *rederive_mcm_constants()]

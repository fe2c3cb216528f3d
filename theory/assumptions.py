"""Assumptions A1-A5 of THEORY.md section 1, as checkable inequalities.

Each assumption is a relation between a measured quantity and constants; evaluating it with
the measured quantity given says whether it holds there (``boundlab theory A5 sigma=1 b=4
noise2=0.2``). The theorems cite them as structural hypotheses.
"""
from __future__ import annotations

from boundlab.theory.core import Hypothesis, Source, Status, encode, le
from boundlab.theory.symbols import B, L, S, b, mu, omega, sigma, x_norm2

A1_SRC = Source("1. Bi-directional compression", 127)


@encode("A1", "Assumption 1 (unbiased compression with variance factor omega)", "assumption", Status.S, A1_SRC,
        notes="Also E[C(x)] = x. Written C in U(omega); one omega per direction (omega_up, omega_dwn), all "
              "draws independent. The slide writes omega in R^*; omega = 0 (no compression) is allowed here.")
def A1():
    r"""\mathbb{E}[\mathcal C(x)] = x \quad\text{and}\quad \mathbb{E}\|\mathcal C(x) - x\|^2 \le \omega\|x\|^2
    \quad\forall x\in\mathbb R^d"""
    return le(S("compression_error2"), omega * x_norm2)


@encode("A2", "Assumption 2 (bounded heterogeneity at the optimum)", "assumption", Status.S,
        Source("2. The memory mechanism", 186))
def A2():
    r"""\|\nabla F_i(w_*)\|^2 \le B^2 \quad\forall i\in[N]"""
    return le(S("grad_i_opt2"), B**2)


@encode("A3", "Assumption 3 (smoothness)", "assumption", Status.S, Source("Assumptions", 287),
        notes="F is also required to be twice continuously differentiable.")
def A3():
    r"""\|\nabla F(w_1) - \nabla F(w_2)\| \le L\|w_1 - w_2\| \quad\forall w_1, w_2"""
    return le(S("grad_diff"), L * S("w_diff"))


@encode("A4", "Assumption 4 (convexity, or mu-strong convexity)", "assumption", Status.S,
        Source("Assumptions", 299, "the strongly convex form is used by Theorem 7"),
        hypotheses=(Hypothesis("mu >= 0", "mu = 0 is plain convexity", None),))
def A4():
    r"""F(w_2) - F(w_1) - \langle\nabla F(w_1), w_2 - w_1\rangle \ge \frac{\mu}{2}\|w_2 - w_1\|^2"""
    from boundlab.theory.core import ge

    return ge(S("F_gap"), mu / 2 * S("w_diff") ** 2)


@encode("A5", "Assumption 5 (uniformly bounded gradient noise)", "assumption", Status.S,
        Source("Assumptions", 315),
        notes="Must hold along the whole trajectory: with sampled data the noise grows with ||w||, so sigma^2 "
              "must bound it over the region the runs visit.")
def A5():
    r"""\mathbb{E}\|g_k^i(w) - \nabla F(w)\|^2 \le \sigma^2/b \quad\forall k, i, w"""
    return le(S("noise2"), sigma**2 / b)


# Structural hypotheses the theorems cite (constants alone cannot decide them).
def assumed(*labels: str) -> tuple[Hypothesis, ...]:
    texts = {
        "A1": "C_up in U(omega_up), C_dwn in U(omega_dwn), independent draws",
        "A2": "||grad F_i(w_*)||^2 <= B^2",
        "A3": "F is C^2 and L-smooth",
        "A4": "F is convex (mu = 0) or mu-strongly convex",
        "A5": "E||g - grad F||^2 <= sigma^2 / b along the trajectory",
        "homogeneous": "homogeneous workers: F_i = F for all i (B = 0)",
        "no uplink memory": "the uplink sends C_up(g_k^i) (no memory h^i)",
        "quadratic": "F is quadratic",
        "init": "initialisation H_0 = w_hat_0 = w_0 (so Upsilon_0 = 0)",
    }
    return tuple(Hypothesis(label, texts[label]) for label in labels)

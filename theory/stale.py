r"""Compressed gradient methods with stale gradients (seed 002: Khirirat, Feyzmahdavian, Johansson, arXiv 1806.06573;
THEORY-SEEDS.md §5).

Only the abstract is sourced: a framework for distributed gradient methods with stale and compressed gradients,
explicit step sizes, iteration and communication complexity. **None of the paper's step sizes, rates or complexities
is sourced**: they are registered as ``unsourced`` placeholders. What is checked are the identities derived in
THEORY-SEEDS.md 5.3 [D] on the model algorithm ``delayed-cgd`` (not the paper's): K1 (one step of compressed gradient
descent), its equality case, K2 (the exact moment recursion with fixed, i.i.d. or Markov delays, whose spectral radius
gives the mean-square edge gamma*(tau, omega)) and K3 (bits to an accuracy, flat in k to first order).
"""
from __future__ import annotations

from boundlab.theory.core import Hypothesis, Result, Source, Status, encode, eq, le, placeholder
from boundlab.theory.symbols import K, L, S, gamma, omega

excess_loss, excess_loss_prev, excess_loss_0, excess_loss_exact, grad2, d, k = (
    S(n) for n in ("excess_loss", "excess_loss_prev", "excess_loss_0", "excess_loss_exact", "grad2_hat_prev", "d",
                   "k"))
ALGORITHMS = ("delayed-cgd",)


def _derived(item: str) -> Source:
    return Source.cite(f"THEORY-SEEDS.md 5.3 {item}", "derived there; the model algorithm of 5.2, not the paper's")


@encode("k1_descent", "K1: one step of compressed gradient descent", "bound", Status.D, _derived("K1"),
        algorithms=ALGORITHMS,
        hypotheses=(Hypothesis("A1", "an unbiased operator of variance factor omega"),
                    Hypothesis("A3", "f is L-smooth"),
                    Hypothesis("exact gradients", "no gradient noise (sigma = 0) and no delay")),
        notes="From f(x+) <= f(x) + <grad f(x), x+ - x> + (L/2)||x+ - x||^2 and E||C(g)||^2 <= (1 + omega)||g||^2.")
def k1_descent():
    r"""\mathbb Ef(x^+)\le f(x)-\gamma\Big(1-\frac{L\gamma(1+\omega)}2\Big)\|\nabla f(x)\|^2"""
    return le(excess_loss, excess_loss_prev - gamma * (1 - L * gamma * (1 + omega) / 2) * grad2)


@encode("k1_isotropic", "K1's equality case: f = (L/2)||x||^2 with rand-k", "bound", Status.D, _derived("K1"),
        algorithms=ALGORITHMS,
        hypotheses=(Hypothesis("A = L I", "an isotropic quadratic"),
                    Hypothesis("uplink attains A1", "E||C(x) - x||^2 = omega ||x||^2 for every x (rand-k)"),
                    Hypothesis("exact gradients", "no gradient noise (sigma = 0) and no delay")),
        notes="E f(x+) = (1 - 2 L gamma + L^2 gamma^2 (1 + omega)) f(x) exactly, so after K steps the factor to the "
              "power K.")
def k1_isotropic():
    r"""\mathbb Ef(x_K) = \big(1-2L\gamma+L^2\gamma^2(1+\omega)\big)^K f(x_0)"""
    return eq(excess_loss, (1 - 2 * L * gamma + L**2 * gamma**2 * (1 + omega))**K * excess_loss_0)


@encode("k1_step_range", "K1's step range: gamma < 2/(L(1 + omega))", "definition", Status.D, _derived("K1"),
        algorithms=ALGORITHMS,
        notes="Descent in K1 iff gamma < 2/(L(1 + omega)); on f = (L/2)||x||^2 with a Bernoulli operator it is also "
              "the exact mean-square edge without delay (the spectral radius of K2's map reaches 1 there).")
def k1_step_range():
    r"""\gamma^*(0,\omega)=\frac2{L(1+\omega)}"""
    return 2 / (L * (1 + omega))


@encode("k2_moments", "K2: exact moments of delayed compressed gradient descent", "bound", Status.D, _derived("K2"),
        algorithms=ALGORITHMS,
        hypotheses=(Hypothesis("quadratic", "a homogeneous quadratic with Gaussian noise"),),
        notes="State (x_t, ..., x_{t - tau_max}); fixed delays: one affine map; i.i.d.: the mixture of the maps; "
              "Markov: one moment pair per mode (boundlab.simulate.exact_delayed). The mean-square edge gamma*(tau, "
              "omega) is where the spectral radius of the noiseless map reaches 1.")
def k2_moments():
    r"""\mathbb E f(x_t)-f^* = \tfrac12{\rm tr}(A\,M_t^{00}),\quad M_{t+1}=F_\tau M_tF_\tau^\top+{\rm blk}_{00}(\dots)"""
    return eq(excess_loss, excess_loss_exact)


@encode("k3_bits_flat", "K3: bits to an accuracy are flat in k (rand-k)", "order", Status.D, _derived("K3"),
        algorithms=ALGORITHMS,
        notes="From K1's factor at the best step: K ~ (L d/(mu k)) ln(f_0/eps) iterations of k (b_v + ceil(log2 d)) "
              "bits: independent of k to first order. In the equality case (A = L I, gamma = k/(d L)) exactly "
              "k (b_v + ceil(log2 d)) ln(f_0/eps)/(-ln(1 - k/d)) bits.")
def k3_bits_flat():
    r"""\text{bits}(\epsilon)\propto k^0"""
    return k**0


def _unsourced(name: str, title: str, missing: str) -> Result:
    return placeholder(name, title, "arXiv 1806.06573", missing, ALGORITHMS)


_unsourced("khirirat_step_size", "Explicit step sizes of seed 002", "the 'explicit step-size expressions' of the "
           "abstract, as functions of the delay bound and the compression accuracy; to be tested against the exact "
           "edge gamma*(tau, omega) once read")
_unsourced("khirirat_rate", "Convergence rates of seed 002", "the non-asymptotic rates and their constants")
_unsourced("khirirat_complexity", "Iteration and communication complexity of seed 002",
           "the complexities as functions of asynchrony and compression accuracy")
_unsourced("khirirat_algorithms", "The algorithms of seed 002", "their exact form (server update, delay model, "
           "which variants) and the compressor classes")


# Seed 003 (Albasyoni, Safaryan, Condat, Richtarik): its operators and bounds are unsourced (THEORY-SEEDS.md 6.5, §8).
def _unsourced_003(name: str, title: str, missing: str) -> Result:
    return placeholder(name, title, "arXiv 2010.03246", missing)


_unsourced_003("albasyoni_worst_case_bound", "Worst-case lower bound on bits against the compression error",
               "the bound and its constants (the alarm floor of boundlab.simulate.operators comes from an unverified "
               "recollection of another paper, [M3], and is not this bound)")
_unsourced_003("albasyoni_average_case_bound", "Average-case lower bound", "the bound and its constants")
_unsourced_003("sparse_dithering", "Sparse Dithering (seed 003's operator)", "its definition, omega and bits: not "
               "implemented under this name")
_unsourced_003("spherical_compression", "Spherical Compression (seed 003's operator)", "its definition, omega and "
               "bits: not implemented under this name")

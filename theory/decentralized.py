r"""Decentralized compressed training (seed 001: Tang, Gan, Zhang, Zhang, Liu, NeurIPS 2018; THEORY-SEEDS.md §4).

What is sourced is the abstract's claims [S] (naive compression fails; DCD-PSGD and ECD-PSGD converge at
:math:`O(1/\sqrt{nT})` [O]) and the update rules of public implementations (in :mod:`boundlab.simulate.decentralized`).
What can be checked sharply are the exact identities derived in THEORY-SEEDS.md §4.4 [D] (D1-D6). **No theorem,
constant, step-size rule or compression condition of the paper is sourced**: each is registered as a placeholder with
status ``unsourced`` (no formula; its notes say what is missing), never as a number.

Symbols: n nodes = ``N``, T iterations = ``K``; the graph's spectrum under three names kept apart
(``rho_contraction``, ``spectral_gap``, ``beta_mixing``: "rho" is a contraction factor in one paper and a gap in
another).
"""
from __future__ import annotations

import sympy as sp

from boundlab.theory.core import Hypothesis, Result, Source, Status, encode, eq, ge, le, placeholder, register
from boundlab.theory.symbols import K, N, S, d, dist2, omega

(replica_gap2_s, update2_s, update_error2_s, avg_error2_s, models2_s, consensus2_s, consensus2_exact_s,
 dist2_exact_s, estimate_error2_s, dither_s, rho_s, beta_s) = (
    S(n) for n in ("replica_gap2", "update2", "update_error2", "avg_error2", "models2", "consensus2",
                   "consensus2_exact", "dist2_exact", "estimate_error2", "dither_step", "rho_contraction",
                   "beta_mixing"))

SEED_001 = "seeds/001_6d9b3c3d2ca2cc96.txt"
ABSTRACT_RATE = Source("Abstract", 24, "A001", document=SEED_001)
ABSTRACT_NAIVE = Source("Abstract", 21, "A001", document=SEED_001)
PAPER = ("DCD-PSGD", "ECD-PSGD")


def _derived(item: str) -> Source:
    return Source.cite(f"THEORY-SEEDS.md §4.4 {item}", "derived there from the update rules of §4.2 [S2]")


RAND_K = "equality for an operator attaining A1 with equality (rand-k, Bernoulli-p), '<=' for any C in U(omega)"


# --------------------------------------------------------------------------- [S] claims and the [O] rate
@encode("dcd_ecd_rate", "DCD-PSGD and ECD-PSGD converge at O(1/sqrt(nT))", "order", Status.O, ABSTRACT_RATE,
        algorithms=PAPER,
        notes="The abstract's rate, that of full-precision centralized training; constants and the quantity bounded "
              "(here: F of the averaged iterate of the network average, with a step ~ sqrt(n/T)) unsourced. Checked "
              "as fitted exponents in T and in n (boundlab verify).")
def dcd_ecd_rate():
    r"""O\Big(\frac1{\sqrt{nT}}\Big)"""
    return 1 / sp.sqrt(N * K)


register(Result("naive_gossip_fails", "Naive compression of the exchanged models does not converge", "claim",
                 Status.S, ABSTRACT_NAIVE, None, algorithms=("naive-gossip",),
                 latex=r"\text{naively compressing the exchanged models does not converge}",
                 notes="A claim without a formula (the proceedings abstract says it diverges [S2]). Made quantitative "
                       "by naive_avg_error (D3) and the exact mean-square divergence of boundlab.simulate."
                       "exact_decentralized."))

register(Result("dcd_needs_condition", "DCD-PSGD needs a hard limit on the compression strength; ECD-PSGD degrades "
                 "gradually", "claim", Status.S,
                 Source.cite("REV001: NeurIPS 2018 public review of seed 001 (a secondary source, [S2])"), None,
                 algorithms=PAPER, latex=r"\text{DCD: a hard condition on the compression; ECD: gradual degradation}",
                 notes="A claim without a formula, read in a public review [S2] (the condition itself is unsourced: "
                       "dcd_compression_condition). boundlab measures the hard limit of DCD's compressed gossip "
                       "exactly: the threshold omega* where the spectral radius of its moment map crosses 1 "
                       "(gossip_sufficient's checks; boundlab.simulate.exact_decentralized.gossip_threshold)."))

# --------------------------------------------------------------------------- [D] identities (D1-D6)
@encode("dcd_replicas_exact", "DCD-PSGD's replicas equal the owners' models (D1)", "bound", Status.D,
        _derived("D1"), algorithms=("DCD-PSGD",),
        notes="A holder adds to its replica exactly the message the owner adds to its model: the gap is constant, "
              "0 when they start equal (to the last bit, with the same floating-point operations).")
def dcd_replicas_exact():
    r"""\max_j\|\hat x_t^{(j)}-x_t^{(j)}\|^2 = 0"""
    return eq(replica_gap2_s, 0)


@encode("dcd_update_error", "DCD-PSGD's compression error is proportional to its update (D2)", "bound", Status.D,
        _derived("D2"), algorithms=("DCD-PSGD",), tight=RAND_K,
        hypotheses=(Hypothesis("A1", "an unbiased node compressor of variance factor omega"),),
        notes="E_t = C(Z_t) - Z_t has E[E_t | Z_t] = 0 and E[||E_t||_F^2 | Z_t] <= omega ||Z_t||_F^2: DCD is "
              "gossip-then-gradient D-PSGD plus a martingale perturbation proportional to the update.")
def dcd_update_error():
    r"""\mathbb E\|\mathcal C(Z_t)-Z_t\|_F^2 \le \omega\,\mathbb E\|Z_t\|_F^2"""
    return le(update_error2_s, omega * update2_s)


@encode("naive_avg_error", "Naive compression: error of the network average (D3)", "bound", Status.D,
        _derived("D3"), algorithms=("naive-gossip",), tight=RAND_K,
        hypotheses=(Hypothesis("A1", "an unbiased node compressor of variance factor omega"),),
        notes="The average moves by (1/n) sum_j e_t^(j), whose variance is proportional to the models themselves, "
              "not to their differences: it does not vanish at consensus, so the mean square of the average "
              "diverges when (1 - gamma mu)^2 + omega/n > 1, for every small gamma (THEORY-SEEDS.md D3).")
def naive_avg_error():
    r"""\mathbb E\Big\|\frac1n\sum_je_t^{(j)}\Big\|^2 \le \frac{\omega}{n^2}\sum_j\mathbb E\|x_t^{(j)}\|^2"""
    return le(avg_error2_s, omega * models2_s / N**2)


@encode("naive_plateau", "Naive compression: the plateau of the average grows as gamma decreases (D3)", "bound",
        Status.D, _derived("D3"), algorithms=("naive-gossip",),
        hypotheses=(Hypothesis("A = mu I", "an isotropic quadratic (D3's setting)"),
                    Hypothesis("A1", "a compressor attaining A1 with equality (rand-k)"),
                    Hypothesis("mean-square stable", "(1 - gamma mu)^2 + omega/n < 1 (else the mean square of the "
                               "average diverges, for every small gamma)",
                               le((1 - S("gamma") * S("mu"))**2 + omega / N, 1))),
        notes="u_t = x_bar_t - x* obeys u_{t+1} = (1 - gamma mu) u_t + (1/n) sum_j e_t^(j) - gamma xi_bar_t with "
              "E||(1/n) sum_j e_j||^2 >= (omega/n) E||x_bar_t||^2: the limit is at least this, which grows without "
              "bound as gamma decreases to the edge (1 - gamma mu)^2 + omega/n = 1. gamma^2 sigma^2/b is D3's "
              "gamma^2 d s^2 (noise s^2 per coordinate).")
def naive_plateau():
    r"""\lim_t\mathbb E\|\bar x_t-x^*\|^2 \ge \frac{(\omega\|x^*\|^2+\gamma^2\sigma^2/b)/n}{1-(1-\gamma\mu)^2-\omega/n}"""
    gamma_, mu_, b_, sigma_ = S("gamma"), S("mu"), S("b"), S("sigma")
    return le((omega * S("xstar_norm2") + gamma_**2 * sigma_**2 / b_) / N / (1 - (1 - gamma_ * mu_)**2 - omega / N),
              S("dist2_limit"))


@encode("dcd_moments", "DCD-PSGD's exact second moments (D4)", "bound", Status.D, _derived("D4"),
        algorithms=("DCD-PSGD", "D-PSGD", "naive-gossip"),
        hypotheses=(Hypothesis("quadratic", "the heterogeneous quadratics of THEORY-SEEDS.md §2, Gaussian noise"),),
        notes="On quadratics with random-mask operators the moments obey a closed linear recursion "
              "(boundlab.simulate.exact_decentralized); the Monte-Carlo consensus error and distance of the average "
              "must equal it. Also the compressed gossip (gamma = 0) and naive compression.")
def dcd_moments():
    r"""\mathbb E\|X_tQ\|_F^2 = {\rm tr}\big((Q\otimes I_d)M_t\big),\quad
    \mathbb E\|\bar x_t-x^*\|^2 \text{ from } (m_t, M_t)"""
    return eq(consensus2_s + dist2, consensus2_exact_s + dist2_exact_s)


@encode("gossip_sufficient", "A sufficient condition for mean-square compressed gossip (D5)", "definition",
        Status.D, _derived("D5"), algorithms=("DCD-PSGD",),
        notes="E||Q x_{t+1}||^2 = ||W Q x_t||^2 + E||Q e_t||^2 <= (rho_c^2 + omega beta^2) ||Q x_t||^2: gossip with "
              "an operator of variance factor omega contracts in mean square if omega is below this. The exact "
              "threshold omega* (spectral radius of the moment map crossing 1) is computed by "
              "boundlab.simulate.exact_decentralized.gossip_threshold; the report compares the two.")
def gossip_sufficient():
    r"""\omega < \frac{1-\rho_{\rm c}^2}{\beta^2}"""
    return (1 - rho_s**2) / beta_s**2


@encode("ecd_estimate_error", "ECD-PSGD's estimate error with a subtractive dither (D6)", "bound", Status.D,
        _derived("D6"), algorithms=("ECD-PSGD",),
        hypotheses=(Hypothesis("subtractive dither", "errors independent of the input, of variance d delta^2/12"),
                    Hypothesis("K >= 2", "the closed form needs T = K + 1 >= 3", ge(K, 2))),
        notes="r_{t+1} = (1 - 2/t) r_t + (2/t) eps_{t+1} for any compressor, so r_T = 2/((T-1)(T-2)) sum_{s=3}^T "
              "(s-2) eps_s; with the dither's constant error variance d delta^2/12, E||r_T||^2 = 2 (d delta^2/12) "
              "(2T-3)/(3(T-1)(T-2)), written here with T = K + 1 (K iterations of the engine).")
def ecd_estimate_error():
    r"""\mathbb E\|\hat y_T-x_T\|^2 = \frac{2\,(d\delta^2/12)\,(2T-3)}{3(T-1)(T-2)},\quad T=K+1"""
    return eq(estimate_error2_s, 2 * (d * dither_s**2 / 12) * (2 * K - 1) / (3 * K * (K - 1)))


# --------------------------------------------------------------------------- unsourced placeholders (§8)
def _unsourced(name: str, title: str, missing: str, algorithms=PAPER) -> Result:
    return placeholder(name, title, "arXiv 1803.06443", missing, algorithms)


_unsourced("dcd_theorem", "Convergence theorem of DCD-PSGD", "the theorem, its constants and its assumptions "
           "(Assumption 1 beyond item 6; the variance bound of Assumption 2) could not be read", ("DCD-PSGD",))
_unsourced("ecd_theorem", "Convergence theorem of ECD-PSGD", "the theorem, its constants and any log T term (only "
           "motivated by D6) could not be read", ("ECD-PSGD",))
_unsourced("dcd_step_size", "Step-size rule of DCD-PSGD", "the step-size rule and tuned corollary", ("DCD-PSGD",))
_unsourced("ecd_step_size", "Step-size rule of ECD-PSGD", "the step-size rule and tuned corollary", ("ECD-PSGD",))
_unsourced("dcd_compression_condition", "DCD-PSGD's condition on the compression strength",
           "the exact condition. A public review reads the DCD guarantee as needing a hard limit on the compression "
           "[S2: REV001]; the recollection (1 - rho_c)^2 > 4 beta^2 omega is unverified [M2] and is shown only as a "
           "column beside the exact gossip threshold", ("DCD-PSGD",))
_unsourced("ecd_variance_assumption", "ECD-PSGD's variance assumption on the compression",
           "its form and constant (an absolute variance bound, by D6(ii))", ("ECD-PSGD",))

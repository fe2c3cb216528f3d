"""The baselines' results as far as the slides give them (THEORY.md sections 3-4).

Apart from the Dore/Artemis step-size bound, the slides give the baselines only at order level
(absolute constants unknown): these are tagged [O] and must never be read as exact. They are the
source of the Diana and Artemis/Dore columns of the rate-summary table.
"""
from __future__ import annotations

from boundlab.theory.core import Source, Status, encode
from boundlab.theory.symbols import L, N, b, eps, gamma, gamma_up, k, mu, omega_dwn, omega_up, sigma

TABLE = Source("Summary of rates and complexities", 591, "absolute constants dropped on the slide")
LIMIT_VARIANCE = Source("Comparison to previous results: Limit Variance", 534)
STEP = Source("Comparison to previous results: Limit learning rate", 568)
DIANA, ARTEMIS_DORE = ("Diana",), ("Artemis", "Dore")


@encode("gamma_max_artemis_dore", "Step-size bound of the degraded algorithms (Dore, Artemis)", "definition",
        Status.S, STEP, algorithms=ARTEMIS_DORE,
        notes="Printed as 'gamma_max^Dore <= (8L(1 + omega_dwn)(1 + omega_up/N))^-1': the degraded algorithms' "
              "admissible step is at most this.")
def gamma_max_artemis_dore():
    r"""\gamma_{\max}^{\rm Dore} \le \big(8L(1 + \omega_{\rm dwn})(1 + \omega_{\rm up}/N)\big)^{-1}"""
    return 1 / (8 * L * (1 + omega_dwn) * (1 + omega_up / N))


@encode("gamma_max_diana", "Step-size bound of Diana (unidirectional)", "order", Status.O, STEP,
        algorithms=DIANA,
        notes="The slides identify the classical unidirectional constraint with gamma_max^up [see MGTR19, PD20]; "
              "Diana's own constant is not on the slides.")
def gamma_max_diana():
    r"""\gamma_{\max}^{\rm Diana} \propto \gamma_{\max}^{\rm up} = \big(2L(1 + \omega_{\rm up}/N)\big)^{-1}"""
    return gamma_up


@encode("limit_variance_diana", "Limit variance of Diana (per step)", "order", Status.O, LIMIT_VARIANCE,
        algorithms=DIANA, notes="[MGTR19, Eq. 16 in Th. 2] as cited on the slide; constants unknown.")
def limit_variance_diana():
    r"""\propto \frac{\gamma^2\sigma^2}{Nb}(1 + \omega_{\rm up})"""
    return gamma**2 * sigma**2 * (1 + omega_up) / (N * b)


@encode("limit_variance_artemis_dore", "Limit variance of Artemis and Dore (per step)", "order", Status.O,
        LIMIT_VARIANCE, algorithms=ARTEMIS_DORE,
        notes="Dore: Corollary 1 of [LLTY20]; Artemis: Table 2 and Th. 3 of [PD20], as cited on the slide. The "
              "'Noise level, Ghost' slide writes omega_dwn (1 + omega_up) instead of (1 + omega_dwn)(1 + omega_up): "
              "the same order for large omega_dwn.")
def limit_variance_artemis_dore():
    r"""\propto \frac{\gamma^2\sigma^2}{Nb}(1 + \omega_{\rm up})(1 + \omega_{\rm dwn})"""
    return gamma**2 * sigma**2 * (1 + omega_up) * (1 + omega_dwn) / (N * b)


@encode("rate_diana", "Rate on the initial condition of Diana (strongly convex)", "order", Status.O, TABLE,
        algorithms=DIANA)
def rate_diana():
    r"""\propto (1 - \gamma\mu)^k"""
    return (1 - gamma * mu) ** k


@encode("rate_artemis_dore", "Rate on the initial condition of Artemis and Dore (strongly convex)", "order",
        Status.O, TABLE, algorithms=ARTEMIS_DORE)
def rate_artemis_dore():
    r"""\propto (1 - \gamma\mu)^k"""
    return (1 - gamma * mu) ** k


@encode("complexity_sc_diana", "Complexity of Diana, strongly convex", "order", Status.O, TABLE, algorithms=DIANA)
def complexity_sc_diana():
    r"""\propto \frac{1 + \omega_{\rm up}}{\mu\epsilon N}"""
    return (1 + omega_up) / (mu * eps * N)


@encode("complexity_sc_artemis_dore", "Complexity of Artemis and Dore, strongly convex", "order", Status.O, TABLE,
        algorithms=ARTEMIS_DORE)
def complexity_sc_artemis_dore():
    r"""\propto \frac{(1 + \omega_{\rm dwn})(1 + \omega_{\rm up})}{\mu\epsilon N}"""
    return (1 + omega_dwn) * (1 + omega_up) / (mu * eps * N)


@encode("complexity_convex_diana", "Complexity of Diana, convex", "order", Status.O, TABLE, algorithms=DIANA)
def complexity_convex_diana():
    r"""\propto \frac{1 + \omega_{\rm up}}{\epsilon^2}"""
    return (1 + omega_up) / eps**2


@encode("complexity_convex_artemis_dore", "Complexity of Artemis and Dore, convex", "order", Status.O, TABLE,
        algorithms=ARTEMIS_DORE)
def complexity_convex_artemis_dore():
    r"""\propto \frac{(1 + \omega_{\rm up})(1 + \omega_{\rm dwn})}{\epsilon^2}"""
    return (1 + omega_up) * (1 + omega_dwn) / eps**2



r"""The example's results, declared through boundlab.theory's public API.

``repeat_second_moment`` [D]: for QSGD with m independent compressions per worker, homogeneous workers
(:math:`g_k^i=\nabla F(w_{k-1})+\xi_k^i`, independent, :math:`\mathbb E\|\xi\|^2=\sigma^2/b`) and an unbiased
uplink of variance factor omega,

.. math::
    \mathbb E\|\widehat g_k\|^2 \le \Big(1+\frac{\omega_{\rm up}}{mN}\Big)\mathbb E\|\nabla F(w_{k-1})\|^2
    + \Big(1+\frac{\omega_{\rm up}}m\Big)\frac{\sigma^2}{Nb},

with equality when the operator attains A1 (rand-k). Derivation: :math:`c_i=\frac1m\sum_j\mathcal C_j(g_i)` has
:math:`\mathbb E[c_i\mid g_i]=g_i` and :math:`\mathbb E[\|c_i-g_i\|^2\mid g_i]\le\frac\omega m\|g_i\|^2` (m independent
draws); the N workers are independent, so :math:`\mathbb E\|\widehat g\|^2=\mathbb E\|\bar g\|^2+\frac1{N^2}\sum_i
\mathbb E\|c_i-g_i\|^2`, with :math:`\mathbb E\|\bar g\|^2=\|\nabla F\|^2+\frac{\sigma^2}{Nb}` and
:math:`\mathbb E\|g_i\|^2=\|\nabla F\|^2+\frac{\sigma^2}b`.

``gamma_up_repeat`` [D]: the step bound of the algorithm, the uplink constraint with omega/m in place of omega.
"""
from __future__ import annotations

from boundlab.theory import Hypothesis, declare, declare_symbol, le, symbol

m = declare_symbol("m", "m", "independent compressions per worker and round (repeat-qsgd)", (0, 0), lower=1,
                   integer=True)
ghat2, grad2, omega_up = symbol("ghat2"), symbol("grad2_hat_prev"), symbol("omega_up")
N, b, sigma, L = symbol("N"), symbol("b"), symbol("sigma"), symbol("L")

REPEAT_SECOND_MOMENT = declare(
    "repeat_second_moment",
    le(ghat2, (1 + omega_up / (m * N)) * grad2 + (1 + omega_up / m) * sigma**2 / (N * b)),
    title="Second moment of the averaged uplink of repeat-qsgd", kind="bound", status="D",
    source="boundlab example plug-in (derivation in boundlab_example.results)",
    hypotheses=(Hypothesis("A1", "unbiased uplink with variance factor omega_up"),
                Hypothesis("homogeneous", "F_i = F and independent noise of variance sigma^2/b")),
    algorithms=("repeat-qsgd",), tight="equality for an uplink attaining A1 (rand-k, Bernoulli)",
    notes="m = 1 is boundlab's uplink_second_moment (THEORY.md 7.1).")

GAMMA_UP_REPEAT = declare(
    "gamma_up_repeat", 1 / (2 * L * (1 + omega_up / (m * N))), title="Step bound of repeat-qsgd",
    kind="definition", status="D", source="boundlab example plug-in",
    notes="gamma_max^up with omega_up / m: the m averaged draws divide the uplink variance by m.")

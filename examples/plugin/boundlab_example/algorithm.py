r"""``repeat-qsgd``: QSGD whose workers send m independent compressions of their gradient.

.. math::
    \widehat g_k = \frac1N\sum_{i=1}^N\frac1m\sum_{j=1}^m\mathcal C_j\big(g_k^i(w_{k-1})\big),\qquad
    w_k = w_{k-1}-\gamma\widehat g_k .

m times the uplink bits, for an uplink variance divided by m (``repeat_second_moment``).
"""
from __future__ import annotations

from boundlab.errors import BoundlabError
from boundlab.simulate import ALGORITHMS, Algorithm


@ALGORITHMS.register("repeat-qsgd")
class RepeatQSGD(Algorithm):
    r"""QSGD with m averaged compressions per worker:
    :math:`\widehat g_k=\frac1N\sum_i\frac1m\sum_j\mathcal C_j(g_k^i(w_{k-1}))`,
    :math:`w_k=w_{k-1}-\gamma\widehat g_k` (the model broadcast uncompressed)."""

    has_down = False
    step_bound = "gamma_up_repeat"             # boundlab_example.results
    bounds = ("repeat_second_moment",)          # what boundlab verify checks it against (boundlab_example.checks)

    def __init__(self, up: str = "identity", m: int = 2, p: float = 1.0) -> None:
        super().__init__(up=up, p=p)
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise BoundlabError(f"algorithm.m (compressions per worker) must be an integer >= 1, got {m!r}")
        self.m = m

    def constants(self):
        return {**super().constants(), "m": float(self.m)}   # the symbol m of the results

    def describe(self):
        return {**super().describe(), "m": self.m}

    def init_state(self, ctx, w0):
        return self._base_state(ctx, w0)

    def step(self, st, ctx, gamma, k):
        g = ctx.gradients(st.w)                                            # g_k^i(w_{k-1}), (R, N, d)
        c = sum(ctx.compress_up(g) for _ in range(self.m)) / self.m        # m independent draws, averaged
        st.ghat = ctx.aggregate(c)                                         # g_hat_k (recorded as ghat2)
        st.w -= gamma * st.ghat                                            # w_k = w_{k-1} - gamma g_hat_k
        ctx.send_exact_down(st.w)                                          # broadcast w_k (for the bit count)

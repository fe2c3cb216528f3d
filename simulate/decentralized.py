r"""Decentralized training (seed 001, Tang et al., NeurIPS 2018; THEORY-SEEDS.md §4): no server, n nodes on a graph
averaging with a mixing matrix W (:mod:`boundlab.simulate.graphs`), compression of what neighbours exchange.

Each algorithm is one class, its update rule in its docstring and in ``step``. The engine is the same as for the
centralised algorithms: node i's model :math:`x^{(i)}` is the i-th worker's model ``st.w_hat`` (R, n, d), and
``st.w`` is the network average :math:`\bar x`, so that the engine's records read: ``dist2`` =
:math:`\|\bar x_t-x^*\|^2`, ``excess_loss`` = :math:`f(\bar x_t)-f^*`, ``local_gap2`` =
:math:`\frac1n\|X_tQ\|_F^2` (consensus error per node), ``grad2_hat`` = mean of :math:`\|\nabla f(x^{(i)})\|^2`.
Each algorithm adds ``consensus2`` = :math:`\|X_tQ\|_F^2`, ``grad2_bar`` = :math:`\|\nabla f(\bar x_t)\|^2` and the
records its identities need.

Matrix form: :math:`X_t=[x_t^{(1)},\dots,x_t^{(n)}]`, mixing :math:`X\mapsto XW`; :math:`G_t` the stochastic
gradients, each node's at its own current model; compressors independent across nodes and iterations. Bits: a
node's message is counted once per neighbour (per edge). No step-size rule of the papers is sourced
(``boundlab theory --list``: unsourced placeholders): give ``gamma`` explicitly.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.algorithms import ALGORITHMS, Algorithm, State, ef_scale, sq_norm
from boundlab.simulate.graphs import Graph, make_graph


def mix(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    r""":math:`XW`: node j receives :math:`\sum_iW_{ij}x^{(i)}` ((R, n, d) -> (R, n, d)), as one (n, n) @ (n, d)
    BLAS product per run (the same shape whatever the batch: batch-invariant bits; 2-5x faster than einsum)."""
    return np.matmul(W.T, X)


class Decentralized(Algorithm):
    """Base of the decentralized algorithms: the graph, the node compressor, the records."""

    has_down = False
    step_bound: ClassVar[str | None] = None          # the papers' step sizes are unsourced
    no_step_reason: ClassVar[str] = "the papers' step-size rules are unsourced ('boundlab theory dcd_step_size')"
    uplink = "plain"
    #: does the algorithm need an operator of a class U(omega) (else any unbiased, or any at all for CHOCO)?
    needs_omega: ClassVar[bool] = True
    biased_ok: ClassVar[bool] = False
    extra_records: ClassVar[tuple[str, ...]] = ("consensus2", "grad2_bar")
    zero_step_ok: ClassVar[bool] = True               # gamma = 0: pure (compressed) gossip

    def __init__(self, compressor: str = "identity", graph: str = "ring", weights: str = "metropolis",
                 init_spread: float = 0.0) -> None:
        try:
            super().__init__(up=compressor, p=1.0)
        except BoundlabError as err:
            raise BoundlabError(str(err).replace("algorithm.up", "algorithm.compressor")) from None
        if not isinstance(graph, str) or not isinstance(weights, str):
            raise BoundlabError(f"algorithm.graph and algorithm.weights must be strings, got {graph!r}, {weights!r}")
        if isinstance(init_spread, bool) or not isinstance(init_spread, (int, float)) or not np.isfinite(init_spread):
            raise BoundlabError(f"algorithm.init_spread must be a finite number, got {init_spread!r}")
        self.init_spread = float(init_spread)
        self.graph_spec, self.weights = graph, weights
        self.graph: Graph | None = None

    def setup(self, problem):
        d = problem.d
        try:
            self.up.check_dimension(d)
        except BoundlabError as err:
            raise BoundlabError(f"algorithm.compressor: {err}") from None
        if not self.up.unbiased and not self.biased_ok:
            raise BoundlabError(f"algorithm.compressor: '{self.up.spec}' is biased; '{self.name}' needs an unbiased "
                                "operator (choco-sgd takes biased ones)")
        relative = getattr(self.up, "relative", True)
        if self.needs_omega and self.up.unbiased and not relative:
            raise BoundlabError(f"algorithm.compressor: '{self.up.spec}' has no omega; '{self.name}' needs an "
                                "operator of a class U(omega)")
        self.omega_up = self.up.omega(d) if self.up.unbiased and relative else None
        self.omega_dwn = 0.0
        self.graph = make_graph(self.graph_spec, problem.N, self.weights)
        self.W = self.graph.W
        self.fanout = self.graph.degrees.astype(float)
        self.alpha_up = None

    def constants(self):
        out = {"N": float(self.graph.n), "rho_contraction": self.graph.rho_contraction,
               "spectral_gap": self.graph.spectral_gap, "beta_mixing": self.graph.beta}
        if self.omega_up is not None:
            out["omega"] = out["omega_up"] = float(self.omega_up)
        if hasattr(self.up, "error_variance"):
            out["dither_step"] = self.up.step
        return out

    def describe(self):
        return {"name": self.name, "compressor": self.up.spec, "omega": self.omega_up, "weights": self.weights,
                "init_spread": self.init_spread,
                **self.graph.describe(), "step_bound": None, "bounds": list(self.bounds)}

    # -- shared pieces ---------------------------------------------------------------------------
    def initial_models(self, problem) -> np.ndarray:
        """(n, d): x_0^(i) = w0 + init_spread (b_i - b_bar) (the problem's centres), so that with init_spread = 0
        every node starts at w0 (consensus) and otherwise off consensus, deterministically."""
        X0 = np.tile(problem.w0, (problem.N, 1))
        if self.init_spread:
            centres = getattr(problem, "centres", None)
            if centres is None:
                raise BoundlabError("algorithm.init_spread needs a quadratic problem (its centres b_i)")
            X0 = X0 + self.init_spread * (centres - centres.mean(axis=0))
        return X0

    def init_state(self, ctx, w0):
        X = np.broadcast_to(self.initial_models(ctx.problem), (ctx.R, ctx.N, ctx.d)).copy()
        return State(w=X.mean(axis=1), w_hat=X, upsilon=None)

    def send(self, Z: np.ndarray, ctx) -> np.ndarray:
        """Every node's compressed message C(z^(i)), counted once per neighbour."""
        return ctx.compress_up(Z, fanout=self.fanout)

    def finish(self, st: State, X: np.ndarray) -> None:
        st.w_hat = X
        st.w = X.mean(axis=1)                          # the network average x_bar_t

    def record_extra(self, st, ctx):
        X, w = st.w_hat, st.w                      # (functions: each computed only when recorded)
        return {"consensus2": lambda: sq_norm(X - w[:, None, :]).sum(axis=1),      # ||X_t Q||_F^2
                "grad2_bar": lambda: sq_norm(ctx.problem.full_gradient(w))}        # ||grad f(x_bar_t)||^2


@ALGORITHMS.register("d-psgd", aliases=("dpsgd",))
class DPSGD(Decentralized):
    r"""D-PSGD, no compression. Two orders exist in the literature; both are here (they differ by
    :math:`\gamma G_t(I-W)`):

    * ``order = "gossip-gradient"``: :math:`X_{t+1}=X_tW-\gamma G_t` (DCD-PSGD with the identity);
    * ``order = "gradient-gossip"``: :math:`X_{t+1}=(X_t-\gamma G_t)W` (CHOCO's ``plain``).

    Messages: 32-bit floats, once per edge and direction."""

    bounds = ("dcd_moments",)

    def __init__(self, graph: str = "ring", weights: str = "metropolis", order: str = "gossip-gradient",
                 init_spread: float = 0.0) -> None:
        super().__init__("identity", graph, weights, init_spread)
        if order not in ("gossip-gradient", "gradient-gossip"):
            raise BoundlabError(f"algorithm.order must be 'gossip-gradient' or 'gradient-gossip', got {order!r}")
        self.order = order

    def describe(self):
        return {**super().describe(), "order": self.order}

    def step(self, st, ctx, gamma, k):
        X = st.w_hat
        G = ctx.gradients(X)                                      # g_t^(i) at x_t^(i)
        if self.order == "gossip-gradient":
            X = mix(self.send(X, ctx), self.W) - gamma * G        # X_{t+1} = X_t W - gamma G_t
        else:
            X = mix(self.send(X - gamma * G, ctx), self.W)        # X_{t+1} = (X_t - gamma G_t) W
        self.finish(st, X)


@ALGORITHMS.register("naive-gossip", aliases=("naive-compression",))
class NaiveGossip(Decentralized):
    r"""Naive compression of the exchanged models (THEORY-SEEDS.md 4.2, one natural reading of the scheme seed 001
    says fails): every node broadcasts one compressed copy of its model and mixes the received copies (its own
    compressed too), :math:`X_{t+1}=\mathcal C(X_t)W-\gamma G_t`, :math:`G_t` at the true models.
    Records ``avg_error2`` = :math:`\|\frac1n\sum_je_t^{(j)}\|^2` and ``models2`` = :math:`\sum_j\|x_t^{(j)}\|^2` of
    the step that led to the checkpoint (D3)."""

    bounds = ("naive_avg_error", "naive_plateau", "dcd_moments")
    extra_records = ("consensus2", "grad2_bar", "avg_error2", "models2")

    def step(self, st, ctx, gamma, k):
        X = st.w_hat
        G = ctx.gradients(X)
        CX = self.send(X, ctx)                                    # C(x_t^(j)), one draw per node
        st.sent = (X, CX)                                         # for the records (computed at checkpoints only)
        self.finish(st, mix(CX, self.W) - gamma * G)              # X_{t+1} = C(X_t) W - gamma G_t

    def record_extra(self, st, ctx):
        nan = np.full(ctx.R, np.nan)
        out = {**super().record_extra(st, ctx), "avg_error2": nan, "models2": nan}
        if hasattr(st, "sent"):
            X, CX = st.sent
            out["avg_error2"] = lambda: sq_norm((CX - X).mean(axis=1))   # ||(1/n) sum_j e_t^(j)||^2
            out["models2"] = lambda: sq_norm(X).sum(axis=1)              # sum_j ||x_t^(j)||^2
        return out


@ALGORITHMS.register("dcd-psgd", aliases=("dcd",))
class DCDPSGD(Decentralized):
    r"""DCD-PSGD, difference compression (THEORY-SEEDS.md 4.2 [S2]). Node i keeps replicas :math:`\hat x^{(j)}` of
    its neighbours' models (``st.replicas``: one per node, since every holder adds the same messages). Iteration t:

    1. :math:`g_t^{(i)}=\nabla F_i(x_t^{(i)};\xi_t^{(i)})`;
    2. :math:`x_{t+\frac12}^{(i)}=\sum_jW_{ij}\hat x_t^{(j)}-\gamma g_t^{(i)}`;
    3. :math:`z_t^{(i)}=x_{t+\frac12}^{(i)}-x_t^{(i)}`;
    4. :math:`x_{t+1}^{(i)}=x_t^{(i)}+\mathcal C(z_t^{(i)})`, sent to the neighbours;
    5. every holder: :math:`\hat x_{t+1}^{(i)}=\hat x_t^{(i)}+\mathcal C(z_t^{(i)})`.

    Matrix form: :math:`Z_t=\hat X_tW-\gamma G_t-X_t`, :math:`X_{t+1}=X_t+\mathcal C(Z_t)`. Records:
    ``replica_gap2`` = :math:`\max_j\|\hat x^{(j)}-x^{(j)}\|^2` (D1: 0), ``update2`` = :math:`\|Z_t\|_F^2` and
    ``update_error2`` = :math:`\|\mathcal C(Z_t)-Z_t\|_F^2` of the step that led to the checkpoint (D2)."""

    bounds = ("dcd_replicas_exact", "dcd_update_error", "dcd_moments", "gossip_sufficient", "dcd_ecd_rate")
    extra_records = ("consensus2", "grad2_bar", "replica_gap2", "update2", "update_error2")

    def init_state(self, ctx, w0):
        st = super().init_state(ctx, w0)
        st.replicas = st.w_hat.copy()                              # x_hat_0^(j) = x_0^(j)
        return st

    def step(self, st, ctx, gamma, k):
        X = st.w_hat
        G = ctx.gradients(X)                                      # 1.
        Z = mix(st.replicas, self.W) - gamma * G - X              # 2.-3. z_t = sum_j W_ij x_hat_j - gamma g - x_t
        C = self.send(Z, ctx)                                     # 4. C(z_t^(i))
        st.sent = (Z, C)                                          # for the records (computed at checkpoints only)
        st.replicas = st.replicas + C                             # 5. the holders' replicas
        self.finish(st, X + C)                                    # 4. x_{t+1} = x_t + C(z_t)

    def record_extra(self, st, ctx):
        nan = np.full(ctx.R, np.nan)
        replicas, X = st.replicas, st.w_hat
        out = {**super().record_extra(st, ctx), "replica_gap2": lambda: sq_norm(replicas - X).max(axis=1),
               "update2": nan, "update_error2": nan}
        if hasattr(st, "sent"):
            Z, C = st.sent
            out["update2"], out["update_error2"] = lambda: sq_norm(Z).sum(axis=1), lambda: sq_norm(C - Z).sum(axis=1)
        return out


@ALGORITHMS.register("ecd-psgd", aliases=("ecd",))
class ECDPSGD(Decentralized):
    r"""ECD-PSGD, extrapolation compression (THEORY-SEEDS.md 4.2 [S2]). Node i keeps estimates :math:`\hat y^{(j)}`
    of its neighbours' models, :math:`\hat y_1=x_1`. For t = 1, 2, ... (t is the engine's iteration k):

    1. :math:`x_{t+1}^{(i)}=\sum_jW_{ij}\hat y_t^{(j)}-\gamma\nabla F_i(x_t^{(i)};\xi_t^{(i)})`;
    2. :math:`z_{t+1}^{(i)}=(1-\frac t2)x_t^{(i)}+\frac t2x_{t+1}^{(i)}` (extrapolation);
    3. send :math:`\mathcal C(z_{t+1}^{(i)})`;
    4. every holder: :math:`\hat y_{t+1}^{(i)}=(1-\frac2t)\hat y_t^{(i)}+\frac2t\mathcal C(z_{t+1}^{(i)})`.

    At t = 1 the weight 2/t = 2 doubles the first message; at t = 2 the estimate is reset. The node's own estimate is
    included in the mixing sum (CHOCO's convex code). Takes any unbiased operator, the subtractive dither included
    (an error variance is enough). Record ``estimate_error2`` = mean over nodes of :math:`\|\hat y^{(i)}-x^{(i)}\|^2`
    (D6: after k iterations it is :math:`r_T` with T = k + 1)."""

    needs_omega = False
    bounds = ("ecd_estimate_error", "dcd_ecd_rate")
    extra_records = ("consensus2", "grad2_bar", "estimate_error2")

    def init_state(self, ctx, w0):
        st = super().init_state(ctx, w0)
        st.estimates = st.w_hat.copy()                             # y_hat_1 = x_1
        return st

    def step(self, st, ctx, gamma, k):
        t, X = float(k), st.w_hat
        G = ctx.gradients(X)
        X_new = mix(st.estimates, self.W) - gamma * G             # 1.
        Zc = self.send((1 - t / 2) * X + (t / 2) * X_new, ctx)    # 2.-3. C(z_{t+1})
        st.estimates = (1 - 2 / t) * st.estimates + (2 / t) * Zc  # 4.
        self.finish(st, X_new)

    def record_extra(self, st, ctx):
        estimates, X = st.estimates, st.w_hat
        return {**super().record_extra(st, ctx), "estimate_error2": lambda: sq_norm(estimates - X).mean(axis=1)}


@ALGORITHMS.register("choco-sgd", aliases=("choco",))
class ChocoSGD(Decentralized):
    r"""CHOCO-SGD (Koloskova, Stich, Jaggi, ICML 2019; KLSJ20 Algorithm 1 [S2]), the reference a user would pick
    instead: the modified gossip preserves the network average exactly under compression, and biased
    (contraction-class) operators are allowed. Node i keeps public copies :math:`\hat x^{(j)}`:

    1. :math:`x_{t+\frac12}^{(i)}=x_t^{(i)}-\gamma g_t^{(i)}`;
    2. :math:`q_t^{(i)}=\mathcal C(x_{t+\frac12}^{(i)}-\hat x_t^{(i)})`, sent; everyone
       :math:`\hat x_{t+1}^{(j)}=\hat x_t^{(j)}+q_t^{(j)}`;
    3. :math:`x_{t+1}^{(i)}=x_{t+\frac12}^{(i)}+\gamma_c\sum_jW_{ij}(\hat x_{t+1}^{(j)}-\hat x_{t+1}^{(i)})`.

    ``consensus_step`` is :math:`\gamma_c` in (0, 1]. CHOCO needs a contraction
    (:math:`\mathbb E\|\mathcal C(x)-x\|^2\le(1-\delta)\|x\|^2`): an unbiased operator is scaled by
    :math:`1/(1+\omega)` (:func:`~boundlab.simulate.algorithms.ef_scale`, :math:`\delta=1/(1+\omega)`), as in
    error feedback; a biased one (top-k) is used as it is."""

    needs_omega = False
    biased_ok = True

    def __init__(self, compressor: str = "identity", graph: str = "ring", weights: str = "metropolis",
                 init_spread: float = 0.0, consensus_step: float = 1.0) -> None:
        super().__init__(compressor, graph, weights, init_spread)
        if isinstance(consensus_step, bool) or not isinstance(consensus_step, (int, float)) \
                or not 0 < consensus_step <= 1:
            raise BoundlabError(f"algorithm.consensus_step must be in (0, 1], got {consensus_step!r}")
        self.consensus_step = float(consensus_step)

    def describe(self):
        return {**super().describe(), "consensus_step": self.consensus_step}

    def init_state(self, ctx, w0):
        st = super().init_state(ctx, w0)
        st.copies = np.zeros_like(st.w_hat)                        # x_hat_0 = 0 (KLSJ20)
        self.scale = ef_scale(self.up, ctx.d) if getattr(self.up, "relative", True) else 1.0
        return st

    def step(self, st, ctx, gamma, k):
        X = st.w_hat
        half = X - gamma * ctx.gradients(X)                        # 1.
        q = self.send(half - st.copies, ctx)
        st.copies = st.copies + (q if self.scale == 1.0 else self.scale * q)   # 2. (a contraction: ef_scale)
        self.finish(st, half + self.consensus_step * (mix(st.copies, self.W) - st.copies))   # 3.

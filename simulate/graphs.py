r"""Communication graphs and their mixing matrices, for decentralized training (THEORY-SEEDS.md §1-§2).

A mixing matrix :math:`W` (n x n) is symmetric, doubly stochastic, non-negative, with :math:`W_{ij}>0` only on the
edges and the diagonal, and its graph connected. Eigenvalues :math:`1=\lambda_1\ge\lambda_2\ge\dots\ge\lambda_n>-1`.
Three spectral quantities, **named apart** (one paper's "rho" is another's one minus it):

==========================  ===========================================================  =======================
``rho_contraction``         :math:`\rho_{\rm c}=\max(|\lambda_2|,|\lambda_n|)`            gossip contracts by it
``spectral_gap``            :math:`\delta_{\rm gap}=1-\rho_{\rm c}`                       KLSJ20's "rho"
``beta``                    :math:`\beta=\|I-W\|_2=1-\lambda_n`                           KLSJ20's beta
==========================  ===========================================================  =======================

Graphs (a spec ``name`` or ``name:key=value``, n from the problem's number of workers): ``ring`` (n >= 3),
``torus`` (n = m^2, m >= 3: for m = 2 the four neighbour slots fall on two nodes), ``complete``, ``star``,
``erdos-renyi:p=0.3,seed=0`` (redrawn until connected, at most 100 times), ``geometric:radius=0.5,seed=0`` (points
uniform in the unit square), ``file:PATH`` (a user's W: n rows of n numbers, validated). Weights: ``metropolis``
(Metropolis-Hastings, :math:`W_{ij}=1/(1+\max(\deg i,\deg j))` on edges) or ``uniform``
(:math:`1/(1+\Delta)` on every edge, :math:`\Delta` the largest degree; the ring's 1/3 and the torus's 1/5).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.simulate.registry import Registry, parse_spec

#: tolerance of the validation of a user's W (row sums, symmetry): rounding of a matrix typed with ~15 digits
W_TOL = 1e-9


@dataclass(frozen=True)
class Graph:
    """A connected graph with its mixing matrix ``W`` and its exact spectrum."""

    name: str
    W: np.ndarray

    @property
    def n(self) -> int:
        return self.W.shape[0]

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of W, largest first."""
        return np.sort(np.linalg.eigvalsh(self.W))[::-1]

    @property
    def rho_contraction(self) -> float:
        lam = self.eigenvalues
        return float(max(abs(lam[1]), abs(lam[-1]))) if self.n > 1 else 0.0

    @property
    def spectral_gap(self) -> float:
        return 1.0 - self.rho_contraction

    @property
    def beta(self) -> float:
        return float(1.0 - self.eigenvalues[-1]) if self.n > 1 else 0.0

    @property
    def degrees(self) -> np.ndarray:
        """Neighbours of each node (self excluded): the copies of a node's message sent per round."""
        adj = (self.W > 0) & ~np.eye(self.n, dtype=bool)
        return adj.sum(axis=1)

    def describe(self) -> dict:
        return {"graph": self.name, "n": self.n, "rho_contraction": self.rho_contraction,
                "spectral_gap": self.spectral_gap, "beta": self.beta, "edges": int(self.degrees.sum() // 2)}


def validate(W: np.ndarray, what: str = "graph") -> np.ndarray:
    """Check that W is a mixing matrix of a connected graph; one line naming the first failure."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
        raise BoundlabError(f"{what}: W must be a square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)) or np.any(W < -W_TOL):
        raise BoundlabError(f"{what}: W must have finite, non-negative entries")
    if not np.allclose(W, W.T, atol=W_TOL):
        raise BoundlabError(f"{what}: W must be symmetric (largest asymmetry {np.max(np.abs(W - W.T)):.3g})")
    if not np.allclose(W.sum(axis=1), 1.0, atol=W_TOL):
        raise BoundlabError(f"{what}: W must be doubly stochastic (row sums in [{W.sum(axis=1).min():.6g}, "
                            f"{W.sum(axis=1).max():.6g}])")
    n = W.shape[0]
    reach = np.eye(n, dtype=bool)[0]
    adj = W > W_TOL
    for _ in range(n):
        reach = reach | adj[reach].any(axis=0)
    if not reach.all():
        raise BoundlabError(f"{what}: the graph of W is not connected ({int(reach.sum())} of {n} nodes reachable "
                            "from node 0)")
    lam = np.linalg.eigvalsh(0.5 * (W + W.T))
    if lam.min() <= -1 + 1e-12:
        raise BoundlabError(f"{what}: W has an eigenvalue -1 (a bipartite graph without self-weights): gossip "
                            "does not converge")
    return 0.5 * (W + W.T)


def weights(adj: np.ndarray, kind: str) -> np.ndarray:
    """The mixing matrix of adjacency ``adj`` (no self-loops) with ``metropolis`` or ``uniform`` weights."""
    adj = adj.astype(bool) & ~np.eye(adj.shape[0], dtype=bool)
    deg = adj.sum(axis=1)
    if kind == "metropolis":
        W = np.where(adj, 1.0 / (1.0 + np.maximum(deg[:, None], deg[None, :])), 0.0)
    elif kind == "uniform":
        W = np.where(adj, 1.0 / (1.0 + deg.max()), 0.0)
    else:
        raise BoundlabError(f"algorithm.weights must be 'metropolis' or 'uniform', got {kind!r}")
    W[np.diag_indices_from(W)] = 1.0 - W.sum(axis=1)
    return W


GRAPHS: Registry = Registry("graph")


def _ring(n: int) -> np.ndarray:
    if n < 3:
        raise BoundlabError(f"graph 'ring' needs n >= 3 nodes (problem.N), got {n}")
    i = np.arange(n)
    adj = np.zeros((n, n), dtype=bool)
    adj[i, (i + 1) % n] = adj[(i + 1) % n, i] = True
    return adj


@GRAPHS.register("ring", aliases=("cycle",))
def ring(n: int) -> np.ndarray:
    """Cycle C_n."""
    return _ring(n)


@GRAPHS.register("torus")
def torus(n: int) -> np.ndarray:
    """C_m x C_m, n = m^2, m >= 3."""
    m = int(round(np.sqrt(n)))
    if m * m != n or m < 3:
        raise BoundlabError(f"graph 'torus' needs n = m^2 nodes with m >= 3 (9, 16, 25...), got n = {n}")
    c = _ring(m)
    return np.kron(c, np.eye(m, dtype=bool)) | np.kron(np.eye(m, dtype=bool), c)


@GRAPHS.register("complete")
def complete(n: int) -> np.ndarray:
    return ~np.eye(n, dtype=bool)


@GRAPHS.register("star")
def star(n: int) -> np.ndarray:
    """Node 0 linked to every other."""
    if n < 2:
        raise BoundlabError(f"graph 'star' needs n >= 2 nodes, got {n}")
    adj = np.zeros((n, n), dtype=bool)
    adj[0, 1:] = adj[1:, 0] = True
    return adj


def _connected_draw(n: int, draw, what: str) -> np.ndarray:
    for _ in range(100):
        adj = draw()
        adj = np.triu(adj, 1)
        adj = adj | adj.T
        try:
            validate(weights(adj, "metropolis"), what)
            return adj
        except BoundlabError:
            continue
    raise BoundlabError(f"{what}: no connected graph in 100 draws; raise the edge probability or radius")


@GRAPHS.register("erdos-renyi", aliases=("er",))
def erdos_renyi(n: int, p: float = 0.5, seed: int = 0) -> np.ndarray:
    """Each edge w.p. p, independently; redrawn until connected."""
    if not 0 < p <= 1:
        raise BoundlabError(f"graph 'erdos-renyi': p must be in (0, 1], got {p!r}")
    gen = np.random.default_rng([int(seed), 13])
    return _connected_draw(n, lambda: gen.random((n, n)) < p, "graph 'erdos-renyi'")


@GRAPHS.register("geometric")
def geometric(n: int, radius: float = 0.5, seed: int = 0) -> np.ndarray:
    """n points uniform in the unit square, linked when closer than ``radius``; redrawn until connected."""
    if not radius > 0:
        raise BoundlabError(f"graph 'geometric': radius must be > 0, got {radius!r}")
    gen = np.random.default_rng([int(seed), 17])

    def draw():
        pts = gen.random((n, 2))
        return np.linalg.norm(pts[:, None] - pts[None], axis=-1) < radius
    return _connected_draw(n, draw, "graph 'geometric'")


def make_graph(spec: str, n: int, kind: str = "metropolis") -> Graph:
    """A :class:`Graph` on ``n`` nodes from a spec (see the module docstring) with ``kind`` weights."""
    if isinstance(spec, str) and spec.startswith("file:"):
        path = spec[5:]
        try:
            W = np.loadtxt(path, ndmin=2)
        except OSError as err:
            raise BoundlabError(f"algorithm.graph: cannot read {path}: {err.strerror or err}") from None
        except ValueError as err:
            raise BoundlabError(f"algorithm.graph: {path} is not a matrix of numbers ({err})") from None
        W = validate(W, f"algorithm.graph {path}")
        if W.shape[0] != n:
            raise BoundlabError(f"algorithm.graph: {path} has {W.shape[0]} nodes but problem.N = {n}")
        return Graph(spec, W)
    name, params = parse_spec(spec, "algorithm.graph")
    try:
        adj = GRAPHS.create(name, {"n": n, **params}, "algorithm.graph")
    except BoundlabError as err:
        msg = str(err)
        raise BoundlabError(msg if msg.startswith("algorithm.graph") else f"algorithm.graph: {msg}") from None
    W = validate(weights(adj, kind), f"algorithm.graph '{spec}'")
    return Graph(spec, W)

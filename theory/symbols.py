"""Every symbol the encoded results use, with its meaning, scaling dimension and allowed range.

Dimensions. A bound is meaningful only if it survives a change of units. Two independent
scalings are enough for everything in the paper: rescaling the parameter space,
``w -> lambda_w * w``, and rescaling the objective, ``F -> lambda_F * F``. A symbol's dimension
is the pair of exponents ``(p_w, p_F)`` such that it scales like ``lambda_w**p_w * lambda_F**p_F``:

========================  ===========  =================================================
quantity                  (p_w, p_F)   why
========================  ===========  =================================================
w, ||w - w_*||            (1, 0)       definition
F - F_*                   (0, 1)       definition
grad F                    (-1, 1)      F / w
L, mu, L_tilde            (-2, 1)      grad F / w
gamma                     (2, -1)      w / grad F  (so that gamma * L is a pure number)
sigma                     (-1, 1)      E||g - grad F||^2 <= sigma^2 / b
B                         (-1, 1)      ||grad F_i(w_*)|| <= B
omega, N, b, K, k, ...    (0, 0)       pure numbers
========================  ===========  =================================================

Ranges. Every numeric input is validated against its range before any evaluation; the
error names the parameter and the range (see :func:`validate`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp

from boundlab.errors import BoundlabError

Kind = Literal["constant", "measured", "macro"]


@dataclass(frozen=True)
class SymbolInfo:
    """A symbol of the theory: the sympy symbol, how to print it, what it means, its units."""

    name: str  # key used on the command line and in Python keyword arguments
    latex: str
    description: str
    dim: tuple[int, int]  # (p_w, p_F): see the module docstring
    kind: Kind = "constant"
    lower: float | None = None  # allowed range [lower, upper] (open ends set below)
    lower_open: bool = False
    upper: float | None = None
    upper_open: bool = False
    integer: bool = False

    @property
    def symbol(self) -> sp.Symbol:
        return _SYMBOLS[self.name]

    def range_text(self) -> str:
        lo = "" if self.lower is None else f"{_fmt(self.lower)} {'<' if self.lower_open else '<='} "
        hi = "" if self.upper is None else f" {'<' if self.upper_open else '<='} {_fmt(self.upper)}"
        kind = "an integer" if self.integer else "a number"
        if not lo and not hi:
            return f"{kind}"
        return f"{kind} with {lo}{self.name}{hi}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


_INFOS: list[SymbolInfo] = [
    # --- problem and algorithm constants -------------------------------------------------
    SymbolInfo("L", "L", "smoothness constant of F (A3)", (-2, 1), lower=0, lower_open=True),
    SymbolInfo("mu", r"\mu", "strong-convexity constant of F (A4); 0 for merely convex", (-2, 1), lower=0),
    SymbolInfo("sigma", r"\sigma", "noise level: E||g - grad F||^2 <= sigma^2 / b (A5)", (-1, 1), lower=0),
    SymbolInfo("B", "B", "heterogeneity: ||grad F_i(w_*)|| <= B (A2)", (-1, 1), lower=0),
    SymbolInfo("b", "b", "mini-batch size", (0, 0), lower=1),
    SymbolInfo("N", "N", "number of workers", (0, 0), lower=1, integer=True),
    SymbolInfo("omega_up", r"\omega_{\rm up}", "variance factor of the uplink compressor (A1)", (0, 0), lower=0),
    SymbolInfo("omega_dwn", r"\omega_{\rm dwn}", "variance factor of the downlink compressor (A1)", (0, 0), lower=0),
    SymbolInfo("omega", r"\omega", "variance factor of a compressor (A1)", (0, 0), lower=0),
    SymbolInfo("gamma", r"\gamma", "step size", (2, -1), lower=0, lower_open=True),
    SymbolInfo("alpha_dwn", r"\alpha_{\rm dwn}", "downlink memory rate", (0, 0), lower=0, lower_open=True),
    SymbolInfo("k", "k", "iteration index (or, for rand-k / top-k, the number of kept coordinates)",
               (0, 0), lower=0, integer=True),
    SymbolInfo("K", "K", "number of iterations", (0, 0), lower=1, integer=True),
    SymbolInfo("G", "G", "number of groups in Rand-MCM-G", (0, 0), lower=1, integer=True),
    SymbolInfo("C", r"\mathbf{C}", "randomisation constant of Theorem 9: N (Rand-MCM), G (Rand-MCM-G), 1 (MCM)",
               (0, 0), lower=1),
    SymbolInfo("d", "d", "dimension of the parameter (bucket size for quantization)", (0, 0), lower=1, integer=True),
    SymbolInfo("s", "s", "number of quantization levels", (0, 0), lower=1, integer=True),
    SymbolInfo("p", "p", "keep probability (Bernoulli sparsification)", (0, 0), lower=0, lower_open=True, upper=1),
    SymbolInfo("eps", r"\epsilon", "target accuracy on E[F - F_*]", (0, 1), lower=0, lower_open=True),
    SymbolInfo("x_norm2", r"\|x\|^2", "squared norm of a compressor's input", (0, 0), lower=0),
    # --- measured quantities (expectations a simulation estimates) ------------------------
    SymbolInfo("dist2", r"\mathbb{E}\|w_k - w_*\|^2", "distance to the optimum at step k", (2, 0), "measured", lower=0),
    SymbolInfo("dist2_prev", r"\mathbb{E}\|w_{k-1} - w_*\|^2", "distance to the optimum at step k-1", (2, 0),
               "measured", lower=0),
    SymbolInfo("dist2_0", r"\|w_0 - w_*\|^2", "initial distance to the optimum", (2, 0), "measured", lower=0),
    SymbolInfo("upsilon", r"\mathbb{E}\Upsilon_k", "E||w_k - H_{k-1}||^2 (MCM's memory gap) at step k", (2, 0),
               "measured", lower=0),
    SymbolInfo("upsilon_prev", r"\mathbb{E}\Upsilon_{k-1}", "E||w_{k-1} - H_{k-2}||^2 at step k-1", (2, 0),
               "measured", lower=0),
    SymbolInfo("local_gap2", r"\mathbb{E}\|w_k - \widehat w_k\|^2", "gap between central and local model",
               (2, 0), "measured", lower=0),
    SymbolInfo("grad2_hat_prev", r"\mathbb{E}\|\nabla F(\widehat w_{k-1})\|^2",
               "squared gradient norm at the local model of step k-1", (-2, 2), "measured", lower=0),
    SymbolInfo("grad2_hat_prev2", r"\mathbb{E}\|\nabla F(\widehat w_{k-2})\|^2",
               "squared gradient norm at the local model of step k-2", (-2, 2), "measured", lower=0),
    SymbolInfo("excess_loss_prev", r"\mathbb{E}[F(w_{k-1}) - F_*]", "excess loss of the central model, step k-1",
               (0, 1), "measured", lower=0),
    SymbolInfo("excess_loss_hat_prev", r"\mathbb{E}[F(\widehat w_{k-1}) - F_*]",
               "excess loss of the local model, step k-1", (0, 1), "measured", lower=0),
    SymbolInfo("excess_loss_avg", r"\mathbb{E}[F(\bar w_k) - F_*]", "excess loss of the averaged iterate",
               (0, 1), "measured", lower=0),
    SymbolInfo("ghat2", r"\mathbb{E}\|\widehat g_k\|^2", "second moment of the aggregated uplink message",
               (-2, 2), "measured", lower=0),
    SymbolInfo("zeta2", r"\mathbb{E}\|\widehat g_k - \nabla F(w_{k-1})\|^2",
               "second moment of the gradient noise around the central model's gradient", (-2, 2), "measured",
               lower=0),
    SymbolInfo("contracted_dist2", r"\mathbb{E}\|(I - \gamma A)(w_{k-1} - w_*)\|^2",
               "distance after a noiseless gradient step from w_{k-1} (quadratic F)", (2, 0), "measured", lower=0),
    SymbolInfo("down_noise2", r"\mathbb{E}\|\frac1N\sum_i\nabla F(\widehat w^{i}_{k-1}) - \nabla F(w_{k-1})\|^2",
               "downlink-induced gradient noise D_C", (-2, 2), "measured", lower=0),
    SymbolInfo("memory_residual2", r"\mathbb{E}\|w_k - H_k\|^2",
               "memory residual ||Omega_k - alpha_dwn C(Omega_k)||^2", (2, 0), "measured", lower=0),
    SymbolInfo("local_bias", r"\mathbb{E}\langle\widehat w_k - w_k, \Omega_k\rangle",
               "correlation of the local model's error with Omega_k (zero for an unbiased downlink)", (2, 0),
               "measured"),
    SymbolInfo("compression_error2", r"\mathbb{E}\|\mathcal{C}(x) - x\|^2", "variance of a compressor at x",
               (0, 0), "measured", lower=0),
    SymbolInfo("noise2", r"\mathbb{E}\|g_k^i(w) - \nabla F(w)\|^2", "variance of a stochastic gradient",
               (-2, 2), "measured", lower=0),
    SymbolInfo("grad_i_opt2", r"\|\nabla F_i(w_*)\|^2", "squared local gradient norm at the optimum",
               (-2, 2), "measured", lower=0),
    SymbolInfo("grad_diff", r"\|\nabla F(w_1) - \nabla F(w_2)\|", "gradient difference", (-1, 1), "measured",
               lower=0),
    SymbolInfo("w_diff", r"\|w_1 - w_2\|", "parameter difference", (1, 0), "measured", lower=0),
    SymbolInfo("F_gap", r"F(w_2) - F(w_1) - \langle\nabla F(w_1), w_2 - w_1\rangle", "Bregman divergence of F",
               (0, 1), "measured"),
    # --- decentralized training (THEORY-SEEDS.md §1, §4): graph spectra named apart ----------------
    SymbolInfo("rho_contraction", r"\rho_{\rm c}", "max(|lambda_2(W)|, |lambda_n(W)|): gossip's contraction factor",
               (0, 0), lower=0, upper=1),
    SymbolInfo("spectral_gap", r"\delta_{\rm gap}", "1 - rho_contraction (KLSJ20's rho)", (0, 0), lower=0, upper=1),
    SymbolInfo("beta_mixing", r"\beta", "||I - W||_2 = 1 - lambda_n(W) (KLSJ20's beta)", (0, 0), lower=0, upper=2),
    SymbolInfo("dither_step", r"\delta", "step of the subtractive dithered quantizer", (1, 0), lower=0,
               lower_open=True),
    SymbolInfo("consensus2", r"\|X_tQ\|_F^2", "consensus error: sum_i ||x_i - x_bar||^2", (2, 0), "measured",
               lower=0),
    SymbolInfo("consensus2_exact", r"\mathbb E\|X_tQ\|_F^2", "consensus error from the exact moment recursion (D4)",
               (2, 0), "measured", lower=0),
    SymbolInfo("dist2_exact", r"\mathbb E\|\bar x_t-x^*\|^2", "distance of the average from the exact recursion "
               "(D4)", (2, 0), "measured", lower=0),
    SymbolInfo("replica_gap2", r"\max_j\|\hat x^{(j)}-x^{(j)}\|^2", "DCD's replica gap (D1)", (2, 0), "measured",
               lower=0),
    SymbolInfo("update2", r"\|Z_t\|_F^2", "DCD's update (what it compresses)", (2, 0), "measured", lower=0),
    SymbolInfo("update_error2", r"\|\mathcal C(Z_t)-Z_t\|_F^2", "DCD's compression error of the update (D2)",
               (2, 0), "measured", lower=0),
    SymbolInfo("estimate_error2", r"\|\hat y_T-x_T\|^2", "ECD's estimate error, mean over nodes (D6)", (2, 0),
               "measured", lower=0),
    SymbolInfo("avg_error2", r"\|\frac1n\sum_je_t^{(j)}\|^2", "naive compression's error of the average (D3)",
               (2, 0), "measured", lower=0),
    SymbolInfo("models2", r"\sum_j\|x_t^{(j)}\|^2", "sum of the nodes' squared models", (2, 0), "measured", lower=0),
    SymbolInfo("excess_loss", r"\mathbb{E}[F(x_k) - F_*]", "excess loss at step k", (0, 1), "measured", lower=0),
    SymbolInfo("excess_loss_0", r"F(x_0) - F_*", "excess loss at the start", (0, 1), "measured", lower=0),
    SymbolInfo("excess_loss_exact", r"\mathbb{E}[F(x_k) - F_*]", "excess loss from an exact moment recursion",
               (0, 1), "measured", lower=0),
    SymbolInfo("xstar_norm2", r"\|x^*\|^2", "squared norm of the minimiser", (2, 0), lower=0),
    SymbolInfo("dist2_limit", r"\lim_t\mathbb E\|\bar x_t-x^*\|^2", "limit mean square of the average (exact)",
               (2, 0), "measured", lower=0),
    # --- intermediate symbols, replaced by their definitions before evaluation --------------
    SymbolInfo("V", "V_k", "Lyapunov function E||w_k - w_*||^2 + 32 gamma L omega_dwn^2 E Upsilon_k", (2, 0), "macro"),
    SymbolInfo("V_prev", "V_{k-1}", "Lyapunov function at step k-1", (2, 0), "macro"),
    SymbolInfo("V_0", "V_0", "Lyapunov function at step 0 (= ||w_0 - w_*||^2 since Upsilon_0 = 0)", (2, 0), "macro"),
    SymbolInfo("Phi", r"\Phi(\gamma)", "variance factor of MCM", (0, 0), "macro"),
    SymbolInfo("Phi_Rd", r"\Phi^{\rm Rd}(\gamma)", "variance factor of Rand-MCM", (0, 0), "macro"),
    SymbolInfo("Phi_Rd_alpha", r"\Phi^{\rm Rd}_\alpha(\gamma)",
               "variance factor of Rand-MCM, '/alpha_dwn' reading (THEORY.md 7.5)", (0, 0), "macro"),
    SymbolInfo("gamma_max", r"\gamma_{\max}", "largest step size of MCM's theory", (2, -1), "macro"),
    SymbolInfo("gamma_up", r"\gamma_{\max}^{\rm up}", "uplink step-size constraint", (2, -1), "macro"),
    SymbolInfo("gamma_down", r"\gamma_{\max}^{\rm down}", "downlink step-size constraint", (2, -1), "macro"),
    SymbolInfo("gamma_upsilon_alpha", r"\gamma_{\max}^{\Upsilon}(\alpha_{\rm dwn})",
               "memory step-size constraint at any alpha_dwn (derived)", (2, -1), "macro"),
    SymbolInfo("gamma_max_alpha", r"\gamma_{\max}(\alpha_{\rm dwn})",
               "largest step size of MCM's theory at any alpha_dwn (derived)", (2, -1), "macro"),
    SymbolInfo("gamma_upsilon", r"\gamma_{\max}^{\Upsilon}", "memory (Upsilon) step-size constraint", (2, -1),
               "macro"),
    SymbolInfo("L_tilde", r"\widetilde L", "effective smoothness, gamma_max = 1 / (2 L_tilde)", (-2, 1), "macro",
               lower=0, lower_open=True),
]


def _make_symbol(info: SymbolInfo) -> sp.Symbol:
    # Every symbol is real; all but the Bregman gap are non-negative. Positivity lets sympy
    # split square roots and drop absolute values the way a mathematician would.
    assumptions: dict[str, bool] = {"real": True}
    if info.name not in ("F_gap", "local_bias"):
        assumptions["nonnegative"] = True
    if info.lower is not None and (info.lower > 0 or info.lower_open):
        assumptions["positive"] = True
    if info.integer:
        assumptions["integer"] = True
    return sp.Symbol(info.name, **assumptions)


INFO: dict[str, SymbolInfo] = {i.name: i for i in _INFOS}
_SYMBOLS: dict[str, sp.Symbol] = {i.name: _make_symbol(i) for i in _INFOS}
LATEX_NAMES: dict[sp.Symbol, str] = {_SYMBOLS[i.name]: i.latex for i in _INFOS}


def declare_symbol(name: str, latex: str | None = None, description: str = "", dim: tuple[int, int] = (0, 0),
                   kind: Kind = "constant", *, lower: float | None = None, lower_open: bool = False,
                   upper: float | None = None, upper_open: bool = False, integer: bool = False) -> sp.Symbol:
    """A new symbol for a user's results (a plug-in's constant, e.g. the number of repeated compressions m, or a
    measured quantity); returns its sympy symbol. ``dim``: its scaling dimension (module docstring), ``kind``:
    "constant" (given, validated against its range) or "measured" (a per-run record bound by a check).
    Declaring an existing name again with the same meaning returns the existing symbol."""
    info = SymbolInfo(name, latex or name, description, tuple(dim), kind, lower, lower_open, upper, upper_open,
                      integer)
    if name in INFO:
        if INFO[name] != info:
            raise BoundlabError(f"symbol '{name}' is already declared ({INFO[name].description or 'built in'}) "
                                "with another meaning; choose another name")
        return _SYMBOLS[name]
    if not name.isidentifier():
        raise BoundlabError(f"symbol name must be a Python identifier, got {name!r}")
    INFO[name] = info
    _SYMBOLS[name] = _make_symbol(info)
    LATEX_NAMES[_SYMBOLS[name]] = info.latex
    return _SYMBOLS[name]


def S(name: str) -> sp.Symbol:
    """The sympy symbol called ``name`` (raises KeyError for an unknown name)."""
    return _SYMBOLS[name]


# Short aliases used when writing formulas, so that code reads like the maths.
L, mu, sigma, B, b, N = (S(n) for n in ("L", "mu", "sigma", "B", "b", "N"))
omega_up, omega_dwn, omega = S("omega_up"), S("omega_dwn"), S("omega")
gamma, alpha_dwn, k, K, G, C = (S(n) for n in ("gamma", "alpha_dwn", "k", "K", "G", "C"))
d, s, p, eps, x_norm2 = (S(n) for n in ("d", "s", "p", "eps", "x_norm2"))
dist2, dist2_prev, dist2_0 = S("dist2"), S("dist2_prev"), S("dist2_0")
upsilon, upsilon_prev, local_gap2 = S("upsilon"), S("upsilon_prev"), S("local_gap2")
grad2_hat_prev, grad2_hat_prev2 = S("grad2_hat_prev"), S("grad2_hat_prev2")
ghat2, zeta2, contracted_dist2, down_noise2, memory_residual2, local_bias = (
    S(n) for n in ("ghat2", "zeta2", "contracted_dist2", "down_noise2", "memory_residual2", "local_bias"))
excess_loss_prev, excess_loss_hat_prev, excess_loss_avg = (
    S("excess_loss_prev"), S("excess_loss_hat_prev"), S("excess_loss_avg"))
V, V_prev, V_0 = S("V"), S("V_prev"), S("V_0")
Phi, Phi_Rd, Phi_Rd_alpha = S("Phi"), S("Phi_Rd"), S("Phi_Rd_alpha")
gamma_max, gamma_up, gamma_down, gamma_upsilon, L_tilde = (
    S("gamma_max"), S("gamma_up"), S("gamma_down"), S("gamma_upsilon"), S("L_tilde"))
gamma_upsilon_alpha, gamma_max_alpha = S("gamma_upsilon_alpha"), S("gamma_max_alpha")


def validate(values: dict[str, object]) -> dict[str, np.ndarray]:
    """Check names and ranges of numeric inputs; return them as float arrays.

    Raises :class:`BoundlabError` naming the parameter and its allowed range.
    """
    out: dict[str, np.ndarray] = {}
    for name, raw in values.items():
        if name not in INFO or INFO[name].kind == "macro":
            known = sorted(n for n, i in INFO.items() if i.kind != "macro")
            raise BoundlabError(f"unknown constant '{name}'{_suggest(name, known)}")
        info = INFO[name]
        try:
            arr = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise BoundlabError(f"{name} must be {info.range_text()}, got {raw!r}") from None
        bad = ~np.isfinite(arr)
        if info.lower is not None:
            bad |= (arr <= info.lower) if info.lower_open else (arr < info.lower)
        if info.upper is not None:
            bad |= (arr >= info.upper) if info.upper_open else (arr > info.upper)
        if info.integer:
            bad |= np.isfinite(arr) & (arr != np.round(arr))
        if np.any(bad):
            first = arr[bad].flat[0] if arr.ndim else arr
            raise BoundlabError(f"{name} must be {info.range_text()}, got {_fmt(float(first))}")
        out[name] = arr
    return out


def _suggest(name: str, candidates: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""

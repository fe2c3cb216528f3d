"""The main job: the theory evaluated on boundlab's built-in default problem.

Default: the compression setting of the paper's synthetic experiments (N = 20 workers, d = 20,
s-quantization with s = 1 in both directions, so omega_up = omega_dwn = sqrt(20)), in units
where L = 1, with sigma = 1 and b = 1. Any constant can be overridden: ``boundlab summary N=100 s=2``.
Prints omega, gamma_max and its pieces, L-tilde, Phi, the limit variance of MCM against the
baselines' order-level forms, the derived rate-summary table and the audit's verdict.
"""
from __future__ import annotations

import argparse

import numpy as np

from boundlab.theory.cli_theory import parse_constants

DEFAULT = {"N": 20.0, "d": 20.0, "s": 1.0, "L": 1.0, "sigma": 1.0, "b": 1.0}


#: key=value items written after options join the list (boundlab.cli)
TRAILING_POSITIONALS = "constants"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("constants", nargs="*", metavar="key=value",
                        help=f"override the default problem ({' '.join(f'{k}={v:g}' for k, v in DEFAULT.items())})")


def _v(name: str, **kw) -> float:
    from boundlab.theory.core import get
    return float(get(name).evaluate(**kw).value)


def run(args: argparse.Namespace) -> int:
    from boundlab.theory import audit, table
    c = {**{k: np.array(v) for k, v in DEFAULT.items()}, **parse_constants(args.constants)}
    extra = sorted(set(c) - set(DEFAULT))
    if extra:
        from boundlab.errors import BoundlabError

        raise BoundlabError(f"summary takes only {', '.join(DEFAULT)}; unknown: {', '.join(extra)}")
    N, d, s, L, sigma, b = (c[k] for k in DEFAULT)
    omega = _v("omega_qsgd", d=d, s=s)
    base = dict(L=L, N=N, omega_up=omega, omega_dwn=omega)
    g = {n: _v(n, **base) for n in ("gamma_up", "gamma_down", "gamma_upsilon", "gamma_max")}
    gm = g["gamma_max"]
    noise = dict(gamma=gm, sigma=sigma, b=b)
    lv_mcm = _v("limit_variance_mcm", **base, **noise)
    lv_diana = _v("limit_variance_diana", N=N, omega_up=omega, **noise)
    lv_ad = _v("limit_variance_artemis_dore", N=N, omega_up=omega, omega_dwn=omega, **noise)
    binding = min((v, n) for n, v in g.items() if n != "gamma_max")[1]
    out = [
        "boundlab: the MCM theory (Philippenko & Dieuleveut, NeurIPS 2021) on the default problem",
        f"  N = {N:g} workers, d = {d:g}, s-quantization s = {s:g} both ways, L = {L:g}, sigma = {sigma:g}, b = {b:g}",
        "",
        f"omega_up = omega_dwn  = {omega:<10.6g} min(d/s^2, sqrt(d)/s)                       [S]",
        f"gamma_max^up         = {g['gamma_up']:<10.6g} 1/(2 L (1 + omega_up/N))                    [S]",
        f"gamma_max^down       = {g['gamma_down']:<10.6g} 1/(8 L omega_dwn)                           [S]",
        f"gamma_max^Upsilon    = {g['gamma_upsilon']:<10.6g} 1/(8 sqrt2 L omega_dwn sqrt(8 omega_dwn + omega_up/N)) [S]",
        f"gamma_max            = {gm:<10.6g} min of the three (binding: {binding})",
        f"L_tilde              = {_v('L_tilde', **base):<10.6g} 1/(2 gamma_max)",
        f"Phi(gamma_max)       = {_v('Phi', **base, gamma=gm):<10.6g} (1 + omega_up)(1 + 64 gamma L omega_dwn^2)  [S]",
        "",
        "Per-step variance at gamma = gamma_max (gamma^2 sigma^2/(N b) x factor):",
        f"  MCM           {lv_mcm:.4g}   exact bound [S]",
        f"  Diana         {lv_diana:.4g}   order only [O] (no downlink compression)",
        f"  Artemis/Dore  {lv_ad:.4g}   order only [O]",
        f"  MCM / Diana = {lv_mcm / lv_diana:.3g}; Artemis-Dore / Diana = {lv_ad / lv_diana:.3g} (order-level)",
        "",
        "Rate-summary table, derived from the encoded results:",
        "",
        table.render(table.rate_table(), "markdown"),
        "",
    ]
    report = audit.run_audit()
    out.append(audit.render(report).splitlines()[-1].replace("Summary:", "Audit:"))
    out += ["", "Next: boundlab verify (every bound checked against simulation, about 20 s) | boundlab figures --out DIR",
            "      boundlab theory --list | boundlab theory NAME key=value ... | boundlab table | boundlab audit"]
    print("\n".join(out))
    return 0

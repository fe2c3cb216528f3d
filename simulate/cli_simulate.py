"""boundlab simulate CONFIG.toml --out FILE: run R independent runs of one algorithm, write a tidy table.

The table has columns run, k, excess_loss, excess_loss_avg, dist2, local_gap2, upsilon,
grad2_hat, bits_up, bits_down and diverged (one row per run and checkpoint). FILE is CSV, or
parquet if it ends in .parquet (needs pyarrow). The resolved config, the seed, the boundlab
version and the problem's exact constants are written to FILE.meta.json (and, for parquet, also
into the file's key-value metadata under "boundlab"). Every config key is also a flag
(--KEY or --SECTION.KEY); a flag beats the file. Without --out, a summary is printed.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from typing import Any

import numpy as np

from boundlab.errors import BoundlabError
from boundlab.jsonutil import jsonable
from boundlab.simulate import config as C


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments: the config file, one flag per config key, --overwrite."""
    parser.add_argument("config", nargs="?", help="TOML config file (optional: every key is also a flag)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--exact", action="store_true",
                        help="also the exact expectations of every record (boundlab.simulate.exact: quadratic problems, "
                             "mask operators), beside the Monte-Carlo means; with --out also FILE.exact.csv")
    for key in C.keys():
        flags = [key.flag]
        if "_" in key.dotted:
            flags.append("--" + key.dotted)
        if key.dotted == "allow_large_step":
            parser.add_argument(*flags, dest=key.dotted, action="store_const", const=True, default=None,
                                help=key.help)
        else:
            default = "" if key.default is None else f" (default: {key.default})"
            parser.add_argument(*flags, dest=key.dotted, default=None, metavar=key.kind.upper(),
                                help=key.help + default)
    for old, new in C.RENAMED.items():       # the old names of renamed keys: accepted (a note says the new one)
        parser.add_argument("--" + old.replace("_", "-"), dest=old, default=None, help=argparse.SUPPRESS)


def _check_output(path: str, overwrite: bool) -> None:
    if path.endswith(".parquet"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise BoundlabError("out: writing parquet needs pyarrow: pip install 'boundlab[parquet]' "
                                "(or give a .csv file)") from None
    elif not path.endswith(".csv"):
        raise BoundlabError(f"out must end in .csv or .parquet, got {path!r}")
    for p in (path, path + ".meta.json", path + ".exact.csv"):
        if os.path.isdir(p):
            raise BoundlabError(f"out: {p} is a folder, not a file")
        if os.path.exists(p) and not overwrite:
            raise BoundlabError(f"out: {p} exists; use --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BoundlabError(f"out: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BoundlabError(f"out: folder {folder} is not writable")


def check_space(path: str, runs: int, n_checkpoints: int) -> None:
    """Refuse before simulating when the folder has less free space than the table's estimated size
    (CSV: about 20 bytes per value, 19 columns)."""
    need = 20 * 19 * runs * n_checkpoints + (1 << 20)
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except (OSError, AttributeError):
        return
    free = st.f_bavail * st.f_frsize
    if need > free:
        raise BoundlabError(f"out: {path} needs about {need / 2**20:.3g} MiB but its folder has {free / 2**20:.3g} MiB "
                            "free")


def metadata(cfg: dict[str, Any], result) -> dict[str, Any]:
    """What goes into FILE.meta.json."""
    from boundlab import __version__
    from boundlab.simulate.files import environment
    return {"boundlab_version": __version__, "seed": cfg["seed"],
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "environment": environment(), "config": C.public(cfg), "result": jsonable(result.meta)}


def write(result, cfg: dict[str, Any], path: str, extra: dict[str, Any] | None = None) -> None:
    """Write the tidy table and its metadata (see the module docstring) atomically and together: every file
    goes to a temporary file in the same folder first; then, with Ctrl-C held back, each is renamed onto its
    destination. An interrupt or an error leaves the old files (or none) and no temporary file; never a
    truncated table. ``extra``: more files {path: frame} (the exact expectations)."""
    frame = result.to_frame()
    meta = metadata(cfg, result)
    text = json.dumps(meta, indent=2)

    def table(fh):
        if path.endswith(".parquet"):
            import pyarrow as pa
            import pyarrow.parquet as pq
            t = pa.Table.from_pandas(frame, preserve_index=False)
            t = t.replace_schema_metadata({**(t.schema.metadata or {}), b"boundlab": text.encode()})
            pq.write_table(t, fh)
        else:
            frame.to_csv(fh, index=False, float_format="%.17g")

    jobs = [(path, table, not path.endswith(".csv")),
            (path + ".meta.json", lambda fh: fh.write(text + "\n"), False)]
    for p, f in (extra or {}).items():
        jobs.append((p, lambda fh, f=f: f.to_csv(fh, index=False, float_format="%.17g"), False))
    from boundlab.simulate.files import write_together
    write_together(jobs)


def summary(result) -> str:
    """Mean and standard error over runs of each record at the last checkpoint."""
    consts = result.meta.get("constants", {})
    bound = consts.get("step_bound")
    lines = [f"{result.n_runs} runs, k = {int(result.k[-1])} (mean over runs \u00b1 one standard error, not an "
             "interval), gamma = "
             f"{result.meta['gamma']:.6g} "
             f"(bound {result.meta['gamma_bound']}{f' = {bound}' if bound else ''}), "
             f"diverged: {int(result.diverged.sum())}"]
    checked = result.meta.get("algorithm", {}).get("bounds")
    if checked:
        lines.append(f"  checked by 'boundlab verify' against: {', '.join(checked)}")
    for name, arr in result.records.items():
        col = arr[:, -1]
        ok = np.isfinite(col)
        if ok.any():
            m = col[ok].mean()
            se = col[ok].std(ddof=1) / np.sqrt(ok.sum()) if ok.sum() > 1 else float("nan")
            lines.append(f"  {name:16s} {m:.6g} \u00b1 {se:.2g} (s.e.)")
        else:
            lines.append(f"  {name:16s} n/a")
    return "\n".join(lines)


def exact_of(cfg: dict[str, Any]):
    """The exact expectations of the config's records (raises BoundlabError where they do not exist)."""
    from boundlab.simulate.exact import exact
    problem, algorithm = C.build(cfg)
    return exact(problem, algorithm, n_iter=cfg["iterations"], gamma=cfg["gamma"], schedule=cfg["schedule"],
                 checkpoints_spec=cfg["checkpoints"])


def compare(result, ex) -> str:
    """Exact expectation beside the Monte-Carlo mean (+- standard error, z) at the last checkpoint."""
    lines = [f"exact expectations at k = {int(ex.k[-1])} (boundlab.simulate.exact) against the mean of "
             f"{result.n_runs} runs: z = (mean - exact)/standard error"]
    for name, vals in ex.records.items():
        e = vals[-1]
        if not np.isfinite(e):
            continue
        col = result.records[name][:, -1]
        ok = np.isfinite(col)
        m = col[ok].mean()
        se = col[ok].std(ddof=1) / np.sqrt(ok.sum()) if ok.sum() > 1 else float("nan")
        z = (m - e) / se if se > 0 else 0.0
        lines.append(f"  {name:16s} exact {e:.6g}   Monte Carlo {m:.6g} +- {se:.2g}   z = {z:+.2f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Resolve the config, simulate, write the output. Bad input raises BoundlabError (exit 2)."""
    file_values = C.load_toml(args.config) if args.config else {}
    flags = {k.dotted: getattr(args, k.dotted, None) for k in C.keys()}
    for old in C.RENAMED:
        if getattr(args, old, None) is not None:
            flags[old] = getattr(args, old)
    cfg = C.resolve(file_values, flags)
    out = cfg["out"]
    if out:
        _check_output(out, args.overwrite)
        from boundlab.simulate.engine import checkpoints
        check_space(out, cfg["runs"], len(checkpoints(cfg["checkpoints"], cfg["iterations"])))
    ex = exact_of(cfg) if args.exact else None        # before the simulation: a config it cannot do fails at once
    try:
        result = C.run_config(cfg, keep_partial=True)
    except KeyboardInterrupt:
        print("boundlab simulate: interrupted before any run finished: nothing written", file=sys.stderr)
        return 130
    interrupted = bool(result.meta.get("interrupted"))
    if interrupted:
        print(f"boundlab simulate: interrupted: keeping the {result.n_runs} runs finished "
              f"(of {cfg['runs']})", file=sys.stderr)
    if result.diverged.any():
        runs = np.flatnonzero(result.diverged)
        shown = ", ".join(map(str, runs[:10])) + (", ..." if runs.size > 10 else "")
        print(f"boundlab simulate: warning: {runs.size} of {result.n_runs} runs diverged (runs {shown})",
              file=sys.stderr)
    if not result.sigma_valid.all():
        print(f"boundlab simulate: warning: {int((~result.sigma_valid).sum())} runs left the region where "
              "sigma^2 is a valid bound (see the metadata)", file=sys.stderr)
    if out:
        try:
            write(result, cfg, out, {out + ".exact.csv": ex.to_frame()} if ex is not None else None)
        except KeyboardInterrupt:
            print(f"boundlab simulate: interrupted while writing: {out} left as it was", file=sys.stderr)
            return 130
        print(f"wrote {out} ({result.n_runs} runs x {result.k.shape[0]} checkpoints) and {out}.meta.json"
              + (f" and {out}.exact.csv (exact expectations)" if ex is not None else ""))
    else:
        print(summary(result))
    if ex is not None:
        print(compare(result, ex))
    return 130 if interrupted else 0

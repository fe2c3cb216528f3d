"""The configuration of ``boundlab simulate``: one schema, read from TOML and from flags.

Every key lives in :data:`KEYS` (section, name, kind, default, help). A TOML file has top-level
keys and the tables ``[problem]`` and ``[algorithm]``; each key is also the flag
``--KEY`` (top level) or ``--SECTION.KEY`` (underscores may be written as hyphens), and a flag
beats the file. Unknown keys are errors, with a suggestion.
"""
from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from typing import Any

from boundlab.errors import BoundlabError
from boundlab.simulate.registry import parse_value


@dataclass(frozen=True)
class Key:
    section: str | None          # None: top level
    name: str
    kind: str                    # int, float, str, bool, number_or_str, int_or_str, float_list, checkpoints
    default: Any
    help: str
    problem_kinds: tuple[str, ...] = ()   # for [problem] keys: the kinds that accept it ("" = all)

    @property
    def dotted(self) -> str:
        return self.name if self.section is None else f"{self.section}.{self.name}"

    @property
    def flag(self) -> str:
        return "--" + self.dotted.replace("_", "-")


Q, LS = ("quadratic",), ("least_squares",)
KEYS: tuple[Key, ...] = (
    Key(None, "seed", "int", 0, "seed of the runs (and of the problem unless problem.seed is given)"),
    Key(None, "runs", "int", 100, "number R of independent runs"),
    Key(None, "iterations", "int", 1000, "number K of iterations"),
    Key(None, "gamma", "number_or_str", "theory", "step size, or 'theory' for the algorithm's gamma_max"),
    Key(None, "schedule", "str", "constant", "'constant' or 'inv_sqrt' (gamma_k = gamma / sqrt(k))"),
    Key(None, "allow_large_step", "bool", False, "allow gamma above the theory's bound"),
    Key(None, "checkpoints", "checkpoints", "all", "'all', every m iterations (an integer), 'log:M' or a list"),
    Key(None, "batch_runs", "int", None, "runs simulated at once, default min(1024, runs/processes, "
        "256 MiB of worker messages) "
        "(memory and speed only: results do not change)"),
    Key(None, "processes", "int", 1, "processes running batches in parallel (results do not change)"),
    Key(None, "out", "str", None, "output file, .csv or .parquet (metadata in FILE.meta.json)"),
    Key("problem", "kind", "str", "quadratic", "'quadratic' or 'least_squares'"),
    Key("problem", "N", "int", 20, "number of workers", ("",)),
    Key("problem", "d", "int", 20, "dimension (least_squares: synthetic data only)", ("",)),
    Key("problem", "b", "int", 1, "mini-batch size", ("",)),
    Key("problem", "seed", "int", None, "seed of the problem instance (default: the top-level seed)", ("",)),
    Key("problem", "w0", "number_or_str", None,
        "initial point: a distance ||w0 - w*|| (random direction) or 'zero' "
        "(default 1.0 for quadratic, 'zero' for least_squares)", ("",)),
    Key("problem", "L", "float", 1.0, "largest eigenvalue of A", Q),
    Key("problem", "mu", "float", 0.1, "smallest eigenvalue of A (0 allowed)", Q),
    Key("problem", "spectrum", "str", "linear", "'linear' or 'geometric' spacing from L to mu", Q),
    Key("problem", "eigenvalues", "float_list", None, "explicit spectrum (d numbers; overrides L, mu)", Q),
    Key("problem", "rotate", "bool", True, "random eigenbasis (else A is diagonal)", Q),
    Key("problem", "B2", "float", 0.0, "heterogeneity B^2 = max_i ||grad F_i(w*)||^2 (0: homogeneous)", Q),
    Key("problem", "sigma", "float", 1.0, "noise: E||xi||^2 = sigma^2 / b", Q),
    Key("problem", "noise", "str", "gaussian", "'gaussian' or 'sphere' (||xi|| = sigma/sqrt(b) surely)", Q),
    Key("problem", "data", "str", "synthetic", "'synthetic', 'diabetes' (needs scikit-learn) or 'file:PATH'", LS),
    Key("problem", "n_per_worker", "int", 200, "points per worker (synthetic data)", LS),
    Key("problem", "split", "str", "iid", "'iid' or 'non-iid' (workers get label quantiles)", LS),
    Key("problem", "label_noise", "float", 0.0, "std of the label noise (synthetic data)", LS),
    Key("problem", "worker_offset", "bool", False, "label noise as one offset per worker (synthetic)", LS),
    Key("problem", "sigma_radius", "float", 2.0, "sigma^2 is bounded on ||w - w*|| <= this x ||w0 - w*||", LS),
    Key("algorithm", "name", "str", "mcm", "algorithm (see boundlab.simulate.ALGORITHMS)"),
    Key("algorithm", "up", "str", None, "uplink compressor spec, e.g. 'qsgd:s=1', 'randk:k=5'"),
    Key("algorithm", "down", "str", None, "downlink compressor spec"),
    Key("algorithm", "p", "float", None, "participation probability in (0, 1]"),
    Key("algorithm", "uplink", "str", None, "MCM family: 'plain' or 'memory'"),
    Key("algorithm", "alpha_up", "float", None, "uplink memory rate (default 1/(2(1+omega_up)))"),
    Key("algorithm", "alpha_dwn", "float", None, "downlink memory rate (default min(1/(8 omega_dwn), 1/(1+omega_dwn)))"),
    Key("algorithm", "memory_offset", "float", None, "mcm: start with Upsilon_0 = memory_offset^2 (default 0)"),
    Key("algorithm", "G", "int", None, "rand-mcm-g: number of groups"),
    Key("algorithm", "reset_period", "int", None, "rand-mcm-reset: iterations between resets (default ceil(4 sqrt d))"),
)
BY_DOTTED = {k.dotted: k for k in KEYS}
SECTIONS = ("problem", "algorithm")


def _convert(key: Key, value: Any) -> Any:
    """Check (file) or parse (flag, a string) one value against its key's kind."""
    what = key.dotted
    if value is None:
        return None
    from_flag = isinstance(value, str) and key.kind not in ("str",)
    if from_flag:
        if key.kind == "float_list":
            value = [parse_value(v) for v in value.split(",") if v.strip()]
        elif key.kind == "checkpoints" and value.startswith(("[",)):
            value = [parse_value(v) for v in value.strip("[]").split(",") if v.strip()]
        else:
            value = parse_value(value)
    kind = key.kind
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise BoundlabError(f"{what} must be an integer, got {value!r}")
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BoundlabError(f"{what} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise BoundlabError(f"{what} must be finite, got {value!r}")
    if kind == "bool" and not isinstance(value, bool):
        raise BoundlabError(f"{what} must be true or false, got {value!r}")
    if kind == "str" and not isinstance(value, str):
        raise BoundlabError(f"{what} must be a string, got {value!r}")
    if kind == "number_or_str" and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
        raise BoundlabError(f"{what} must be a number or a string, got {value!r}")
    if kind == "float_list":
        if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in value):
            raise BoundlabError(f"{what} must be a list of numbers, got {value!r}")
        value = [float(v) for v in value]
    if kind == "checkpoints":
        ok = (isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
              or (isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)))
        if not ok:
            raise BoundlabError(f"{what} must be 'all', an integer period, 'log:M' or a list of integers, "
                                f"got {value!r}")
    if key.name == "seed" and value is not None and value < 0:
        raise BoundlabError(f"{what} must be an integer >= 0, got {value!r}")
    return value


def _unknown(dotted: str, pool: list[str]) -> BoundlabError:
    close = difflib.get_close_matches(dotted, pool, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return BoundlabError(f"unknown config key '{dotted}'{hint}")


def flatten(doc: dict) -> dict[str, Any]:
    """TOML document -> {dotted key: value}, rejecting unknown keys."""
    flat: dict[str, Any] = {}
    for k, v in doc.items():
        if k in SECTIONS and isinstance(v, dict):
            for kk, vv in v.items():
                flat[f"{k}.{kk}"] = vv
        else:
            flat[k] = v
    for dotted in flat:
        if dotted not in BY_DOTTED:
            raise _unknown(dotted, list(BY_DOTTED))
    return flat


def read_toml(path: str, what: str = "config file") -> dict[str, Any]:
    """Parse a TOML file; a missing or invalid file is a one-line BoundlabError naming ``what``."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise BoundlabError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise BoundlabError(f"{what} {path} is a folder, not a file") from None
    except PermissionError:
        raise BoundlabError(f"{what} {path} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise BoundlabError(f"{what} {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise BoundlabError(f"{what} {path} is not valid TOML: {err}") from None
    except OSError as err:
        raise BoundlabError(f"{what} {path} cannot be read: {err.strerror or err}") from None


def load_toml(path: str) -> dict[str, Any]:
    """Read a config file into {dotted key: value}."""
    return flatten(read_toml(path))


def resolve(file_values: dict[str, Any], flag_values: dict[str, Any]) -> dict[str, Any]:
    """Merge (flags beat the file), type-check, fill defaults. Returns {dotted key: value}."""
    merged = {**file_values, **{k: v for k, v in flag_values.items() if v is not None}}
    for dotted in merged:
        if dotted not in BY_DOTTED:
            raise _unknown(dotted, list(BY_DOTTED))
    out: dict[str, Any] = {}
    for key in KEYS:
        out[key.dotted] = _convert(key, merged[key.dotted]) if key.dotted in merged else None
    kind = out["problem.kind"] or "quadratic"
    if kind not in ("quadratic", "least_squares"):
        raise BoundlabError(f"problem.kind must be 'quadratic' or 'least_squares', got {kind!r}")
    for key in KEYS:
        if key.section == "problem" and key.problem_kinds and "" not in key.problem_kinds \
                and kind not in key.problem_kinds and key.dotted in merged:
            raise BoundlabError(f"{key.dotted} is not a key of problem.kind = '{kind}' "
                                f"(it belongs to {', '.join(key.problem_kinds)})")
    given = {d for d in merged}
    for key in KEYS:
        if out[key.dotted] is None and key.default is not None:
            out[key.dotted] = key.default
    if out["problem.seed"] is None:
        out["problem.seed"] = out["seed"]
    if out["problem.w0"] is None:
        out["problem.w0"] = 1.0 if kind == "quadratic" else "zero"
    out["_given"] = sorted(given)
    return out


def problem_params(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, keyword arguments of the problem builder)."""
    kind = cfg["problem.kind"]
    params: dict[str, Any] = {}
    for key in KEYS:
        if key.section != "problem" or key.name == "kind":
            continue
        if key.problem_kinds and "" not in key.problem_kinds and kind not in key.problem_kinds:
            continue
        params[key.name] = cfg[key.dotted]
    params["seed"] = cfg["seed"] if params.get("seed") is None else params["seed"]
    if params.get("w0") is None:
        params["w0"] = 1.0 if kind == "quadratic" else "zero"
    if kind == "quadratic":
        params["spectrum_kind"] = params.pop("spectrum")
    return kind, params


def algorithm_params(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, parameters given) of the algorithm: only the keys that were set."""
    params = {key.name: cfg[key.dotted] for key in KEYS
              if key.section == "algorithm" and key.name != "name" and cfg[key.dotted] is not None}
    return cfg["algorithm.name"], params


def public(cfg: dict[str, Any]) -> dict[str, Any]:
    """The resolved config as a nested dict (for the metadata), without internal keys."""
    nested: dict[str, Any] = {}
    kind = cfg.get("problem.kind")
    for key in KEYS:
        if key.problem_kinds and "" not in key.problem_kinds and kind not in key.problem_kinds:
            continue
        v = cfg.get(key.dotted)
        if key.section is None:
            nested[key.name] = v
        else:
            nested.setdefault(key.section, {})[key.name] = v
    return nested


def build(cfg: dict[str, Any]):
    """(problem, algorithm) from a resolved config."""
    from boundlab.simulate.algorithms import make_algorithm
    from boundlab.simulate.problems import least_squares, quadratic
    kind, pparams = problem_params(cfg)
    problem = quadratic(**pparams) if kind == "quadratic" else least_squares(**pparams)
    name, aparams = algorithm_params(cfg)
    return problem, make_algorithm(name, aparams)


def run_config(cfg: dict[str, Any], progress: bool | None = None, keep_partial: bool = False):
    """Build and simulate a resolved config; returns a :class:`~boundlab.simulate.engine.SimulationResult`."""
    from boundlab.simulate.engine import simulate
    problem, algorithm = build(cfg)
    return simulate(problem, algorithm, n_runs=cfg["runs"], n_iter=cfg["iterations"], gamma=cfg["gamma"],
                    schedule=cfg["schedule"], seed=cfg["seed"], checkpoints_spec=cfg["checkpoints"],
                    batch_runs=cfg["batch_runs"], allow_large_step=cfg["allow_large_step"], progress=progress,
                    processes=cfg["processes"], keep_partial_on_interrupt=keep_partial)

"""The configuration of ``boundlab simulate``: one schema, read from TOML and from flags.

Every key is a :class:`Key` (section, name, kind, default, help) of :func:`keys`: the top-level ones
are listed here; the ``[problem]`` and ``[algorithm]`` keys are the keyword arguments of the registered
problem builders and algorithms (plug-ins included), so a new algorithm's parameters work in TOML
and as flags without editing this file. A TOML file has top-level
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
    kind: str                    # int, float, str, bool, number_or_str, float_list, checkpoints, value (any)
    default: Any
    help: str
    #: problem keys: the problem kinds that take it; algorithm keys: the algorithms that take it (() = all)
    owners: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return self.name if self.section is None else f"{self.section}.{self.name}"

    @property
    def flag(self) -> str:
        return "--" + self.dotted.replace("_", "-")


TOP_KEYS: tuple[Key, ...] = (
    Key(None, "seed", "int", 0, "seed of the runs (and of the problem unless problem.seed is given)"),
    Key(None, "runs", "int", 100, "number R of independent runs"),
    Key(None, "iterations", "int", 1000, "number K of iterations"),
    Key(None, "gamma", "number_or_str", "theory", "step size, or 'theory' for the algorithm's step bound "
        "(meta['constants']['step_bound'] names it)"),
    Key(None, "schedule", "str", "constant", "'constant' or 'inv_sqrt' (gamma_k = gamma / sqrt(k))"),
    Key(None, "allow_large_step", "bool", False, "allow gamma above the theory's bound"),
    Key(None, "checkpoints", "checkpoints", "all", "'all', every m iterations (an integer), 'log:M' or a list "
        "(0,10,100 or [0, 10, 100])"),
    Key(None, "batch_runs", "int", None, "runs simulated at once, default min(1024, runs/jobs, "
        "256 MiB of worker messages) "
        "(memory and speed only: results do not change)"),
    Key(None, "jobs", "int", None, "processes running batches in parallel, default: every usable core when "
        "the work pays for them (boundlab.simulate.engine.auto_processes); results do not change"),
    Key(None, "out", "str", None, "output file, .csv or .parquet (metadata in FILE.meta.json)"),
    Key("problem", "kind", "str", "quadratic", "problem builder (boundlab.simulate.problems.PROBLEMS: quadratic, "
        "least_squares, or a plug-in's)"),
    Key("algorithm", "name", "str", "mcm", "algorithm (boundlab.simulate.ALGORITHMS, or a plug-in's)"),
)

# Help texts of the built-in problem and algorithm keys. Which keys exist, their kinds and which problem or
# algorithm takes each come from the registries (a builder's or an algorithm's keyword arguments are its keys):
# a plug-in's keys need no entry here.
HELP: dict[str, str] = {
    "problem.N": "number of workers", "problem.d": "dimension (least_squares: synthetic data only)",
    "problem.b": "mini-batch size", "problem.seed": "seed of the problem instance (default: the top-level seed)",
    "problem.w0": "initial point: a distance ||w0 - w*|| (random direction) or 'zero' "
                  "(default 1.0 for quadratic, 'zero' for least_squares)",
    "problem.L": "largest eigenvalue of A", "problem.mu": "smallest eigenvalue of A (0 allowed)",
    "problem.spectrum": "'linear' or 'geometric' spacing from L to mu",
    "problem.eigenvalues": "explicit spectrum (d numbers; overrides L, mu)",
    "problem.rotate": "random eigenbasis (else A is diagonal)",
    "problem.diagonal": "store an unrotated A as its diagonal (default: from d = 1000; same numbers)",
    "problem.B2": "heterogeneity B^2 = max_i ||grad F_i(w*)||^2 (0: homogeneous)",
    "problem.sigma": "noise: E||xi||^2 = sigma^2 / b", "problem.noise": "'gaussian' or 'sphere' (||xi|| = sigma/sqrt(b) surely)",
    "problem.data": "'synthetic', 'diabetes' (needs scikit-learn) or 'file:PATH'",
    "problem.n_per_worker": "points per worker (synthetic data)", "problem.split": "'iid' or 'non-iid' (workers get label quantiles)",
    "problem.label_noise": "std of the label noise (synthetic data)",
    "problem.worker_offset": "label noise as one offset per worker (synthetic)",
    "problem.sigma_radius": "sigma^2 is bounded on ||w - w*|| <= this x ||w0 - w*||",
    "algorithm.up": "uplink compressor spec, e.g. 'qsgd:s=1', 'randk:k=5'", "algorithm.down": "downlink compressor spec",
    "algorithm.p": "participation probability in (0, 1]", "algorithm.uplink": "MCM family: 'plain' or 'memory'",
    "algorithm.alpha_up": "uplink memory rate (default 1/(2(1+omega_up)))",
    "algorithm.alpha_dwn": "downlink memory rate (default min(1/(8 omega_dwn), 1/(1+omega_dwn)); set by hand, "
                           "gamma = 'theory' is gamma_max_alpha at it)",
    "algorithm.memory_offset": "mcm: start with Upsilon_0 = memory_offset^2 (default 0)",
    "algorithm.G": "rand-mcm-g: number of groups",
    "algorithm.reset_period": "rand-mcm-reset: iterations between resets (default ceil(4 sqrt d))",
    "algorithm.compressor": "decentralized: operator of the messages neighbours exchange",
    "algorithm.graph": "decentralized: ring, torus, complete, star, erdos-renyi:p=,seed=, geometric:radius=,seed=, "
                       "file:PATH (n = problem.N)",
    "algorithm.weights": "decentralized: 'metropolis' or 'uniform' mixing weights",
    "algorithm.order": "d-psgd: 'gossip-gradient' (X W - gamma G) or 'gradient-gossip' ((X - gamma G) W)",
    "algorithm.init_spread": "decentralized: start off consensus, x_0^(i) = w0 + init_spread (b_i - b_bar)",
    "algorithm.consensus_step": "choco-sgd: consensus step gamma_c in (0, 1]",
    "algorithm.delay": "delayed-cgd: the largest delay tau (fixed: every delay)",
    "algorithm.delays": "delayed-cgd: 'fixed', 'iid' (uniform on 0..delay) or 'markov' (a lazy reflected walk)",
    "algorithm.switch": "delayed-cgd, markov delays: probability of a move per iteration",
}


def _kind_of(annotation: Any) -> str:
    """A config kind from a keyword argument's annotation (a string under postponed evaluation)."""
    text = (annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation)))
    parts = {p.strip() for p in text.replace("'", "").replace('"', "").split("|")} - {"None"}
    if any(p.startswith("list") for p in parts):
        return "float_list"
    if parts == {"float", "str"}:
        return "number_or_str"
    if "Compressor" in parts or "str" in parts:
        return "str"
    if len(parts) == 1 and next(iter(parts)) in ("int", "float", "bool"):
        return next(iter(parts))
    return "value"


def _parameters(factory) -> list[tuple[str, Any]]:
    """(name, annotation) of a factory's keyword arguments (a class: those of its __init__)."""
    import inspect
    return [(n, p.annotation) for n, p in inspect.signature(factory).parameters.items()
            if n != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


_KEYS_CACHE: dict[tuple, tuple[Key, ...]] = {}


def keys() -> tuple[Key, ...]:
    """Every config key: the top-level ones, then every keyword argument of every registered problem builder and
    algorithm (plug-ins included), with the builders or algorithms that take it."""
    from boundlab.simulate.algorithms import ALGORITHMS
    from boundlab.simulate.problems import PROBLEMS
    stamp = (PROBLEMS.version, ALGORITHMS.version)
    if stamp not in _KEYS_CACHE:
        out = list(TOP_KEYS)
        for section, reg in (("problem", PROBLEMS), ("algorithm", ALGORITHMS)):
            found: dict[str, tuple[str, list[str]]] = {}
            for owner in reg.names():
                for name, ann in _parameters(reg.factory(owner)):
                    kind, owners = found.setdefault(name, (_kind_of(ann), []))
                    owners.append(owner)
            for name, (kind, owners) in found.items():
                every = len(owners) == len(reg.names())
                out.append(Key(section, name, kind, None,
                               HELP.get(f"{section}.{name}", f"keyword argument of {', '.join(owners)}"),
                               () if every else tuple(owners)))
        _KEYS_CACHE.clear()
        _KEYS_CACHE[stamp] = tuple(out)
    return _KEYS_CACHE[stamp]


def by_dotted() -> dict[str, Key]:
    return {k.dotted: k for k in keys()}


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
        elif key.kind == "checkpoints" and (value.startswith("[") or "," in value):
            # one list syntax everywhere: 0,10,100 (as --omegas and the theory's key=1,2,4) or [0, 10, 100]
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


#: Keys renamed for one vocabulary across the commands: the old name is accepted, with a note on stderr.
RENAMED = {"processes": "jobs"}


def renamed(dotted: str) -> str:
    """The current name of a key (an old name gives a one-line note on stderr)."""
    new = RENAMED.get(dotted)
    if new is None:
        return dotted
    import sys
    print(f"boundlab: note: '{dotted}' is now called '{new}' (accepted)", file=sys.stderr)
    return new


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
            flat[renamed(k)] = v
    known = by_dotted()
    for dotted in flat:
        if dotted not in known:
            raise _unknown(dotted, list(known))
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


def _owner(cfg: dict[str, Any], section: str) -> str:
    """The resolved problem kind or algorithm name of a config (its registered name)."""
    from boundlab.simulate.algorithms import ALGORITHMS
    from boundlab.simulate.problems import PROBLEMS
    reg, dotted = (PROBLEMS, "problem.kind") if section == "problem" else (ALGORITHMS, "algorithm.name")
    try:
        return reg.resolve(cfg[dotted])
    except BoundlabError as err:
        raise BoundlabError(f"{dotted}: {err}") from None


def _takes(key: Key, owner: str) -> bool:
    return not key.owners or owner in key.owners


def resolve(file_values: dict[str, Any], flag_values: dict[str, Any]) -> dict[str, Any]:
    """Merge (flags beat the file), type-check, fill defaults. Returns {dotted key: value}."""
    merged = {renamed(k): v for k, v in {**file_values, **{k: v for k, v in flag_values.items() if v is not None}}.items()}
    known = by_dotted()
    for dotted in merged:
        if dotted not in known:
            raise _unknown(dotted, list(known))
    out: dict[str, Any] = {}
    for key in keys():
        out[key.dotted] = _convert(key, merged[key.dotted]) if key.dotted in merged else None
    for key in TOP_KEYS:
        if out[key.dotted] is None and key.default is not None:
            out[key.dotted] = key.default
    owners = {section: _owner(out, section) for section in SECTIONS}
    for key in keys():
        if key.section in SECTIONS and key.dotted in merged and not _takes(key, owners[key.section]):
            what = "problem.kind =" if key.section == "problem" else "algorithm"
            raise BoundlabError(f"{key.dotted} is not a key of {what} '{owners[key.section]}' "
                                f"(it belongs to {', '.join(key.owners)})")
    if out["problem.seed"] is None:
        out["problem.seed"] = out["seed"]
    out["_given"] = sorted(merged)
    return out


def problem_params(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(kind, keyword arguments of the problem builder): the keys given, the problem's seed; the builder's own
    defaults for the rest."""
    kind = _owner(cfg, "problem")
    params = {key.name: cfg[key.dotted] for key in keys()
              if key.section == "problem" and key.name != "kind" and _takes(key, kind) and cfg.get(key.dotted) is not None}
    params["seed"] = cfg["seed"] if params.get("seed") is None else params["seed"]
    return kind, params


def algorithm_params(cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, parameters given) of the algorithm: only the keys that were set."""
    params = {key.name: cfg[key.dotted] for key in keys()
              if key.section == "algorithm" and key.name != "name" and cfg.get(key.dotted) is not None}
    return _owner(cfg, "algorithm"), params


def public(cfg: dict[str, Any]) -> dict[str, Any]:
    """The resolved config as a nested dict (for the metadata), without internal keys: the top-level keys, and the
    problem's and algorithm's keys with their builders' defaults where not given."""
    import inspect

    from boundlab.simulate.algorithms import ALGORITHMS
    from boundlab.simulate.problems import PROBLEMS
    nested: dict[str, Any] = {k.name: cfg.get(k.dotted) for k in TOP_KEYS if k.section is None}
    for section, reg in (("problem", PROBLEMS), ("algorithm", ALGORITHMS)):
        owner = _owner(cfg, section)
        first = "kind" if section == "problem" else "name"
        defaults = {n: p.default for n, p in inspect.signature(reg.factory(owner)).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        part = {first: owner}
        for key in keys():
            if key.section == section and key.name != first and _takes(key, owner):
                v = cfg.get(key.dotted)
                part[key.name] = v if v is not None else defaults.get(key.name)
        nested[section] = part
    return nested


def build(cfg: dict[str, Any]):
    """(problem, algorithm) from a resolved config."""
    from boundlab.simulate.algorithms import make_algorithm
    from boundlab.simulate.problems import PROBLEMS
    kind, pparams = problem_params(cfg)
    problem = PROBLEMS.create(kind, pparams, "problem")
    name, aparams = algorithm_params(cfg)
    return problem, make_algorithm(name, aparams)


def run_config(cfg: dict[str, Any], progress: bool | None = None, keep_partial: bool = False):
    """Build and simulate a resolved config; returns a :class:`~boundlab.simulate.engine.SimulationResult`."""
    from boundlab.simulate.engine import simulate
    problem, algorithm = build(cfg)
    return simulate(problem, algorithm, n_runs=cfg["runs"], n_iter=cfg["iterations"], gamma=cfg["gamma"],
                    schedule=cfg["schedule"], seed=cfg["seed"], checkpoints_spec=cfg["checkpoints"],
                    batch_runs=cfg["batch_runs"], allow_large_step=cfg["allow_large_step"], progress=progress,
                    processes=cfg["jobs"], keep_partial_on_interrupt=keep_partial)

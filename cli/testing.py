"""boundlab.testing: pytest helpers for your own operators, algorithms and bounds.

Installed with boundlab as a pytest plugin (entry point ``pytest11``), so that in any test suite:

* boundlab's plug-ins (entry points ``boundlab.plugins``, ``BOUNDLAB_PLUGINS``) are loaded before collection;
* the fixture ``boundlab_seed`` is the master seed (``pytest --boundlab-seed N``, default 0) and
  ``seeded_runs(problem, algorithm, runs=..., iterations=..., **kw)`` simulates with it;
* :func:`assert_bound` / :func:`assert_equality` run one check through ``boundlab verify``'s statistics
  (per-run sides from the encoded statement, intervals at the Bonferroni level of the checks asserted
  together, divergence counted as a failure) and fail the test with the report's row;
* :func:`operator_contract` and :func:`algorithm_contract` *generate* the contract battery for any
  registered operator or algorithm::

      from boundlab.testing import algorithm_contract, operator_contract
      test_my_operator = operator_contract("ternary", "ternary:scale=2", d=20)
      test_my_algorithm = algorithm_contract("repeat-qsgd", {"up": "ternary", "m": 2})

  Operators: unbiasedness, omega against the declared value (the closed-form variance when the
  operator declares one, Monte Carlo otherwise), the worst case found numerically against the declared
  omega, the bits floor (an alarm), bits (non-negative, mean = ``expected_bits``),
  determinism and batch invariance (the same bits however the runs are split), shapes (and the input
  left unmodified); biased operators: the contraction factor on every draw. Algorithms: runs finite
  on a small quadratic, bit-identical under any batching, bits counted, a documented update rule,
  and every result in ``bounds`` known to the theory with every constant it needs resolved
  (:mod:`boundlab.simulate.constants`).

Statistical items use fixed seeds and z = 5 (a two-sided normal tail of 5.7e-7 per compared
coordinate: a correct operator fails by chance less than once in a thousand runs of a battery of
~2,000 coordinates, Bonferroni).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

Z = 5.0          # see the module docstring
DRAWS = 20_000   # draws per Monte-Carlo item


# ---------------------------------------------------------------------------------------- pytest hooks
def pytest_addoption(parser) -> None:
    group = parser.getgroup("boundlab")
    group.addoption("--boundlab-seed", type=int, default=0, help="master seed of boundlab's seeded fixtures")


def pytest_configure(config) -> None:
    """Load boundlab's plug-ins (installed entry points, BOUNDLAB_PLUGINS) before the tests are collected, as every
    boundlab command does."""
    from boundlab.plugins import load_all
    load_all()


@pytest.fixture
def boundlab_seed(request) -> int:
    """The master seed (``--boundlab-seed``, default 0)."""
    try:
        return int(request.config.getoption("--boundlab-seed"))
    except ValueError:   # the plug-in was not registered as a pytest plugin (imported by hand)
        return 0


@pytest.fixture
def seeded_runs(boundlab_seed):
    """``seeded_runs(problem, algorithm, runs=..., iterations=..., **kw)``: boundlab.simulate.simulate with the
    master seed (progress bars off)."""
    from boundlab.simulate import simulate

    def run(problem, algorithm, runs: int = 256, iterations: int = 10, **kw):
        kw.setdefault("progress", False)
        return simulate(problem, algorithm, n_runs=runs, n_iter=iterations, seed=boundlab_seed, **kw)
    return run


# ---------------------------------------------------------------------------------------- bounds
def assert_checks(checks, seed: int = 0, alpha: float = 0.01, allow_inconclusive: bool = False) -> None:
    """Run ``checks`` (boundlab.verify checks) with the suite's statistics; fail unless every asserted one holds
    (with ``allow_inconclusive``, an upper bound whose interval straddles it passes too) and every negative
    control fails."""
    from boundlab.verify.report import render
    from boundlab.verify.suite import run_items
    checks = list(checks) if isinstance(checks, (list, tuple)) else [checks]
    report = run_items(checks, "pytest", seed, alpha=alpha, jobs=1)
    ok = {"holds", "inconclusive"} if allow_inconclusive else {"holds"}
    bad = [r for r in report.rows if (r.role == "assert" and (r.verdict not in ok or not r.hypotheses_ok))
           or (r.role == "control" and r.verdict != "violated")]
    if bad:
        pytest.fail("boundlab check failed:\n" + render(report, "table").split("\n\nmeasured:")[0], pytrace=False)


def _check(result: str, kind: str, algorithm: str, params: dict, problem: dict | None, runs: int, iterations: int,
           at: Iterable[int] | None, name: str | None, **options):
    from boundlab.verify.checks import Check, Setting
    gamma = options.pop("gamma", "theory")
    problem_kind = options.pop("problem_kind", "quadratic")
    problem = dict(problem if problem is not None else {"N": 10, "d": 10, "L": 1.0, "mu": 0.0, "sigma": 1.0})
    at = tuple(at) if at is not None else (iterations,)
    return Check(name or f"{result} {algorithm}", result, kind,
                 Setting(problem, algorithm, dict(params), gamma=gamma, problem_kind=problem_kind),
                 runs, iterations, at, **options)


def assert_bound(result: str, algorithm: str, params: dict | None = None, *, problem: dict | None = None,
                 runs: int = 2000, iterations: int = 20, at: Iterable[int] | None = None, seed: int = 0,
                 alpha: float = 0.01, name: str | None = None, allow_inconclusive: bool = False, **options) -> None:
    """Assert that theory result ``result`` (an upper bound or a recursion) holds in expectation for
    ``algorithm`` with ``params`` on ``problem`` (keyword arguments of the quadratic builder, or of
    ``problem_kind=``), at the checkpoints ``at`` (default: the last). Other options: those of
    :class:`boundlab.verify.checks.Check` (``bindings``, ``constants``, ``assume``...) and ``gamma``."""
    assert_checks([_check(result, "upper", algorithm, params or {}, problem, runs, iterations, at, name, **options)],
                  seed, alpha, allow_inconclusive)


def assert_equality(result: str, algorithm: str, params: dict | None = None, *, problem: dict | None = None,
                    runs: int = 20_000, iterations: int = 5, at: Iterable[int] | None = None, seed: int = 0,
                    alpha: float = 0.01, name: str | None = None, **options) -> None:
    """Assert that ``result`` is attained: the interval of E[lhs]/E[rhs] contains 1 (see :func:`assert_bound`)."""
    assert_checks([_check(result, "equality", algorithm, params or {}, problem, runs, iterations, at, name,
                          **options)], seed, alpha)


# ---------------------------------------------------------------------------------------- operators
def _vectors(d: int) -> list[np.ndarray]:
    """Test points: generic, a basis vector, a constant vector, multi-scale with zeros."""
    rng = np.random.default_rng(123)
    e1 = np.zeros(d)
    e1[0] = 3.0
    multi = rng.standard_normal(d) * np.logspace(-3, 1, d)
    multi[::5] = 0.0
    return [rng.standard_normal(d), e1, np.full(d, -0.7), multi]


def _draws(op, x: np.ndarray, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    y, bits = op.compress(np.tile(x, (draws, 1)), np.random.default_rng(seed))
    return y, np.broadcast_to(np.asarray(bits, dtype=float), (draws,))


def operator_unbiased(op, d: int, draws: int = DRAWS) -> None:
    """E[C(x)] = x coordinate by coordinate, within Z standard errors (exact variance when declared)."""
    for x in _vectors(d):
        y, _ = _draws(op, x, draws, 7)
        cv = op.coord_variance(x)
        se = np.sqrt((cv if cv is not None else y.var(axis=0, ddof=1)) / draws)
        err = np.abs(y.mean(axis=0) - x)
        # coordinates with zero variance must be exact up to rounding of the scalings (1e-12 relative)
        assert np.all(err <= Z * se + 1e-12 * (1 + np.abs(x))), (op.spec, "biased at", x)


def operator_omega(op, d: int, draws: int = DRAWS) -> None:
    """E||C(x) - x||^2 <= omega ||x||^2: from the closed form if the operator declares one (equality for a tight
    operator, and the closed form against Monte Carlo), else by Monte Carlo within Z standard errors."""
    omega = op.omega(d)
    assert np.isfinite(omega) and omega >= 0, (op.spec, "omega", omega)
    xs = np.vstack(_vectors(d))
    exact = op.variance(xs)
    norm2 = np.sum(xs * xs, axis=1)
    if exact is not None:
        assert np.all(exact <= omega * norm2 * (1 + 1e-12) + 1e-300), (op.spec, "closed-form variance above omega")
        if op.tight:
            np.testing.assert_allclose(exact, omega * norm2, rtol=1e-12, err_msg=f"{op.spec}: declared tight")
    for i, x in enumerate(_vectors(d)):
        y, _ = _draws(op, x, draws, 11)
        sq = np.sum((y - x) ** 2, axis=1)
        se = sq.std(ddof=1) / np.sqrt(draws)
        assert sq.mean() <= omega * norm2[i] + Z * se + 1e-12, (op.spec, "Monte Carlo above omega ||x||^2", x)
        if exact is not None:
            assert abs(sq.mean() - exact[i]) <= Z * se + 1e-12, (op.spec, "Monte Carlo != closed form", x)


def operator_contraction(op, d: int, draws: int = 500) -> None:
    """A biased operator: ||C(x) - x||^2 <= q ||x||^2 on every draw, q < 1; it has no omega."""
    from boundlab.errors import BoundlabError
    q = op.contraction(d)
    assert 0 <= q < 1, (op.spec, "contraction", q)
    rng = np.random.default_rng(3)
    xs = np.vstack(_vectors(d) + [rng.standard_normal((draws, d))])
    y, _ = op.compress(xs, rng)
    assert np.all(np.sum((y - xs) ** 2, axis=1) <= q * np.sum(xs ** 2, axis=1) * (1 + 1e-12)), op.spec
    with pytest.raises(BoundlabError):
        op.omega(d)


def operator_bits(op, d: int, draws: int = DRAWS) -> None:
    """Bits per message finite, >= 0, and their mean equal to ``expected_bits(d)`` (within Z standard errors)."""
    expected = op.expected_bits(d)
    assert np.isfinite(expected) and expected > 0, (op.spec, "expected_bits", expected)
    _, bits = _draws(op, _vectors(d)[0], draws, 17)
    assert np.all(np.isfinite(bits)) and np.all(bits >= 0), (op.spec, "bits")
    se = bits.std(ddof=1) / np.sqrt(draws)
    assert abs(bits.mean() - expected) <= Z * se + 1e-9 * expected, (op.spec, "mean bits", bits.mean(), expected)


def operator_determinism(op, d: int) -> None:
    """The same seed gives the same bits, and runs split into blocks (boundlab.simulate.rng) give the same bits as
    all at once: the operator draws one row per (run, worker), runs first."""
    from boundlab.simulate.rng import BLOCK_SIZE, StreamRNG
    x = np.tile(_vectors(d)[0], (2 * BLOCK_SIZE, 3, 1))
    whole, _ = op.compress(x.copy(), StreamRNG(5, 3, 0, 2 * BLOCK_SIZE))
    again, _ = op.compress(x.copy(), StreamRNG(5, 3, 0, 2 * BLOCK_SIZE))
    first, _ = op.compress(x[:BLOCK_SIZE].copy(), StreamRNG(5, 3, 0, BLOCK_SIZE))
    second, _ = op.compress(x[BLOCK_SIZE:].copy(), StreamRNG(5, 3, BLOCK_SIZE, 2 * BLOCK_SIZE))
    assert np.array_equal(whole, again), (op.spec, "not deterministic")
    assert np.array_equal(whole, np.concatenate([first, second])), (op.spec, "depends on how the runs are batched")


def operator_shapes(op, d: int) -> None:
    """Output shape = input shape for (runs, workers, d) and (runs, d); bits broadcast to the message axes; the
    input is not modified; independent draws per row."""
    for shape in ((3, 4, d), (5, d)):
        x = np.tile(_vectors(d)[0], shape[:-1] + (1,))
        before = x.copy()
        y, bits = op.compress(x, np.random.default_rng(0))
        assert y.shape == x.shape, (op.spec, "shape", y.shape, x.shape)
        assert np.array_equal(x, before), (op.spec, "compress() modified its input")
        np.broadcast_to(np.asarray(bits, dtype=float), x.shape[:-1])
    if op.unbiased and (not getattr(op, "relative", True) or op.omega(d) > 0):
        flat = op.compress(np.tile(_vectors(d)[0], (12, 1)), np.random.default_rng(1))[0]
        assert not np.all(flat == flat[0]), (op.spec, "every row drew the same randomness")


def operator_error_variance(op, d: int, draws: int = DRAWS) -> None:
    """An operator with an absolute error (``relative = False``): E||C(x) - x||^2 = ``error_variance(d)`` at every
    test vector, within Z standard errors."""
    target = op.error_variance(d)
    for x in _vectors(d):
        y, _ = _draws(op, x, draws, 19)
        sq = np.sum((y - x) ** 2, axis=1)
        se = sq.std(ddof=1) / np.sqrt(draws)
        assert abs(sq.mean() - target) <= Z * se + 1e-12, (op.spec, "error variance", sq.mean(), target, x)


def operator_worst_case(op, d: int, draws: int = DRAWS) -> None:
    """The worst case found numerically (boundlab.simulate.operators.worst_case_omega: a search over x on the
    closed-form variance) is at most the declared omega, and equal to it (1e-6 relative) for an operator declared
    tight; skipped without a closed-form variance (the Monte-Carlo omega item covers it)."""
    from boundlab.simulate.operators import worst_case_omega
    found = worst_case_omega(op, d)
    if not np.isfinite(found):
        return
    declared = op.omega(d)
    assert found <= declared * (1 + 1e-9) + 1e-12, (op.spec, "worst case found above the declared omega", found)
    if op.tight:
        assert found == pytest.approx(declared, rel=1e-6), (op.spec, "declared tight but the worst case is lower")


def operator_floor(op, d: int, draws: int = DRAWS) -> None:
    """(bits per coordinate, omega) not below the alarm floor omega >= 1/(4^(b/d) - 1) (THEORY-SEEDS.md 6.4, derived
    from an unverified recollection [M3]; not seed 003's bound): below it, the bits or the omega are misstated."""
    from boundlab.simulate.operators import bits_floor
    omega = op.omega(d)
    if omega > 0:
        floor = bits_floor(op.max_bits(d) / d if hasattr(op, "max_bits") else op.expected_bits(d) / d)
        assert omega >= floor * (1 - 1e-9), (op.spec, "below the bits floor", omega, floor)


def operator_items(op) -> list[str]:
    items = ["shapes", "determinism", "bits"]
    if op.unbiased and getattr(op, "relative", True):
        items += ["worst_case", "floor"]
    if not op.unbiased:
        return items + ["contraction"]
    return items + ["unbiased", "omega" if getattr(op, "relative", True) else "error_variance"]


_OPERATOR_ITEMS: dict[str, Callable] = {
    "shapes": lambda op, d, n: operator_shapes(op, d), "determinism": lambda op, d, n: operator_determinism(op, d),
    "bits": operator_bits, "unbiased": operator_unbiased, "omega": operator_omega,
    "contraction": lambda op, d, n: operator_contraction(op, d), "error_variance": operator_error_variance,
    "worst_case": operator_worst_case, "floor": operator_floor}


def operator_contract(*specs: str, d: int = 20, draws: int = DRAWS) -> Callable:
    """A pytest test function checking the contract of every operator spec given (assign it to a ``test_`` name)."""
    from boundlab.simulate import make_compressor
    cases = []
    for spec in specs:
        op = make_compressor(spec)
        op.check_dimension(d)
        cases += [pytest.param(spec, item, id=f"{spec}-{item}") for item in operator_items(op)]

    @pytest.mark.parametrize("spec, item", cases)
    def test_operator_contract(spec: str, item: str) -> None:
        _OPERATOR_ITEMS[item](make_compressor(spec), d, draws)
    return test_operator_contract


# ---------------------------------------------------------------------------------------- algorithms
SMALL = {"N": 4, "d": 6, "L": 1.0, "mu": 0.1, "sigma": 1.0}


def algorithm_runs(name: str, params: dict, problem: dict | None = None) -> None:
    """Runs on a small quadratic at the theory's step (or gamma = 0.01 without one): records of the right shape,
    no divergence, finite distances."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    prob = quadratic(**(problem or SMALL), seed=0)
    algo = make_algorithm(name, dict(params))
    algo.setup(prob)
    gamma = "theory" if algo.gamma_bound(prob) is not None else 0.01
    res = simulate(prob, algo, n_runs=8, n_iter=20, gamma=gamma, progress=False)
    assert res["dist2"].shape == (8, 21)
    assert not res.diverged.any(), (name, "diverged on a small quadratic at the theory's step")
    assert np.all(np.isfinite(res["dist2"])) and np.all(np.isfinite(res["excess_loss"]))


def algorithm_determinism(name: str, params: dict, problem: dict | None = None) -> None:
    """The same seed gives the same bits, whatever the batching of the runs."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    from boundlab.simulate.rng import BLOCK_SIZE
    prob = quadratic(**(problem or SMALL), seed=0)
    out = []
    for batch in (2 * BLOCK_SIZE, BLOCK_SIZE):
        algo = make_algorithm(name, dict(params))
        algo.setup(prob)
        gamma = "theory" if algo.gamma_bound(prob) is not None else 0.01
        out.append(simulate(prob, algo, n_runs=2 * BLOCK_SIZE, n_iter=5, gamma=gamma, seed=3, batch_runs=batch,
                            progress=False))
    for rec in out[0].records:
        np.testing.assert_array_equal(out[0][rec], out[1][rec], err_msg=f"{name}: {rec} depends on the batching")


def algorithm_bits(name: str, params: dict, problem: dict | None = None) -> None:
    """Bits are counted: non-decreasing, and positive after one iteration on every link that sends something."""
    from boundlab.simulate import make_algorithm, quadratic, simulate
    prob = quadratic(**(problem or SMALL), seed=0)
    algo = make_algorithm(name, dict(params))
    res = simulate(prob, algo, n_runs=4, n_iter=3, gamma=0.01, allow_large_step=True, progress=False)
    up = res["bits_up"]
    assert np.all(np.diff(up, axis=1) >= 0) and np.all(up[:, -1] > 0), (name, "uplink bits not counted")
    assert np.all(np.diff(res["bits_down"], axis=1) >= 0), (name, "downlink bits decrease")


def algorithm_documented(name: str, params: dict, problem: dict | None = None) -> None:
    """The class states its update rule in its docstring (one rule per algorithm, in one place)."""
    from boundlab.simulate import ALGORITHMS
    doc = (ALGORITHMS.factory(name).__doc__ or "").strip()
    assert len(doc) >= 40 and "=" in doc, (name, "its docstring must state the update rule (with its equations)")


def algorithm_bounds(name: str, params: dict, problem: dict | None = None) -> None:
    """Every result the algorithm names in ``bounds`` exists, and every constant it needs (not a measured record)
    is resolved by the algorithm and the problem (:mod:`boundlab.simulate.constants`), gamma and k aside."""
    from boundlab.simulate import make_algorithm, quadratic
    from boundlab.simulate.constants import resolve_constants
    from boundlab.theory import get
    from boundlab.theory.symbols import INFO
    from boundlab.verify.checks import needed_symbols
    algo = make_algorithm(name, dict(params))
    values = resolve_constants(quadratic(**(problem or SMALL), seed=0), algo, 0.01).theory_values()
    for result in type(algo).bounds:
        get(result)
        missing = sorted(n for n in needed_symbols(result) if INFO[n].kind == "constant" and n not in values
                         and n not in ("gamma", "k", "K", "C", "x_norm2"))
        assert not missing, (name, result, "constants not resolved (add them to Algorithm.constants())", missing)


_ALGORITHM_ITEMS: dict[str, Callable] = {"runs": algorithm_runs, "determinism": algorithm_determinism,
                                         "bits": algorithm_bits, "documented": algorithm_documented,
                                         "bounds": algorithm_bounds}


def algorithm_contract(name: str, params: dict | None = None, problem: dict | None = None) -> Callable:
    """A pytest test function checking the contract of algorithm ``name`` with ``params`` (assign it to a
    ``test_`` name); ``problem``: keyword arguments of the small quadratic it runs on."""
    params = dict(params or {})

    @pytest.mark.parametrize("item", list(_ALGORITHM_ITEMS))
    def test_algorithm_contract(item: str) -> None:
        _ALGORITHM_ITEMS[item](name, params, problem)
    return test_algorithm_contract

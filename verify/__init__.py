"""boundlab.verify: every bound of ``boundlab.theory`` checked against ``boundlab.simulate``.

>>> from boundlab.verify import run_suite
>>> report = run_suite("quick", seed=0)       # doctest: +SKIP
>>> report.exit_code, report.to_frame()[["check", "ratio", "verdict"]]   # doctest: +SKIP

Each check (:mod:`~boundlab.verify.checks`) simulates a setting that satisfies its result's
hypotheses and evaluates both sides of the encoded statement per run; the suite
(:mod:`~boundlab.verify.suite`) judges them with the statistics of :mod:`~boundlab.verify.stats`.
"""
__all__ = ["Report", "Row", "run_suite"]


def __getattr__(name: str):
    # Lazy: `boundlab verify --help` and `boundlab worst --help` do not pay for scipy.stats and the theory.
    if name in __all__:
        from boundlab.verify import suite
        return getattr(suite, name)
    raise AttributeError(f"module 'boundlab.verify' has no attribute {name!r}")

"""The README section documents every config key, and its example configurations run."""
from __future__ import annotations

import re

import numpy as np
import pytest
import tomllib
from pathlib import Path

from boundlab.simulate import ALGORITHMS, COMPRESSORS
from boundlab.simulate.config import flatten, keys, resolve, run_config

README = Path(__file__).resolve().parents[1] / "docs" / "guide.md"   # the user guide (the README links it)


def _text() -> str:
    return README.read_text()


def test_every_key_algorithm_and_operator_is_documented():
    text = _text()
    for key in keys():
        assert f"`{key.dotted}`" in text and f"`{key.flag}`" in text, key.dotted
    for name in ALGORITHMS.names():
        if not name.startswith("test-"):
            assert f"`{name}" in text, name
    for name in COMPRESSORS.names():
        if not name.startswith("test-"):
            assert f"`{name}" in text, name


def test_example_configs_run():
    blocks = re.findall(r"```toml\n(.*?)```", _text(), flags=re.S)
    blocks = [b for b in blocks if "grid]" not in b]    # sweep specs: tests/test_sweep_run.py runs them
    assert len(blocks) == 3
    full = flatten(tomllib.loads(blocks[0]))
    small = {"runs": "3", "iterations": "5"}                      # flags beat the file
    res = run_config(resolve(full, small), progress=False)
    assert res.n_runs == 3 and res.meta["algorithm"]["name"] == "mcm"
    ls = flatten(tomllib.loads(blocks[1]))
    res = run_config(resolve(ls, {**small, "problem.n_per_worker": "20"}), progress=False)
    assert res.meta["problem"]["sigma2_radius"] is not None


@pytest.mark.parametrize("graph", ["ring", "torus", "complete", "star", "erdos-renyi:p=0.5,seed=1",
                                   "geometric:radius=0.7,seed=1"])
@pytest.mark.parametrize("algorithm, compressor", [("d-psgd", None), ("naive-gossip", "randk:k=3"),
                                                   ("dcd-psgd", "randk:k=3"), ("ecd-psgd", "dither:step=0.2"),
                                                   ("choco-sgd", "topk:k=2")])
def test_the_decentralized_config_runs_every_algorithm_on_every_graph(algorithm, compressor, graph):
    """The README's decentralized TOML, with each algorithm and each graph (flags beat the file)."""
    block = [b for b in re.findall(r"```toml\n(.*?)```", _text(), flags=re.S) if "dcd-psgd" in b][0]
    flags = {"runs": "64", "iterations": "20", "algorithm.name": algorithm, "algorithm.graph": graph,
             "algorithm.compressor": compressor}
    if algorithm == "d-psgd":
        flags["algorithm.compressor"] = None
        doc = tomllib.loads(block)
        del doc["algorithm"]["compressor"]
    else:
        doc = tomllib.loads(block)
    res = run_config(resolve(flatten(doc), flags), progress=False)
    assert res.n_runs == 64 and not res.diverged.any() and res.meta["algorithm"]["n"] == 9
    assert np.all(np.isfinite(res["consensus2"])) and np.all(res["bits_up"][:, -1] > 0)

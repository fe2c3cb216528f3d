"""The example plug-in (examples/plugin) installed and used exactly as a user would: pip install, then the
command line (simulate from flags and TOML, verify --suite, a wrong bound failing), then pytest with the
boundlab.testing plugin. It is installed with ``pip install --target`` into a temporary folder put on
PYTHONPATH, so that its entry point is found and the test environment is left as it was."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    # from a copy: pip builds in the source tree (build/, *.egg-info), and the checkout stays as it was
    source = tmp_path_factory.mktemp("source") / "plugin"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)]
    if all(importlib.util.find_spec(m) is not None for m in ("setuptools", "wheel")):
        cmd.insert(4, "--no-build-isolation")    # build with the environment's own setuptools (no download)
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("BOUNDLAB_PLUGINS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def boundlab(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "boundlab", *args], env=env, capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_simulated_from_flags_and_toml(installed, tmp_path):
    out = tmp_path / "run.csv"
    r = boundlab(installed, "simulate", "--algorithm.name", "repeat-qsgd", "--algorithm.up", "ternary",
                 "--algorithm.m", "3", "--runs", "64", "--iterations", "10", "--out", str(out))
    assert r.returncode == 0, r.stderr
    meta = json.loads(Path(str(out) + ".meta.json").read_text())
    consts = meta["result"]["constants"]
    assert consts["values"]["m"] == 3 and consts["step_bound"] == "gamma_up_repeat"
    # the bound of the run evaluated straight from its output
    r = boundlab(installed, "theory", "gamma_up_repeat", "--from-run", str(out))
    assert r.returncode == 0 and f"{consts['gamma_bound']:.6g}" in r.stdout, r.stdout + r.stderr
    toml = tmp_path / "c.toml"
    toml.write_text('runs = 64\niterations = 5\n[algorithm]\nname = "repeat-qsgd"\nup = "ternary"\nm = 2\n')
    assert boundlab(installed, "simulate", str(toml)).returncode == 0
    bad = boundlab(installed, "simulate", "--algorithm.name", "repeat-qsgd", "--algorithm.m", "0")
    assert bad.returncode == 2 and "algorithm.m (compressions per worker) must be an integer >= 1" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_verified_with_its_suite(installed):
    r = boundlab(installed, "verify", "--suite", "example", "--power")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "repeat_second_moment rand-k m=3" in r.stdout and "fails as it must" in r.stdout
    assert "repeat_second_moment 6/6" in r.stdout          # the power matrix sees every constant of the result
    listed = boundlab(installed, "verify", "--suite", "boundlab_example.checks", "--list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4


def test_a_wrong_bound_fails_the_run(installed):
    r = boundlab(installed, "verify", "--suite", "boundlab_example.wrong")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "violated" in r.stdout


def test_its_contract_battery_runs_under_pytest(installed, tmp_path):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
                       env=installed, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout

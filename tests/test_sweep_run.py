"""`boundlab sweep`: spec parsing, cache keys, same numbers whatever the jobs, failures, kill-and-resume."""
from __future__ import annotations

import json

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from boundlab import cli as boundlab_cli
from boundlab.errors import BoundlabError
from boundlab.simulate import RECORDS
from boundlab.simulate import config as C
from boundlab.simulate import sweep as S

SPEC = """
out = "{out}"
[base]
runs = {runs}
iterations = {iterations}
checkpoints = 10
[base.problem]
N = 5
d = 8
sigma = 0.5
[base.algorithm]
up = "qsgd:s=1"

[[grid]]
"algorithm.name" = ["mcm", "artemis"]
"algorithm.down" = ["qsgd:s=1", "randk:k=2"]
seed = {seeds}

[[grid]]
"algorithm.name" = ["diana"]
seed = [1]
"""


def write_spec(tmp_path, name="s.toml", out="res", runs=70, iterations=30, seeds="[1, 2]", extra=""):
    path = tmp_path / name
    path.write_text(SPEC.format(out=out, runs=runs, iterations=iterations, seeds=seeds) + extra)
    return str(path)


def test_points_are_the_grids_products_in_order(tmp_path):
    spec = S.load_spec(write_spec(tmp_path))
    assert len(spec.points) == 2 * 2 * 2 + 1
    assert [p.index for p in spec.points] == list(range(9))
    assert spec.points[0].params == {"algorithm.name": "mcm", "algorithm.down": "qsgd:s=1", "seed": 1}
    assert spec.points[1].params["seed"] == 2                      # the last key varies fastest
    assert spec.points[8].params == {"algorithm.name": "diana", "seed": 1}
    assert spec.points[8].cfg["algorithm.down"] is None and spec.points[8].cfg["runs"] == 70
    assert spec.out == str(tmp_path / "res")                       # relative to the spec file
    assert len({p.key for p in spec.points}) == 9


def test_cache_key_covers_what_changes_numbers_only(tmp_path):
    spec = S.load_spec(write_spec(tmp_path))
    cfg = spec.points[0].cfg
    same = dict(cfg, batch_runs=64, jobs=2, out="elsewhere.csv")   # memory/parallelism/output only
    assert S.cache_key(same) == S.cache_key(cfg)
    for key, value in (("seed", 99), ("runs", 71), ("problem.sigma", 0.25), ("algorithm.up", "qsgd:s=2"),
                       ("gamma", 0.001)):
        assert S.cache_key(dict(cfg, **{key: value})) != S.cache_key(cfg), key
    material = S.key_material(cfg)
    assert {"boundlab", "numpy", "block_size", "cache_format"} <= set(material)
    # a data file's contents are part of the key
    data = tmp_path / "d.csv"
    data.write_text("1,2,3\n4,5,6\n7,8,10\n")
    ls = C.resolve({"problem.kind": "least_squares", "problem.data": f"file:{data}", "problem.N": 2}, {})
    k1 = S.cache_key(ls)
    data.write_text("1,2,3\n4,5,6\n7,8,11\n")
    assert S.cache_key(ls) != k1


@pytest.mark.parametrize("doc, message", [
    ({"grids": {}}, "unknown sweep spec key 'grids' (did you mean 'grid'?)"),
    ({"grid": {"seed": []}}, "grid.seed must be a non-empty list"),
    ({"grid": {"seed": 1}}, "grid.seed must be a non-empty list"),
    ({"grid": {"sed": [1]}}, "unknown config key 'sed' (did you mean 'seed'?)"),
    ({"grid": {"jobs": [1, 2]}}, "grid.jobs: 'jobs' does not change the numbers"),
    ({"grid": {"processes": [1, 2]}}, "grid.jobs: 'jobs' does not change the numbers"),   # the old name
    ({"base": {"seed": 1}, "grid": {"seed": [1, 2]}}, "grid.seed is also set in base"),
    ({"base": {"out": "x.csv"}}, "base.out is not allowed in a sweep"),
    ({"grid": {"runs": [0, "many"]}}, "grid point 1 (runs='many'): runs must be an integer"),
])
def test_bad_specs_are_one_line_errors(doc, message):
    with pytest.raises(BoundlabError) as err:
        S.parse_spec(doc, out="o")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_cli_bad_input_exits_2(tmp_path, capsys):
    spec = write_spec(tmp_path)
    assert boundlab_cli.main(["sweep", spec, "--jobs", "0"]) == 2
    assert "jobs must be an integer >= 1" in capsys.readouterr().err
    assert boundlab_cli.main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "sweep spec not found" in capsys.readouterr().err


def test_same_rows_whatever_the_jobs_and_equal_to_simulate(tmp_path):
    spec1 = write_spec(tmp_path, "a.toml", out="a")
    spec2 = write_spec(tmp_path, "b.toml", out="b")
    r1 = S.run_sweep(S.load_spec(spec1), jobs=1)
    r2 = S.run_sweep(S.load_spec(spec2), jobs=2)
    assert (r1.computed, r2.computed, r1.failed, r2.failed) == (9, 9, {}, {})
    # identical files, byte for byte (the CSV keeps 17 significant digits)
    assert (tmp_path / "a" / "results.csv").read_bytes() == (tmp_path / "b" / "results.csv").read_bytes()
    df = pd.read_csv(tmp_path / "a" / "results.csv")
    assert len(df) == 9 * 70 * 4 and not df.duplicated(["config", "run", "k"]).any()
    # each point's rows are exactly what `boundlab simulate` gives for the same config
    point = S.load_spec(spec1).points[5]
    res = C.run_config(point.cfg, progress=False)
    rows = df[df.config == 5]
    for name in RECORDS:
        np.testing.assert_array_equal(rows[name].to_numpy(), res[name].reshape(-1))
    assert rows["algorithm.name"].iloc[0] == "artemis" and rows["gamma_used"].iloc[0] == res.meta["gamma"]
    # self-describing rows (the describing columns of `boundlab simulate`), the same table as parquet, and the
    # environment in sweep.json
    assert rows["algorithm"].iloc[0] == "artemis" and rows["omega_up"].iloc[0] == res.meta["algorithm"]["omega_up"]
    pq = pd.read_parquet(tmp_path / "a" / "results.parquet")
    assert list(pq.columns) == list(df.columns) and len(pq) == len(df)
    np.testing.assert_array_equal(pq.excess_loss.to_numpy(), df.excess_loss.to_numpy())
    assert json.loads((tmp_path / "a" / "sweep.json").read_text())["environment"]["numpy"] == np.__version__


def test_an_invalid_point_stops_the_sweep_before_anything_runs(tmp_path, capsys):
    # randk:k=9 > d = 8 is refused when the spec is validated as a whole: one line naming the point, exit 2,
    # no point computed (issue 11: sweep specs validated as a whole before the first point runs)
    extra = '\n[[grid]]\n"algorithm.name" = ["mcm", "artemis"]\n"algorithm.down" = ["randk:k=1", "randk:k=9"]\n'
    spec_path = write_spec(tmp_path, seeds="[1]", extra=extra)
    assert boundlab_cli.main(["sweep", spec_path]) == 2
    err = capsys.readouterr().err
    assert "grid point 6" in err and "randk: k must be in [1, d=8], got k=9" in err and len(err.strip().splitlines()) == 1
    spec_out = os.path.splitext(spec_path)[0] + ".sweep"
    assert not os.path.exists(os.path.join(spec_out, "cache")) or not _cached(os.path.join(spec_out, "cache"))


def test_a_failing_point_is_reported_not_cached_and_the_others_complete(tmp_path, capsys, monkeypatch):
    # a point that fails while it runs (here: a simulated fault in run_point for two configurations)
    extra = '\n[[grid]]\n"algorithm.name" = ["mcm", "artemis"]\n"algorithm.down" = ["randk:k=1", "randk:k=2"]\n'
    spec_path = write_spec(tmp_path, seeds="[1]", extra=extra)
    real = S.run_point

    def faulty(cfg):
        if cfg["algorithm.down"] == "randk:k=2":
            raise RuntimeError("simulated fault")
        return real(cfg)

    monkeypatch.setattr(S, "run_point", faulty)
    assert boundlab_cli.main(["sweep", spec_path]) == 1
    err = capsys.readouterr().err
    assert "point 6 FAILED" in err and "simulated fault" in err
    spec = S.load_spec(spec_path)
    cache = S.Cache(os.path.join(spec.out, "cache"))
    failed = [p for p in spec.points if p.cfg["algorithm.down"] == "randk:k=2"]
    assert [p.index for p in failed] == [1, 3, 6, 8]   # (the first grid's points 1 and 3 use randk:k=2 as well)
    assert not any(cache.has(p.key) for p in failed)
    assert all(cache.has(p.key) for p in spec.points if p not in failed)
    df = pd.read_csv(os.path.join(spec.out, "results.csv"))
    assert sorted(df.config.unique()) == [0, 2, 4, 5, 7]
    # a rerun retries the failed points only (and they fail again)
    report = S.run_sweep(spec)
    assert (report.computed, sorted(report.failed)) == (0, [1, 3, 6, 8])


def test_identical_points_are_computed_once(tmp_path):
    spec = S.parse_spec({"base": {"runs": 3, "iterations": 5}, "grid": {"gamma": ["theory", "theory"]}},
                        out=str(tmp_path / "o"))
    report = S.run_sweep(spec)
    assert report.computed == 1 and not report.failed
    df = pd.read_csv(tmp_path / "o" / "results.csv")
    assert sorted(df.config.unique()) == [0, 1]


def _cached(folder) -> set[str]:
    return {f for f in os.listdir(folder) if f.endswith(".npz") and not f.startswith(".tmp-")}


def _sweep_cmd(spec: str, jobs: int) -> list[str]:
    return [sys.executable, "-m", "boundlab", "sweep", spec, "--jobs", str(jobs)]


def test_killed_sweep_restarted_gives_exactly_the_rows_of_an_uninterrupted_one(tmp_path):
    """SIGKILL a real sweep process (and its pool) after some points are cached, restart it, and
    compare with a sweep that ran without interruption: identical bytes, nothing lost or duplicated."""
    kw = dict(runs=300, iterations=400, seeds="[1, 2, 3, 4]")   # 17 points, ~0.2 s each on 2 cores
    full = write_spec(tmp_path, "full.toml", out="full", **kw)
    cut = write_spec(tmp_path, "cut.toml", out="cut", **kw)
    n_points = len(S.load_spec(full).points)
    assert n_points == 17
    cache_dir = tmp_path / "cut" / "cache"
    proc = subprocess.Popen(_sweep_cmd(cut, 2), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = _cached(cache_dir) if cache_dir.exists() else []
            if len(done) >= 3:
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)            # the sweep and its pool workers, at once
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed: make it longer"
    before = _cached(cache_dir)         # a write killed midway leaves a .tmp- file, never a .npz
    assert 3 <= len(before) < n_points
    assert not (tmp_path / "cut" / "results.csv").exists()
    # restart: only the missing points are computed
    out = subprocess.run(_sweep_cmd(cut, 2), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"{len(before)} cached, {n_points - len(before)} computed, 0 failed" in out.stdout
    assert not [f for f in os.listdir(cache_dir) if f.startswith(".tmp-")]     # no leftovers
    # the uninterrupted sweep, in one process
    out = subprocess.run(_sweep_cmd(full, 1), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    a = (tmp_path / "cut" / "results.csv").read_bytes()
    b = (tmp_path / "full" / "results.csv").read_bytes()
    assert a == b
    df = pd.read_csv(tmp_path / "cut" / "results.csv")
    assert len(df) == n_points * 300 * 41 and not df.duplicated(["config", "run", "k"]).any()


BLAS_SCRIPT = """
import hashlib, sys
from boundlab.simulate import sweep as S
from boundlab.simulate.config import resolve
cfg = resolve({"runs": 64, "iterations": 3, "problem.N": 20, "problem.d": 100, "problem.B2": 0.5,
               "algorithm.up": "qsgd:s=1", "algorithm.down": "qsgd:s=1"}, {})
cfg["jobs"] = 1
p = S.run_point(cfg)
print(hashlib.sha256(p["arrays"]["rec_excess_loss"].tobytes()).hexdigest(), p["meta"]["blas_single_thread"])
"""


def test_a_point_gives_the_same_bits_whatever_the_blas_threads():
    """N = 20, d = 100, heterogeneous: above OpenBLAS's threading threshold, the products (R, N, d) @ A
    round differently on 1 and 2 threads (measured), unless run_point pins BLAS to one thread (as
    Dask's workers are by default)."""
    runs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads}
        out = subprocess.run([sys.executable, "-c", BLAS_SCRIPT], capture_output=True, text=True, env=env,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        runs.append(out.stdout.split())
    assert runs[0] == runs[1] and runs[0][1] == "True"


def test_the_readme_sweep_example_is_valid_and_runs(tmp_path):
    import re
    import tomllib
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / "guide.md").read_text()   # the user guide
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "[grid]" in b]
    assert len(blocks) == 1
    doc = tomllib.loads(blocks[0])
    doc["base"].update(runs=3, iterations=5)          # the example's sizes are for real use
    spec = S.parse_spec(doc, out=str(tmp_path / "o"))
    assert len(spec.points) == 24
    report = S.run_sweep(spec, jobs=2)
    assert report.computed == 24 and not report.failed


def test_cache_removes_only_the_temporary_files_of_dead_processes(tmp_path):
    dead = tmp_path / ".tmp-999999999-abc.npz"          # no process has this pid (above Linux's pid_max)
    mine = tmp_path / f".tmp-{os.getpid()}-def.npz"      # a write in progress in a live process
    dead.write_bytes(b"half")
    mine.write_bytes(b"half")
    S.Cache(str(tmp_path))
    assert not dead.exists() and mine.exists()

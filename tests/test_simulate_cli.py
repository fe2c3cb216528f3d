"""`boundlab simulate`: config + flags, the tidy table and its metadata, one-line errors (exit 2)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from boundlab import __version__
from boundlab import cli as boundlab_cli

CONFIG = """
seed = 7
runs = 5
iterations = 30
checkpoints = 10

[problem]
kind = "quadratic"
N = 4
d = 20
sigma = 0.5

[algorithm]
name = "mcm"
up = "qsgd:s=1"
down = "qsgd:s=1"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    return str(path)


@pytest.fixture
def boundlab_main(monkeypatch):
    """The real ``boundlab`` dispatcher with ``simulate`` listed, as it will be once integrated."""
    monkeypatch.setitem(boundlab_cli.COMMANDS, "simulate", ("boundlab.simulate.cli_simulate", "simulate"))
    return boundlab_cli.main


def test_writes_tidy_csv_and_metadata(config, tmp_path, capsys, boundlab_main):
    out = tmp_path / "r.csv"
    assert boundlab_main(["simulate", config, "--out", str(out), "--runs", "3"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""                                   # no progress bar when not a terminal
    df = pd.read_csv(out)
    from boundlab.simulate.engine import DESCRIBING
    assert list(df.columns) == [*DESCRIBING, "run", "k", "excess_loss", "excess_loss_avg", "dist2", "local_gap2", "upsilon",
                                "grad2_hat", "excess_loss_hat", "bits_up", "bits_down", "ghat2", "zeta2",
                                  "contracted_dist2", "down_noise2", "memory_residual2", "local_bias", "diverged"]
    assert sorted(df.run.unique()) == [0, 1, 2]                 # the flag beat the file's runs = 5
    assert sorted(df.k.unique()) == [0, 10, 20, 30]
    meta = json.loads((tmp_path / "r.csv.meta.json").read_text())
    assert meta["seed"] == 7 and meta["boundlab_version"] == __version__
    # the table describes itself: algorithm, operators, omegas, step, seed, problem constants in every row
    row = df.iloc[0]
    assert (row.algorithm, row.up, row.seed) == ("mcm", "qsgd:s=1", 7) and row.gamma == meta["result"]["gamma"]
    assert row.omega_up == meta["result"]["algorithm"]["omega_up"] and row.N == meta["result"]["problem"]["N"]
    env = meta["environment"]                                   # what produced it
    assert env["boundlab"] == __version__ and env["numpy"] == np.__version__ and env["engine"] in ("compiled", "numpy")
    assert env["python"] and env["platform"]
    assert meta["config"]["algorithm"]["up"] == "qsgd:s=1" and meta["config"]["runs"] == 3
    assert meta["result"]["problem"]["L"] == 1.0 and meta["result"]["gamma"] == meta["result"]["gamma_bound"]
    # the CSV keeps every digit: reading it back gives the simulated numbers
    from boundlab.simulate.config import resolve, load_toml, run_config
    res = run_config(resolve(load_toml(config), {"runs": "3"}), progress=False)
    np.testing.assert_array_equal(df.excess_loss.to_numpy(), res["excess_loss"].reshape(-1))


def test_refuses_to_overwrite(config, tmp_path, capsys, boundlab_main):
    out = tmp_path / "r.csv"
    assert boundlab_main(["simulate", config, "--out", str(out)]) == 0
    assert boundlab_main(["simulate", config, "--out", str(out)]) == 2
    assert "exists; use --overwrite" in capsys.readouterr().err
    assert boundlab_main(["simulate", config, "--out", str(out), "--overwrite"]) == 0


def test_parquet_with_embedded_metadata(config, tmp_path, boundlab_main):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "r.parquet"
    assert boundlab_main(["simulate", config, "--out", str(out)]) == 0
    table = pq.read_table(out)
    meta = json.loads(table.schema.metadata[b"boundlab"])
    assert meta["seed"] == 7 and table.num_rows == 5 * 4


def test_flags_only_and_summary(capsys, boundlab_main):
    assert boundlab_main(["simulate", "--runs", "4", "--iterations", "5", "--problem.d", "5", "--problem.N", "3",
                              "--algorithm.name", "diana", "--algorithm.up", "randk:k=2"]) == 0
    out = capsys.readouterr().out
    assert "4 runs, k = 5" in out and "excess_loss" in out


def test_jobs_is_the_name_and_processes_is_accepted_with_a_note(tmp_path, capsys, boundlab_main):
    """One vocabulary: `jobs` in every command; the old `processes` (flag or TOML key) still works, with a note."""
    base = ["simulate", "--runs", "70", "--iterations", "3", "--problem.d", "4", "--problem.N", "2"]
    assert boundlab_main(base + ["--jobs", "2", "--out", str(tmp_path / "a.csv")]) == 0
    assert "note" not in capsys.readouterr().err
    assert boundlab_main(base + ["--processes", "2", "--out", str(tmp_path / "b.csv")]) == 0
    assert "'processes' is now called 'jobs'" in capsys.readouterr().err
    (tmp_path / "c.toml").write_text("processes = 2\nruns = 70\niterations = 3\n[problem]\nd = 4\nN = 2\n")
    assert boundlab_main(["simulate", str(tmp_path / "c.toml"), "--out", str(tmp_path / "c.csv")]) == 0
    assert "'processes' is now called 'jobs'" in capsys.readouterr().err
    a, b, c = (pd.read_csv(tmp_path / f"{n}.csv") for n in "abc")
    assert a.equals(b) and a.equals(c)
    meta = json.loads((tmp_path / "b.csv.meta.json").read_text())
    assert meta["config"]["jobs"] == 2 and meta["result"]["processes"] == 2


def test_one_list_syntax_for_the_checkpoints(tmp_path, boundlab_main):
    """--checkpoints takes 0,5,10 as every list option does (and [0, 5, 10] as before): the same rows."""
    base = ["simulate", "--runs", "2", "--iterations", "20", "--problem.d", "3", "--problem.N", "2"]
    assert boundlab_main(base + ["--checkpoints", "0,5,10", "--out", str(tmp_path / "a.csv")]) == 0
    assert boundlab_main(base + ["--checkpoints", "[0, 5, 10]", "--out", str(tmp_path / "b.csv")]) == 0
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert sorted(a.k.unique()) == [0, 5, 10, 20] and a.equals(b)


def _error(argv, capsys, boundlab_main) -> str:
    assert boundlab_main(["simulate", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err      # one clear line
    return err


@pytest.mark.parametrize("argv, message", [
    (["--algorithm.name", "mcn"], "unknown algorithm 'mcn' (did you mean 'mcm'?)"),
    (["--algorithm.up", "qsdg:s=1"], "algorithm.up: unknown compressor 'qsdg' (did you mean 'qsgd'?)"),
    (["--algorithm.down", "randk:k=25"], "algorithm.down: randk: k must be in [1, d=20], got k=25"),
    (["--algorithm.up", "qsgd:s=0"], "algorithm.up: qsgd: s (number of levels) must be an integer >= 1"),
    (["--algorithm.p", "0"], "algorithm.p (participation probability) must be in (0, 1]"),
    (["--algorithm.p", "1.5"], "algorithm.p (participation probability) must be in (0, 1]"),
    (["--problem.N", "0"], "problem.N (number of workers) must be an integer >= 1"),
    (["--problem.sigma", "-1"], "problem.sigma must be a finite number >= 0"),
    (["--gamma", "0.5"], "is above the theory's bound"),
    (["--runs", "0"], "runs must be an integer >= 1"),
    (["--problem.sigma_radius", "2"], "problem.sigma_radius is not a key of problem.kind = 'quadratic'"),
    (["--out", "x.txt"], "out must end in .csv or .parquet"),
])
def test_bad_configs_give_one_line_and_exit_2(config, argv, message, capsys, boundlab_main):
    assert message in _error([config, *argv], capsys, boundlab_main)


def test_bad_files(tmp_path, capsys, boundlab_main):
    typo = tmp_path / "typo.toml"
    typo.write_text("runs = 3\n[algorithm]\nnmae = 'mcm'\n")
    assert "unknown config key 'algorithm.nmae' (did you mean 'algorithm.name'?)" in \
        _error([str(typo)], capsys, boundlab_main)
    broken = tmp_path / "broken.toml"
    broken.write_text("runs = = 3\n")
    assert "is not valid TOML" in _error([str(broken)], capsys, boundlab_main)
    assert "config file not found" in _error([str(tmp_path / "none.toml")], capsys, boundlab_main)
    data = tmp_path / "nan.csv"
    data.write_text("1,2,3\n4,nan,6\n7,8,9\n1,1,1\n")
    assert "missing or non-finite value" in _error(["--problem.kind", "least_squares", "--problem.data", f"file:{data}",
                                          "--problem.N", "2"], capsys, boundlab_main)


def test_allow_large_step_flag(config, capsys, boundlab_main):
    assert boundlab_main(["simulate", config, "--gamma", "0.5", "--allow-large-step", "--iterations", "3"]) == 0
    assert "gamma = 0.5" in capsys.readouterr().out


def test_missing_optional_extras_give_an_install_hint(config, tmp_path, capsys, boundlab_main, monkeypatch):
    """scikit-learn and pyarrow are optional: without them, one line saying what to install."""
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)          # makes `import pyarrow` fail
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert "pip install 'boundlab[parquet]'" in _error([config, "--out", str(tmp_path / "r.parquet")], capsys,
                                                       boundlab_main)
    assert "pip install 'boundlab[data]'" in _error(["--problem.kind", "least_squares", "--problem.data",
                                                     "diabetes"], capsys, boundlab_main)

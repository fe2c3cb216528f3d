"""`boundlab sweep --scheduler`: a real Dask scheduler and worker on loopback give the local numbers."""
from __future__ import annotations

import pytest

from boundlab import cli as boundlab_cli
from boundlab.simulate import sweep as S

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install "
                                  "'boundlab[dask]'): the Dask back end cannot be tested")

SPEC = """
[base]
runs = 70
iterations = 25
checkpoints = 5
[base.problem]
N = 4
d = 6
[base.algorithm]
name = "mcm"
up = "qsgd:s=1"
[grid]
"algorithm.down" = ["qsgd:s=1", "randk:k=2", "randk:k=5"]
seed = [3, 4]
"""


def test_dask_cluster_gives_the_same_rows_as_local_processes(tmp_path, capsys):
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(SPEC)
    local = S.run_sweep(S.load_spec(str(spec_path), out=str(tmp_path / "local")), jobs=1)
    assert local.computed == 6 and not local.failed
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, scheduler_port=0)
    try:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        status = boundlab_cli.main(["sweep", str(spec_path), "--out", str(tmp_path / "dask"),
                                    "--scheduler", address, "--timeout", "30"])
        assert status == 0
        err = capsys.readouterr().err
        assert "on tcp://127.0.0.1:" in err and "6 to run" in err
    finally:
        cluster.close(timeout=30)
    assert (tmp_path / "dask" / "results.csv").read_bytes() == (tmp_path / "local" / "results.csv").read_bytes()


def test_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(SPEC)
    # port 9 (discard) on loopback: nothing listens there, the connection is refused within the timeout
    assert boundlab_cli.main(["sweep", str(spec_path), "--scheduler", "tcp://127.0.0.1:9", "--timeout", "2"]) == 2
    assert "scheduler: cannot connect to 'tcp://127.0.0.1:9'" in capsys.readouterr().err


def test_a_malformed_scheduler_address_is_a_one_line_error(tmp_path, capsys):
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(SPEC)
    assert boundlab_cli.main(["sweep", str(spec_path), "--scheduler", "foo", "--timeout", "2"]) == 2
    assert "scheduler: cannot connect to 'foo': missing port number" in capsys.readouterr().err
    assert boundlab_cli.main(["sweep", str(spec_path), "--timeout", "0"]) == 2
    assert "timeout must be a number of seconds > 0, got 0.0" in capsys.readouterr().err

"""The plug-in loader (boundlab.plugins): files, modules, the environment, register() hooks, errors in one line."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from boundlab import plugins
from boundlab.errors import BoundlabError

PLUGIN = textwrap.dedent('''
    import numpy as np
    from boundlab.simulate import COMPRESSORS, Compressor
    CALLS = []

    def register():
        CALLS.append(1)

    @COMPRESSORS.register("test-plugin-sign", examples=("test-plugin-sign",))
    class HalfKeep(Compressor):
        """Keep each coordinate w.p. 1/2, scaled by 2 (omega = 1, tight)."""
        tight = True
        def omega(self, d):
            return 1.0
        def compress(self, x, rng):
            keep = rng.random(x.shape) < 0.5
            return np.where(keep, 2 * x, 0.0), 33.0 * x.shape[-1]
        def expected_bits(self, d):
            return 33.0 * d
''')


def test_split_argv_takes_plugins_anywhere():
    assert plugins.split_argv(["--plugin", "a", "simulate", "--plugin=b.py", "--runs", "3"]) == \
        (["a", "b.py"], ["simulate", "--runs", "3"])
    with pytest.raises(BoundlabError, match="--plugin needs"):
        plugins.split_argv(["simulate", "--plugin"])


def test_a_file_plugin_registers_and_its_register_hook_runs_once(tmp_path):
    path = tmp_path / "myplug.py"
    path.write_text(PLUGIN)
    from boundlab.simulate import COMPRESSORS, make_compressor
    try:
        module = plugins.load(str(path))
        plugins.load(str(path))                                   # a second load is a no-op
        assert module.CALLS == [1]
        assert make_compressor("test-plugin-sign").omega(5) == 1.0
        assert str(path) in plugins.loaded()
    finally:
        COMPRESSORS.unregister("test-plugin-sign")
        plugins._LOADED.pop(str(path), None)


@pytest.mark.parametrize("spec, message", [("no_such_module_xyz", "cannot be loaded (ModuleNotFoundError"),
                                           ("./missing_plugin.py", "no such file")])
def test_a_bad_plugin_is_one_line_and_exit_2(spec, message):
    env = {**os.environ}
    env.pop("BOUNDLAB_PLUGINS", None)
    r = subprocess.run([sys.executable, "-m", "boundlab", "--plugin", spec, "theory", "--list"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_environment_variable_and_worker_processes(tmp_path):
    """BOUNDLAB_PLUGINS loads a file; two processes (each loading the plug-in) give the bits of one."""
    path = tmp_path / "envplug.py"
    path.write_text(PLUGIN)
    env = {**os.environ, "BOUNDLAB_PLUGINS": str(path)}
    outs = []
    for processes in ("1", "2"):
        out = tmp_path / f"p{processes}.csv"
        r = subprocess.run([sys.executable, "-m", "boundlab", "simulate", "--algorithm.name", "qsgd",
                            "--algorithm.up", "test-plugin-sign", "--runs", "256", "--batch-runs", "64",
                            "--iterations", "4", "--jobs", processes, "--out", str(out)],
                           env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(out.read_text())
    assert outs[0] == outs[1]

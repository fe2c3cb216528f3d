"""The benchmarks (`python benchmarks/bench_engine.py`, `bench_verify.py`) run and report every figure they promise."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def test_quick_benchmark_reports_speed_memory_scaling_and_start_up(tmp_path):
    out = tmp_path / "b.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "worker-steps/s" in proc.stdout and "load average" in proc.stdout and "start-up" in proc.stdout
    figures = json.loads(out.read_text())
    main = figures["main"]
    assert [(r["code"], r["processes"]) for r in main] == [("compiled", 1), ("compiled", 2), ("numpy", 1),
                                                           ("numpy", 2), ("compiled", 1)]
    for r in main + figures["scaling"] + figures["small_r"]:
        assert r["worker_steps_per_s"] > 0 and r["best_s"] > 0
        assert r["worker_steps_per_s"] == r["R"] * r["N"] * r["K"] / r["best_s"]
        assert r["state_bytes"] == 3 * r["R"] * r["d"] * 8 + r["R"] * 8     # MCM: w, w_hat, H and Upsilon
        assert r["messages_bytes"] == r["R"] * r["N"] * r["d"] * 8
        assert r["peak_growth_bytes"] >= 0
    # the peak is measured from a reset high-water mark: a simulation that allocates its state shows it
    one = [r for r in main if r["processes"] == 1]
    assert all(r["peak_growth_bytes"] >= r["state_bytes"] for r in one if r["state_bytes"] > 4 << 20)
    assert {r["varied"] for r in figures["scaling"]} == {"R", "K", "d (diagonal)"}
    assert [r["diagonal"] for r in main] == [False, False, False, False, True]
    assert set(figures["startup"]["compiled"]) >= {"(none)", "simulate", "verify", "figures"}
    assert all(0 < t < 30 for t in figures["startup"]["compiled"].values())

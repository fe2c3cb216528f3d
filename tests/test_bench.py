"""The benchmark (`python benchmarks/bench_engine.py`) runs and reports every figure it promises."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def test_quick_benchmark_reports_speed_memory_and_scaling(tmp_path):
    out = tmp_path / "b.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "worker-steps/s" in proc.stdout and "load average" in proc.stdout
    figures = json.loads(out.read_text())
    assert len(figures["main"]) == 3 and {r["processes"] for r in figures["main"]} == {1, 2}
    for r in figures["main"] + figures["scaling"]:
        assert r["worker_steps_per_s"] > 0 and r["best_s"] > 0
        assert r["worker_steps_per_s"] == r["R"] * r["N"] * r["K"] / r["best_s"]
        assert r["state_bytes"] == 3 * r["R"] * r["d"] * 8 + r["R"] * 8     # MCM: w, w_hat, H and Upsilon
        assert r["messages_bytes"] == r["R"] * r["N"] * r["d"] * 8
        assert r["peak_growth_bytes"] >= 0
    assert {r["varied"] for r in figures["scaling"]} == {"R", "K", "d (diagonal)"}
    assert [r["diagonal"] for r in figures["main"]] == [False, False, True]

"""Figure 3 (tightness): drawn from verify's table, one row per check, exactly its numbers."""
import numpy as np
import pandas as pd
import pytest

from boundlab.errors import BoundlabError
from boundlab.figures import tightness as tt


def verify_like_frame() -> pd.DataFrame:
    """A table with verify's columns, as ``run_suite(...).to_frame()`` returns it."""
    return pd.DataFrame({
        "check": ["prop1 equality", "thm5 MCM", "thm6_averaged MCM", "thm7_averaged", "A1 randk: unbiased"],
        "tag": ["S", "S", "S", "S?", "S"],
        "kind": ["equality", "upper", "upper", "upper", "zero"],
        "ratio": [1.003, 0.41, 0.08, 2.5, None],
        "ratio_low": [0.99, 0.39, 0.07, 2.2, None],
        "ratio_high": [1.016, 0.43, 0.09, 2.8, None],
        "verdict": ["holds", "holds", "holds", "violated", "holds"],
    })


def test_points_and_intervals_are_the_table(tmp_path):
    paths, frame, _ = tt.make(verify_like_frame(), str(tmp_path), "a test table")
    csv = pd.read_csv(tmp_path / "tightness.csv")
    assert list(csv.check) == list(verify_like_frame().check)          # every row kept in the CSV
    fig = tt.plot(csv)
    lines = {ln.get_gid(): ln for ln in fig.axes[0].get_lines() if ln.get_gid()}
    drawn = csv[csv.ratio.notna()].reset_index(drop=True)
    assert sum(g.startswith("ratio:") for g in lines) == len(drawn) == 4   # the row without a ratio is not drawn
    for i, row in drawn.iterrows():
        assert lines[f"ratio:{i}"].get_xdata()[0] == row.ratio
        np.testing.assert_array_equal(lines[f"interval:{i}"].get_xdata(), [row.ratio_low, row.ratio_high])
    ax = fig.axes[0]
    top_down = [t.get_text() for _, t in sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda p: -p[0])]
    assert top_down == [f"{c}  [{t}]" for c, t in zip(drawn.check, drawn.tag)]   # first check on top
    assert fig.axes[0].get_xscale() == "log"
    assert all((tmp_path / f"tightness.{e}").exists() for e in ("png", "pdf", "meta.json"))


def test_non_positive_ratio_gives_a_linear_axis():
    f = verify_like_frame()
    f.loc[1, "ratio_low"] = -0.1
    assert tt.plot(f).axes[0].get_xscale() == "linear"


def test_csv_round_trip_and_missing_column(tmp_path):
    path = tmp_path / "verify.csv"
    verify_like_frame().to_csv(path, index=False)
    assert list(tt.load_csv(str(path)).ratio.iloc[:4]) == [1.003, 0.41, 0.08, 2.5]
    verify_like_frame().drop(columns=["verdict"]).to_csv(path, index=False)
    with pytest.raises(BoundlabError, match="missing column.*verdict"):
        tt.load_csv(str(path))
    with pytest.raises(BoundlabError, match="not found"):
        tt.load_csv(str(tmp_path / "nope.csv"))


def test_empty_table_is_an_error():
    with pytest.raises(BoundlabError, match="no checks"):
        tt.check_frame(verify_like_frame().iloc[:0])


def test_the_figure_reuses_the_table_of_an_earlier_verify_run(tmp_path, monkeypatch):
    """`boundlab verify` keeps its table (boundlab.verify.cache); the figure then reads it instead of running the
    suite again; another suite (or code: the key holds a hash of the sources) runs it again, as does --rerun."""
    from boundlab.cli import main
    from boundlab.figures import tightness
    from boundlab.verify import cache
    from boundlab.verify import suite as S
    suite = tmp_path / "tiny.py"
    suite.write_text("from boundlab.verify.checks import OperatorCheck\n"
                     "def suite():\n    return [OperatorCheck('A1 rand-k', 'randk:k=2', 6, 2000)]\n")
    assert main(["verify", "--suite", str(suite)]) == 0
    calls = []
    real = S.run_suite
    monkeypatch.setattr(S, "run_suite", lambda *a, **k: calls.append(a) or real(*a, **k))
    import boundlab.verify as V
    monkeypatch.setattr(V, "run_suite", S.run_suite)
    frame, cached = tightness.from_verify(str(suite))
    assert cached and calls == [] and list(frame.check)[0] == "A1 rand-k"
    suite.write_text(suite.read_text().replace("2000", "3000"))      # another suite: run again
    assert tightness.from_verify(str(suite))[1] is False and len(calls) == 1
    assert tightness.from_verify(str(suite))[1] is True and len(calls) == 1
    assert tightness.from_verify(str(suite), rerun=True)[1] is False and len(calls) == 2
    monkeypatch.setattr(cache, "code_hash", lambda: "another code")  # an edit of boundlab: not reused
    assert tightness.from_verify(str(suite))[1] is False and len(calls) == 3
    # the command: the quick suite's table, cached, drawn without running the suite
    monkeypatch.undo()
    cache.store(cache.key("quick", 0, 1.0, S.ALPHA, "monte-carlo"), frame)
    monkeypatch.setattr(S, "run_suite", lambda *a, **k: calls.append(a) or real(*a, **k))
    monkeypatch.setattr(V, "run_suite", S.run_suite)
    assert main(["figures", "tightness", "--out", str(tmp_path / "fig")]) == 0
    assert len(calls) == 3 and "boundlab.verify.cache" in (tmp_path / "fig" / "tightness.meta.json").read_text()

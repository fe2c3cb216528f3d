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

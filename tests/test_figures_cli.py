"""`boundlab figures`: all four figures from one command, clear errors, figure 3 without verify."""
import pandas as pd
import pytest

from boundlab.cli import main

TINY = ["--runs", "2", "--iterations", "20", "--jobs", "1", "--omegas", "0,3", "--lv-algorithms", "mcm,artemis",
        "--conv-algorithms", "sgd,mcm", "--conv-problems", "quadratic", "--problem.N", "3", "--problem.d", "4",
        "--step-N", "3"]
NAMES = ("limit_variance", "convergence", "tightness", "step_sizes")


def verify_csv(path) -> str:
    pd.DataFrame({"check": ["thm5 MCM", "prop1"], "tag": ["S", "S"], "kind": ["upper", "equality"],
                  "ratio": [0.5, 1.0], "ratio_low": [0.45, 0.98], "ratio_high": [0.55, 1.02],
                  "verdict": ["holds", "holds"]}).to_csv(path, index=False)
    return str(path)


def test_all_four_figures_and_their_csvs(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out), "--from-csv", verify_csv(tmp_path / "v.csv"), *TINY]) == 0
    for name in NAMES:
        for ext in ("png", "pdf", "csv", "meta.json"):
            assert (out / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
    printed = capsys.readouterr().out
    assert "MCM/Artemis limit variance at omega_dwn = 3" in printed
    # the command-line route gives the same table as the library (figure 1, measured part)
    lv = pd.read_csv(out / "limit_variance.csv")
    assert set(lv[lv.kind == "measured"].algorithm) == {"mcm", "artemis"}


def test_existing_files_are_kept_without_overwrite(tmp_path, capsys):
    args = ["figures", "step-sizes", "--out", str(tmp_path), "--step-N", "3"]
    assert main(args) == 0
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "use --overwrite" in err[0]
    assert main([*args, "--overwrite"]) == 0


def test_figure_3_without_verify_says_so_in_one_line_and_makes_the_others(tmp_path, capsys, monkeypatch):
    import boundlab.verify

    def unavailable(name):                                          # `from boundlab.verify import run_suite` fails
        raise AttributeError(name)
    monkeypatch.setattr(boundlab.verify, "__getattr__", unavailable)
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out), *TINY]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run_suite is not available" in err[0] and "figure 3 skipped" in err[0]
    for name in ("limit_variance", "convergence", "step_sizes"):
        assert (out / f"{name}.png").exists()
    assert not (out / "tightness.png").exists()
    # asked for explicitly, it is an error (exit 2)
    assert main(["figures", "tightness", "--out", str(out)]) == 2


@pytest.mark.parametrize("args, word", [
    (["--omegas=-1,2"], "omegas"),
    (["--lv-algorithms", "mcm,nope"], "algorithms"),
    (["--down", "randk", "--omegas", "0,2"], "omegas"),
    (["--problem.mu", "2"], "problem.L and problem.mu"),
    (["--conv-gamma", "5"], "above the theory's bound"),
])
def test_bad_input_exit_2_one_line(tmp_path, capsys, args, word):
    figure = "convergence" if "--conv-gamma" in args else "limit-variance"
    assert main(["figures", figure, "--out", str(tmp_path), *TINY, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]


def test_unknown_figure(tmp_path, capsys):
    assert main(["figures", "pie-chart", "--out", str(tmp_path)]) == 2
    assert "pie-chart" in capsys.readouterr().err


def test_every_figure_is_redrawn_from_its_saved_table(tmp_path, capsys, monkeypatch):
    """`--from DIR` draws each figure again from NAME.csv and NAME.meta.json, simulating nothing: the same table,
    a new picture. (Figures 5 and 7 on reduced grids, to keep the test short.)"""
    from boundlab.figures import stale_edge
    from boundlab.verify import edge
    monkeypatch.setattr(stale_edge, "TAUS", (0, 2))
    monkeypatch.setattr(edge, "OMEGAS", (1.0, 4.0))
    src, out = tmp_path / "src", tmp_path / "out"
    assert main(["figures", "--out", str(src), *TINY, "--from-csv", verify_csv(tmp_path / "v.csv"),
                 "--dec-n", "4"]) == 0
    capsys.readouterr()
    import boundlab.simulate as S
    import boundlab.simulate.engine as E
    import boundlab.verify.suite as V
    for mod, attr in ((S, "simulate"), (E, "simulate"), (V, "run_items")):
        monkeypatch.setattr(mod, attr, lambda *a, **k: pytest.fail("a redraw simulated"))
    assert main(["figures", "--from", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    names = ("limit_variance", "convergence", "tightness", "step_sizes", "step_edge", "decentralized", "stale_edge")
    for name in names:
        assert (out / f"{name}.png").stat().st_size > 10_000 and f"redrawn from {src}" in printed
        pd.testing.assert_frame_equal(pd.read_csv(out / f"{name}.csv"), pd.read_csv(src / f"{name}.csv"))
    # every figure in every style: the files exactly the style's width, no panel squeezed by its legend or labels
    import json
    import re
    import struct

    import matplotlib.pyplot as plt

    from boundlab.figures import common
    for style, (width_pt, _) in ((k, v) for k, v in common.STYLES.items() if v):
        styled = tmp_path / style
        assert main(["figures", "--from", str(src), "--out", str(styled), "--style", style]) == 0
        for name in names:
            png = (styled / f"{name}.png").read_bytes()
            assert abs(struct.unpack(">I", png[16:20])[0] - width_pt / 72 * 130) <= 1.0, (style, name)  # 130 dpi
            box = re.search(rb"/MediaBox \[ *[\d.]+ [\d.]+ ([\d.]+) ", (styled / f"{name}.pdf").read_bytes())
            assert abs(float(box.group(1)) - width_pt) < 0.5, (style, name)
            assert json.loads((styled / f"{name}.meta.json").read_text())["width_pt"] == width_pt
    for style in ("paper", "column"):          # the layout itself: each panel keeps most of the width it can have
        for name in names:
            frame, meta = common.load_saved(str(src), name)
            module = __import__(f"boundlab.figures.{name}", fromlist=["plot"])
            fig = module.plot(frame, meta)
            common.restyle(fig, style)
            common.fit_width(fig, common.STYLES[style][0] / 72)
            panels = [ax for ax in fig.axes if ax.axison]
            share = sum(ax.get_position().width for ax in panels) / max(1, len({ax.get_position().y0
                                                                                for ax in panels}))
            assert share > (0.45 if name == "tightness" else 0.6), (style, name, share)   # (tightness: its labels)
            plt.close(fig)
    capsys.readouterr()
    # one figure by name, either spelling; a missing one is one line and exit 2
    assert main(["figures", "step_edge", "--from", str(src), "--out", str(tmp_path / "one")]) == 0
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [f"step_edge.{e}" for e in ("csv", "meta.json",
                                                                                                "pdf", "png")]
    (src / "convergence.csv").unlink()
    capsys.readouterr()
    assert main(["figures", "convergence", "--from", str(src), "--out", str(tmp_path / "two")]) == 2
    assert "has no convergence.csv" in capsys.readouterr().err


@pytest.mark.parametrize("style, width_pt", [("paper", 487.0), ("column", 241.0), ("slides", 720.0)])
def test_a_style_sets_the_width_and_captions_stay_out_of_the_image(style, width_pt, tmp_path, capsys):
    """--style gives the figure the style's width (in points) and fonts; the caption goes to NAME.meta.json."""
    import json
    import struct
    out = tmp_path / style
    assert main(["figures", "step-sizes", "--out", str(out), "--style", style]) == 0
    meta = json.loads((out / "step_sizes.meta.json").read_text())
    assert meta["style"] == style and meta["width_pt"] == width_pt
    assert "exact constants as printed" in meta["caption"]            # the caption, kept in the metadata
    png = (out / "step_sizes.png").read_bytes()
    width_px = struct.unpack(">I", png[16:20])[0]                     # the PNG header's width
    assert abs(width_px - width_pt / 72 * 130) <= 1.0, (width_px, width_pt)      # 130 dpi, the style's width


def test_captions_are_not_drawn_into_the_figure():
    import matplotlib.pyplot as plt

    from boundlab.figures import common
    fig, ax = plt.subplots()
    common.caption(fig, "first line")
    common.caption(fig, "second line")
    assert fig.texts == [] and fig._boundlab_caption == "first line\nsecond line"
    plt.close(fig)


def test_figure_names_in_any_order_with_the_options(tmp_path, capsys):
    """`boundlab figures step-sizes --out DIR tightness ...`: a name written after an option joins the list."""
    out = tmp_path / "o"
    assert main(["figures", "step-sizes", "--out", str(out), "tightness", "--from-csv",
                 verify_csv(tmp_path / "v.csv")]) == 0
    assert {p.name for p in out.iterdir()} >= {"step_sizes.png", "tightness.png"}
    assert main(["figures", "step-sizes", "--out", str(tmp_path / "x"), "nonsense"]) == 2
    assert "figure 'nonsense' is not one of" in capsys.readouterr().err


def test_figures_made_together_equal_figures_made_one_by_one(tmp_path, capsys):
    """--jobs 2 computes the figures at once, their jobs sharing two worker processes; every job has its own seed,
    so the tables are those of --jobs 1, number for number."""
    tables = {}
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        assert main(["figures", "limit-variance", "convergence", "step-sizes", "tightness", "--out", str(out),
                     "--from-csv", verify_csv(tmp_path / "v.csv"), *TINY, "--jobs", jobs]) == 0
        tables[jobs] = {n: pd.read_csv(out / f"{n}.csv") for n in NAMES}
    printed = capsys.readouterr().out
    assert printed.count("limit-variance: ") == 2 and printed.count("tightness: ") == 2
    for name in NAMES:
        pd.testing.assert_frame_equal(tables["1"][name], tables["2"][name], check_exact=True)


def test_a_bad_engine_with_every_figure_is_one_line_and_nothing_written(tmp_path, capsys, monkeypatch):
    """The kernels are compiled in a thread while the options are checked (figures computed at once): its error is
    the command's one line, exit 2 (it was a traceback from the thread, then a hang)."""
    monkeypatch.setenv("BOUNDLAB_ENGINE", "bogus")
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out), *TINY, "--jobs", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "BOUNDLAB_ENGINE must be one of compiled, numpy" in err[0]
    assert not out.exists()

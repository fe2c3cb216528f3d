"""Figure 4 (step sizes): the plotted curves are the slides' formulas."""
import math

import numpy as np
import pandas as pd
import pytest

from boundlab.errors import BoundlabError
from boundlab.figures import step_sizes as ss


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("steps")
    paths, frame, meta = ss.make(ss.Settings(N=10, omega_up=3.0, points=50), str(out))
    return out, frame, meta


def by_hand(w_up, w_dwn, N):
    """THEORY.md section 3 and 4, with L = 1, written independently of boundlab.theory."""
    up = 1 / (2 * (1 + w_up / N))
    down = 1 / (8 * w_dwn)
    ups = 1 / (8 * math.sqrt(2) * w_dwn * np.sqrt(8 * w_dwn + w_up / N))
    return {"gamma_up": up, "gamma_down": down, "gamma_upsilon": ups, "gamma_max": np.minimum(np.minimum(up, down), ups),
            "gamma_max_artemis_dore": 1 / (8 * (1 + w_dwn) * (1 + w_up / N)), "gamma_max_diana": up}


def test_curves_are_the_formulas(made):
    _, frame, _ = made
    for panel, part in frame.groupby("panel"):
        for name, cur in part.groupby("curve"):
            expected = by_hand(cur.omega_up.to_numpy(), cur.omega_dwn.to_numpy(), 10)[name] * np.ones(len(cur))
            # sympy-lambdified versus numpy: floating-point rounding only
            np.testing.assert_allclose(cur.L_gamma.to_numpy(), expected, rtol=1e-12, err_msg=f"{panel} {name}")


def test_tags(made):
    _, frame, _ = made
    tags = frame.groupby("curve").tag.first()
    assert tags["gamma_max"] == "[S]" and tags["gamma_max_artemis_dore"] == "[S]" and tags["gamma_max_diana"] == "[O]"


def test_plotted_lines_are_the_csv(made):
    out, _, meta = made
    csv = pd.read_csv(out / "step_sizes.csv")
    fig = ss.plot(csv, meta)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid()}
    assert len(lines) == 2 * len(ss.CURVES)
    for (panel, name), cur in csv.groupby(["panel", "curve"]):
        np.testing.assert_array_equal(lines[f"{panel}:{name}"].get_xdata(), cur.x.to_numpy())
        np.testing.assert_array_equal(lines[f"{panel}:{name}"].get_ydata(), cur.L_gamma.to_numpy())
    assert all((out / f"step_sizes.{e}").exists() for e in ("png", "pdf", "csv", "meta.json"))


@pytest.mark.parametrize("kw", [{"N": 0}, {"omega_min": 0.0}, {"omega_min": 5.0, "omega_max": 1.0},
                                {"omega_up": -1.0}])
def test_bad_input(kw):
    with pytest.raises(BoundlabError):
        ss.compute(ss.Settings(**kw))

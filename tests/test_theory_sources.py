"""Every result names the slide line it was transcribed from; the line must say what the result is."""
import re

import pytest

from boundlab.theory import all_results

# A word the cited line (or the two after it) must contain, per result family.
EXPECT = {"A1": "Assumption 1", "A2": "Assumption 2", "A3": "Assumption 3", "A4": "Assumption 4",
          "A5": "Assumption 5", "prop1": "Proposition 1", "thm3": "Theorem 3", "thm5": "Theorem 5",
          "thm6": "Theorem 6", "thm6_averaged": "Theorem 6", "thm7": "Theorem 7", "thm7_linear": "Theorem 7",
          "thm8": "Theorem 8", "thm9": "Theorem 9", "V_k": "V_k", "Phi": r"\Phi(\gamma) :=", "Phi_Rd": "Phi^{",
          "gamma_up": "gamma_{\\max}^{\\text{up}}", "gamma_max_artemis_dore": "Dore}}",
          "thm7_averaged": "weighted Polyak", "L_tilde": "tilde{L}", "thm6_tuned": "step-size",
          "heterogeneous_extension": "Heterogeneous framework", "mcm_local_gap": "downlink memory"}


def _from(document: str):
    return [r for r in all_results() if r.source.document == document]


SEED_001_EXPECT = {"dcd_ecd_rate": r"O(1/\sqrt{nT})", "naive_gossip_fails": "fail to converge"}


@pytest.mark.parametrize("result", _from(SEED_001 := "seeds/001_6d9b3c3d2ca2cc96.txt"), ids=lambda r: r.name)
def test_seed_001_lines(result):
    """The decentralized claims cite the line of seed 001's abstract that states them."""
    from conftest import SEED
    path = SEED.parent / "001_6d9b3c3d2ca2cc96.txt"
    if not path.exists():
        pytest.skip(f"the seed ({path}) is not beside this checkout")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert SEED_001_EXPECT[result.name] in lines[result.source.line - 1]


def test_every_other_result_cites_a_derivation_or_a_reference():
    for r in all_results():
        if r.source.document not in ("seeds/004_0e25362dabf1950b.txt", SEED_001):
            assert r.source.document == "" and str(r.source).strip(), r.name


@pytest.mark.parametrize("result", _from("seeds/004_0e25362dabf1950b.txt"), ids=lambda r: r.name)
def test_source_line_exists_and_matches(result, seed_lines):
    src = result.source
    assert src.slide and src.line is not None and 1 <= src.line <= len(seed_lines)
    window = "\n".join(seed_lines[src.line - 1: src.line + 2])
    if result.name in EXPECT:
        assert EXPECT[result.name] in window, (result.name, window[:200])
    # The cited slide title appears at or before the cited line.
    title = re.sub(r"[*]", "", src.slide)
    assert any(title.split(" (")[0][:20] in re.sub(r"[*]", "", ln) for ln in seed_lines[: src.line]), title

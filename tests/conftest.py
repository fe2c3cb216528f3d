"""Shared fixtures. The seed documents live in ../shared/seeds next to a checkout (as in CI)."""
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "004_0e25362dabf1950b.txt"


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    if not SEED.exists():
        pytest.skip(f"the slides' text ({SEED}) is not beside this checkout")
    return SEED.read_text(encoding="utf-8").splitlines()

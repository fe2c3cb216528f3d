"""Shared fixtures. The seed documents live in ../shared/seeds next to a checkout (as in CI)."""
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "004_0e25362dabf1950b.txt"


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory):
    """The tests (and the commands they start) keep their verify tables in a folder of their own."""
    import os
    old = os.environ.get("BOUNDLAB_CACHE_DIR")
    os.environ["BOUNDLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("boundlab-cache"))
    yield
    if old is None:
        os.environ.pop("BOUNDLAB_CACHE_DIR", None)
    else:
        os.environ["BOUNDLAB_CACHE_DIR"] = old

"""Every result names where it was transcribed from. The citations are checked against the source index the package
ships (boundlab.theory.sources: keyword, slide title line and a hash of the cited lines; these tests run in any
checkout), and the index against the seed documents where they are beside the checkout (../shared/seeds, as in CI).
"""
import pytest

from boundlab.theory import all_results
from boundlab.theory import sources as S
from boundlab.theory.table import FEATURES

CITED = S.cited()


@pytest.fixture(scope="module")
def index():
    return S.load()


@pytest.mark.parametrize("result", CITED, ids=lambda r: r.name)
def test_every_citation_is_in_the_shipped_index(result, index):
    row = index.get(result.name)
    assert row is not None, f"{result.name} is not in theory/sources.csv (python -m boundlab.theory.sources SEEDS)"
    src = result.source
    assert (row["document"], int(row["line"]), row["slide"]) == (src.document, src.line, src.slide)
    # the phrase that identifies the result on its line is the one the index was checked with
    assert row["keyword"] == S.KEYWORDS.get(result.name, "")
    # the cited slide's title appears at or before the cited line
    assert row["title_line"] and int(row["title_line"]) <= src.line
    assert len(row["window_sha256"]) == 64


def test_the_index_holds_no_stale_row(index):
    assert set(index) == {r.name for r in CITED}


def test_every_other_result_cites_a_derivation_or_a_reference():
    for r in all_results():
        if not r.source.document.startswith("seeds/"):
            assert r.source.document == "" and str(r.source).strip(), r.name


def test_the_index_matches_the_documents(index):
    from conftest import SEED
    seeds = SEED.parent
    if not seeds.is_dir():
        pytest.skip(f"the seed documents ({seeds}) are not beside this checkout: the citations were checked "
                    "against the shipped index only")
    for name, row in index.items():
        lines = (seeds / row["document"].split("/")[-1]).read_text(encoding="utf-8").splitlines()
        line = int(row["line"])
        assert 1 <= line <= len(lines), name
        text = S.window(lines, line)
        assert S.digest(text) == row["window_sha256"], f"{name}: the cited lines changed"
        if row["keyword"]:
            assert row["keyword"] in text, (name, text[:200])
        assert S.title_line(lines, row["slide"], line) == int(row["title_line"]), name
    assert S.build(seeds) == list(index.values())           # and the index is what the documents give
    tables = S.load_tables()
    assert S.build_tables(seeds) == [row for rows in tables.values() for row in rows]
    for (name, _), row in zip(FEATURES, tables["features"]):
        lines = (seeds / row["document"].split("/")[-1]).read_text(encoding="utf-8").splitlines()
        assert lines[int(row["line"]) - 1].split("\t")[0].strip(), name      # a row of the table, named

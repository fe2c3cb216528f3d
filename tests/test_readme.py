"""The README starts with the two commands a new user types, and CI runs the second one verbatim."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("```bash") + 1
    return lines[start:start + 2]


def test_readme_starts_with_install_and_run_then_install_and_test():
    install_run, install_test = first_commands()
    assert "pip install ." in install_run and install_run.endswith("&& boundlab")
    assert "pip install '.[test]'" in install_test and install_test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    assert first_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_license_and_citation_files_describe_this_release():
    """LICENSE is the license pyproject declares; CITATION.cff parses and names this version."""
    import tomllib

    import yaml
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["version"] == meta["version"] and cff["license"] == "MIT"
    assert any("Preserved central model" in r["title"] for r in cff["references"])

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

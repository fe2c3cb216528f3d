"""The `boundlab` command line, as a user runs it."""
import json
import subprocess
import sys

import pytest

from boundlab.cli import COMMANDS, main
from boundlab.theory import all_results


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_prints_the_value_of_gamma_max(capsys):
    code, out, _ = run(capsys, "theory", "gamma_max", "L=1", "omega_up=40", "omega_dwn=2", "N=20")
    # gamma_upsilon binds: 1/(8 sqrt2 * 2 * sqrt(16 + 2)) = 1/(16 * 6) = 1/96 = 0.0104167
    assert code == 0 and "value: 0.0104167" in out and "[S]" in out


def test_theory_evaluates_a_comma_list_pointwise(capsys):
    code, out, _ = run(capsys, "theory", "gamma_max", "L=1", "omega_up=4", "omega_dwn=0,4", "N=20")
    # omega_dwn = 0: gamma_max = gamma_up = 1/(2 (1 + 4/20)) = 0.416667.
    assert code == 0 and "0.416667" in out and len([ln for ln in out.splitlines() if ln.strip().startswith("0 ")]) == 1


def test_theory_reports_the_relation_and_hypotheses(capsys):
    code, out, _ = run(capsys, "theory", "thm5", "L=1", "omega_up=4", "omega_dwn=4", "N=20", "gamma=0.003",
                       "alpha_dwn=0.03125", "sigma=1", "b=1", "upsilon_prev=0.1", "grad2_hat_prev=1", "upsilon=5")
    assert code == 0 and "holds: NO" in out and "gamma <= 1/(8 omega_dwn L): holds" in out
    assert "assumed (structural" in out and "not checked (needs mu)" in out


def test_theory_list_names_every_result_with_its_tag(capsys):
    code, out, _ = run(capsys, "theory", "--list")
    assert code == 0
    for r in all_results():
        assert any(line.startswith(r.name + " ") and r.status.tag in line for line in out.splitlines()), r.name


@pytest.mark.parametrize("argv, message", [
    (["theory", "gamma_max", "L=1", "omega_up=4", "N=20"], "gamma_max needs omega_dwn"),
    (["theory", "gama_max"], "did you mean 'gamma_max'"),
    (["theory", "gamma_max", "L=-1", "omega_up=4", "omega_dwn=4", "N=20"], "L must be a number with 0 < L"),
    (["theory", "gamma_max", "L=1", "omega_up=4", "omega_dwn=4", "N=0"], "N must be an integer with 1 <= N"),
    (["theory", "gamma_max", "L=1", "omega_up=4", "omega_dwn=4", "N=20", "Lx=2"], "unknown constant 'Lx'"),
    (["theory", "gamma_max", "L=abc"], "L must be a number"),
    (["theory", "gamma_max", "L"], "key=value"),
    (["theory"], "give a result name"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_table_json_and_features(capsys):
    code, out, _ = run(capsys, "table", "--format", "json")
    assert code == 0 and len(json.loads(out)["cells"]) == 15
    code, out, _ = run(capsys, "table", "--features", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("algorithm,Compr.")


def test_audit_exits_0_and_names_the_known_defects(capsys):
    code, out, _ = run(capsys, "audit")
    assert code == 0 and "thm7_averaged" in out and "0 unexpected" in out


def test_the_default_job_runs_on_the_default_problem(capsys):
    code, out, _ = run(capsys)
    # omega = min(20/1, sqrt(20)/1) = sqrt(20) = 4.4721 for s = 1, d = 20.
    assert code == 0 and "omega_up = omega_dwn  = 4.47214" in out
    assert "binding: gamma_upsilon" in out and "Findings (derived vs printed): 1" in out
    code, out, err = run(capsys, "summary", "N=100", "s=2")
    assert code == 0 and "N = 100 workers" in out


def test_every_command_has_help(capsys):
    for name in COMMANDS:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: boundlab " + name in capsys.readouterr().out


def test_the_installed_entry_points():
    # `boundlab` on PATH next to this interpreter, and `python -m boundlab`.
    out = subprocess.run([sys.executable, "-m", "boundlab", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("boundlab ")
    out = subprocess.run([sys.executable, "-m", "boundlab", "theory", "omega_randk", "d=20", "k=5"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "value: 3" in out.stdout  # d/k - 1 = 20/5 - 1 = 3


def test_verify_cli_default_alpha_is_the_suites():
    from boundlab.verify import cli_verify, suite
    assert cli_verify.ALPHA == suite.ALPHA

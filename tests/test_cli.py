from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main


def test_list_names_naive_softmax(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.startswith("naive-softmax ")


def test_show_prints_the_derivation_and_results(capsys):
    assert main(["show", "naive-softmax"]) == 0
    out = capsys.readouterr().out
    assert "  ∂J/∂v_c = U(ŷ - y)\n" in out
    assert "  ∂J/∂U = v_c(ŷ - y)ᵀ\n" in out
    assert "  ∂J/∂u_w = (ŷ_w - 1) v_c   (if w = o)\n" in out
    assert "[chain rule]" in out and "[softmax definition]" in out
    assert out.rstrip().endswith("(V, d) = (5, 3), (1, 2), (4, 1).")


def test_show_json(capsys):
    assert main(["show", "naive-softmax", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    results = {(g["wrt"], g["case"]): g["result"]["latex"] for g in data["gradients"]}
    assert results[("v_c", None)] == r"\mathbf{U} \left(\hat{\mathbf{y}} - \mathbf{y}\right)"
    assert results[("U", None)] == r"\mathbf{v}_c \left(\hat{\mathbf{y}} - \mathbf{y}\right)^\top"
    assert results[("u_w", "w != o")] == r"\hat{y}_{w} \mathbf{v}_c"
    assert [s["rule"] for s in data["loss"]][:2] == ["definition", "softmax definition"]


def test_show_latex_is_aligned_blocks(capsys):
    assert main(["show", "naive-softmax", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert out.count(r"\begin{aligned}") == 5
    assert (r"J_{\text{naive-softmax}} &= - \log{\left(\hat{y}_{o} \right)} "
            r"&& \text{(definition)}") in out
    # an entry chain ends in a new statement: the whole gradient in matrix form
    assert (r"\frac{\partial J}{\partial \mathbf{v}_c} &= \mathbf{U} \left(\hat{\mathbf{y}} - "
            r"\mathbf{y}\right) && \text{(matrix form)}") in out


def test_unknown_problem_is_a_usage_error(capsys):
    assert main(["show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == ("derive show: unknown problem 'nope'; known problems: "
                   "cross-entropy, leaky-relu, naive-softmax, neg-sampling, neg-sampling-repeated, "
                   "sigmoid, skip-gram\n")


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "derive show naive-softmax" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["show", "--help"], ["list", "--help"]])
def test_help_teaches_with_an_example(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out


def test_bad_format_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["show", "naive-softmax", "--format", "pdf"])
    assert exc.value.code == 2


def test_python_dash_m_and_help_do_not_import_sympy():
    code = ("import sys; from derive.cli import build_parser; build_parser(); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    run = subprocess.run([sys.executable, "-m", "derive", "list"], capture_output=True, text=True)
    assert run.returncode == 0 and "naive-softmax" in run.stdout


@pytest.mark.parametrize("name", ["naive-softmax", "cross-entropy", "sigmoid", "leaky-relu",
                                  "neg-sampling"])
@pytest.mark.parametrize("fmt", ["text", "latex", "json"])
def test_every_problem_shows_in_every_format(name, fmt, capsys):
    assert main(["show", name, "--format", fmt]) == 0
    assert "∂J/∂" in capsys.readouterr().out or fmt != "text"


def test_neg_sampling_code_is_its_lambdified_kernel(capsys):
    assert main(["show", "neg-sampling", "--code"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def _neg_sampling_kernel(v_c, u_o, U_neg):")
    assert "numpy.logaddexp" in out and "numpy.tanh" in out and "exp(" not in out.replace(
        "logaddexp(", "")
    # Batched: each product computed once, on stacks of per-sample matrices.
    assert out.count("numpy.swapaxes(U_neg, -1, -2) @ v_c") == 1
    assert out.count("numpy.tanh(0.5 * (U_negT_v_c))") == 1


# -- check-steps ----------------------------------------------------------------------------

SEED_FILE = Path(__file__).parent / "data" / "seed_a2.md"
SEED_ALIASES = ["--alias", "uw=u_w", "--alias", "0=o", "--alias", "u_c=u_o", "--alias", "v=U",
                "--alias", r"\dot{y}=\hat{y}"]


def test_check_steps_on_the_seed_exits_1_and_names_the_wrong_steps(capsys):
    assert main(["check-steps", str(SEED_FILE), *SEED_ALIASES]) == 1
    out = capsys.readouterr().out
    wrong = [line for line in out.splitlines() if " ✗ " in line]
    assert [w.split()[1] for w in wrong] == ["113", "137", "137", "141", "141"]
    assert "line 137  ✗  ∂/∂u_w (Σ_w' exp(u_w'ᵀ v_c)) ≠ Σ_w' exp(u_w'ᵀ v_c) ∂/∂u_w exp(" in out
    assert out.rstrip().endswith("5 of 37 steps do not hold")


def test_check_steps_exits_0_when_every_step_holds(tmp_path, capsys):
    answer = tmp_path / "answer.tex"
    answer.write_text(r"\[ \frac{\partial}{\partial v_c} (-u_o^\top v_c) = -u_o \]", "utf-8")
    assert main(["check-steps", str(answer)]) == 0
    assert capsys.readouterr().out.endswith("all 1 steps hold\n")


def test_check_steps_reads_stdin_and_prints_json(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(r"$$\hat{y}_o = 2\hat{y}_o$$"))
    assert main(["check-steps", "-", "--json"]) == 1
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) == {"line", "left", "right", "verdict", "reason", "max_rel_error"}
    assert row["verdict"] == "fails"


@pytest.mark.parametrize(("text", "message"), [
    ("$$uw = 1$$", r"^derive check-steps: .*:1:3: unknown name uw; did you mean u_w\? "
                   r"If uw means u_w in this text, pass --alias 'uw=u_w'$"),
    (r"$$\input{x} = 1$$", r"\\input is not read"),
    ("$$" + "(" * 10_000 + "$$", r"nested more than 60 deep"),
    ("x" * 1_000_000, r"more than 200,000 characters"),
], ids=["unknown-name", "input", "deep", "1MB"])
def test_check_steps_unreadable_input_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.tex"
    path.write_text(text, "utf-8")
    assert main(["check-steps", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(message, captured.err.strip())


def test_check_steps_usage_errors_exit_2(tmp_path, capsys):
    assert main(["check-steps", str(tmp_path / "missing.tex")]) == 2
    assert "No such file" in capsys.readouterr().err
    (tmp_path / "a.tex").write_text("$$x = x$$", "utf-8")
    assert main(["check-steps", str(tmp_path / "a.tex"), "--alias", "uw"]) == 2
    assert "expected NAME=NAME" in capsys.readouterr().err


def test_help_lists_check_steps(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "derive check-steps my_answer.tex" in capsys.readouterr().out


def _unfoldable_problem(monkeypatch):
    """A problem whose loss derive cannot fold back into matrix form: (−log ŷ_o)²."""
    from derive import engine, problems

    def make_loss():
        return engine.Loss("squared", engine.neg_log_softmax() ** 2, engine.Softmax(engine.logit))
    problem = problems.Problem("squared", "Squared loss", "(−log ŷ_o)²", make_loss)
    monkeypatch.setitem(problems.PROBLEMS, "squared", problem)


def test_a_loss_derive_cannot_fold_exits_1_with_the_reason_and_no_traceback(monkeypatch, capsys):
    _unfoldable_problem(monkeypatch)
    assert main(["show", "squared"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("derive show: cannot fold exp(")
    assert "into a vector" in err and "Traceback" not in err


def test_a_project_failure_in_verify_is_exit_1_not_a_usage_error(monkeypatch, capsys):
    _unfoldable_problem(monkeypatch)
    assert main(["verify", "squared", "--seed", "1"]) == 1
    assert capsys.readouterr().err.startswith("derive verify: cannot fold exp(")


def test_show_code_does_not_import_the_kernels_module():
    # Finding one kernel's name must not generate (and run) every kernel.
    script = ("import sys, io, contextlib; from derive.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
              "    code = main(['show', 'naive-softmax', '--code'])\n"
              "assert code == 0 and 'def _naive_softmax_kernel(' in out.getvalue()\n"
              "print(sorted(m for m in sys.modules if m == 'derive.kernels'))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]"


def test_show_code_of_a_problem_without_a_kernel_is_a_usage_error(capsys):
    assert main(["show", "sigmoid", "--code"]) == 2
    assert capsys.readouterr().err == ("derive show: sigmoid has no kernel; kernels: "
                                       "naive-softmax, neg-sampling\n")


LOSSES = Path(__file__).parent / "data" / "losses"


def test_show_loss_file_prints_matrix_forms(capsys):
    assert main(["show", str(LOSSES / "logit-bias.tex")]) == 0
    out = capsys.readouterr().out
    assert "∂J/∂b = ŷ - y" in out and "∂J/∂v_c = U(ŷ - y)" in out
    assert "[derivative of softmax]" in out


def test_show_loss_file_json_gives_inputs_and_results(capsys):
    path = str(LOSSES / "label-smoothing.tex")
    assert main(["show", path, "--wrt", "b", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"name": "b", "kind": "vector", "shape": ["V"]} in data["inputs"]
    assert {"name": "epsilon", "kind": "constant", "shape": []} in data["inputs"]
    assert [r["wrt"] for r in data["results"]] == ["b"]
    assert data["results"][0]["text"] == "ŷ - epsilon/V 𝟏 - (1 - epsilon) y"
    assert data["results"][0]["matrix_form"] is True


def test_verify_loss_file_passes(capsys):
    assert main(["verify", str(LOSSES / "hinge.tex")]) == 0
    assert capsys.readouterr().out.startswith("✓ ")


def test_unreadable_loss_file_is_exit_2_with_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.tex"
    bad.write_text("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n"
                   "$$J = \\mathbf{z}^\\top \\mathbf{x}$$\n")
    assert main(["show", str(bad)]) == 2
    assert re.match(r"^derive show: .*bad\.tex: line 2, column 7: z is not declared",
                    capsys.readouterr().err)


def test_wrt_names_only_declared_objects(capsys):
    assert main(["show", str(LOSSES / "hinge.tex"), "--wrt", "q"]) == 2
    assert re.match(r"^derive show: --wrt q: not a declared vector or matrix",
                    capsys.readouterr().err)

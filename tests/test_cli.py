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


def test_list_questions_puts_the_id_first_one_a_line(capsys):
    assert main(["list", "--questions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9
    assert lines[1].split() == ["naive-softmax-vc", "3", "pts", "naive-softmax:", "Gradient",
                                "with", "respect", "to", "the", "centre", "vector"]
    assert [line.split()[0] for line in lines][-1] == "skip-gram"


@pytest.mark.parametrize("name", ["naive-softmax", "leaky-relu", "neg-sampling-repeated"])
def test_show_latex_compiles_as_it_is(name, capsys, tmp_path):
    from derive.render import tex

    from .render.test_tex import pdf_text, require_tex

    engine = require_tex()
    assert main(["show", name, "--format", "latex"]) == 0
    pdf = tex.compile_pdf(capsys.readouterr().out, engine=engine)
    assert "(definition)" in pdf_text(pdf, tmp_path)


def test_show_text_writes_not_equal_as_a_sign(capsys):
    assert main(["show", "naive-softmax"]) == 0
    out = capsys.readouterr().out
    assert "[one-hot vector (w ≠ o)]" in out and "!=" not in out


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
    assert results[("u_w", "w ≠ o")] == r"\hat{y}_{w} \mathbf{v}_c"
    assert [s["rule"] for s in data["loss"]][:2] == ["definition", "softmax definition"]


def test_show_latex_is_aligned_blocks(capsys):
    assert main(["show", "naive-softmax", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert out.count(r"\begin{aligned}") == 5
    assert (r"J_{\text{naive-softmax}} &= - \log \hat{y}_{o} "
            r"&& \text{(definition)}") in out
    assert r"\text{(one-hot vector (w \texorpdfstring{\ensuremath{\neq}}{≠} o))}" in out
    assert "!=" not in out
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
    with pytest.raises(SystemExit, match=r"^0$"):  # SystemExit's message is its exit code
        main(argv)
    assert "example" in capsys.readouterr().out


def test_bad_format_exits_2():
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["show", "naive-softmax", "--format", "pdf"])


def test_python_dash_m_and_help_do_not_import_sympy():
    code = ("import sys; from derive.cli import build_parser; build_parser(); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    run = subprocess.run([sys.executable, "-m", "derive", "list"], capture_output=True, text=True)
    assert run.returncode == 0 and "naive-softmax" in run.stdout


# Each problem's gradients: (wrt, case, result as text, the LaTeX of what is differentiated by).
_SOFTMAX_RESULTS = [("v_c", None, "U(ŷ - y)", r"\mathbf{v}_c"),
                    ("U", None, "v_c(ŷ - y)ᵀ", r"\mathbf{U}"),
                    ("u_w", "w = o", "(ŷ_w - 1) v_c", r"\mathbf{u}_w"),
                    ("u_w", "w ≠ o", "ŷ_w v_c", r"\mathbf{u}_w")]
SHOWN_RESULTS = {
    "naive-softmax": _SOFTMAX_RESULTS,
    "cross-entropy": _SOFTMAX_RESULTS,
    "sigmoid": [("x", None, "(1 - σ(x))*σ(x)", "x")],
    "leaky-relu": [("x", None, "{α if x < 0; 1 otherwise}", "x")],
    "neg-sampling": [("v_c", None, "-σ(-u_oᵀv_c) u_o + U_neg σ(U_negᵀv_c)", r"\mathbf{v}_c"),
                     ("u_o", None, "-σ(-u_oᵀv_c) v_c", r"\mathbf{u}_o"),
                     ("U_neg", None, "v_c(σ(U_negᵀv_c))ᵀ", r"\mathbf{U}_{\text{neg}}")],
}


@pytest.mark.parametrize("name", sorted(SHOWN_RESULTS))
@pytest.mark.parametrize("fmt", ["text", "latex", "json"])
def test_every_problem_shows_in_every_format(name, fmt, capsys):
    assert main(["show", name, "--format", fmt]) == 0
    out = capsys.readouterr().out
    expected = SHOWN_RESULTS[name]
    if fmt == "text":
        block = out.split("\nResults\n", 1)[1].split("\n\n", 1)[0]
        cases = {None: "", "w = o": "   (if w = o)", "w ≠ o": "   (if w ≠ o)"}
        assert block.splitlines() == [f"  ∂J/∂{wrt} = {text}{cases[case]}"
                                      for wrt, case, text, _ in expected]
    elif fmt == "latex":
        # the loss, then one aligned block per gradient, each ending in its matrix form
        assert out.count(r"\begin{aligned}") == out.count(r"\end{aligned}") == 1 + len(expected)
        for _, _, _, tex in expected:
            assert rf"\frac{{\partial J}}{{\partial {tex}}} &= " in out
    else:
        data = json.loads(out)
        assert data["problem"] == name
        assert [(g["wrt"], g["case"], g["result"]["text"]) for g in data["gradients"]] == [
            (wrt, case, text) for wrt, case, text, _ in expected]
        assert all(g["result"]["latex"] for g in data["gradients"])


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
    assert out.rstrip().endswith("5 of 38 steps do not hold; 3 could not be read or checked")


def test_check_steps_exits_0_when_every_step_holds(tmp_path, capsys):
    answer = tmp_path / "answer.tex"
    answer.write_text(r"\[ \frac{\partial}{\partial v_c} (-u_o^\top v_c) = -u_o \]", "utf-8")
    assert main(["check-steps", str(answer)]) == 0
    assert capsys.readouterr().out.endswith("all 1 steps hold\n")


def test_check_steps_reads_stdin_and_prints_json(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(r"$$\hat{y}_o = 2\hat{y}_o$$"))
    assert main(["check-steps", "-", "--json"]) == 1
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) == {"line", "column", "left", "right", "verdict", "reason", "max_rel_error"}
    assert row["verdict"] == "fails"


@pytest.mark.parametrize(("text", "message"), [
    (r"$$\input{x} = 1$$", r"^derive check-steps: .*:1:3: \\input is not read: check-steps "
                          r"reads formulas; it does not open other files, run commands or "
                          r"change how TeX reads$"),
    ("x" * 1_000_000, r"^derive check-steps: .*bad\.tex: more than 200,000 characters; a "
                      r"derivation is not this long$"),
], ids=["input", "1MB"])
def test_check_steps_unusable_input_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.tex"
    path.write_text(text, "utf-8")
    assert main(["check-steps", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(message, captured.err.strip())
    assert main(["check-steps", str(path), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)
    assert error["exit_status"] == 2
    assert re.search(message.replace("^derive check-steps: ", "^"), error["error"])


def test_show_names_a_loss_file_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.tex"
    path.write_bytes(b"Let $x \\in \\mathbb{R}$.\n$$f(x) = x\xe9$$")
    assert main(["show", str(path)]) == 2
    assert re.match(rf"^derive show: {re.escape(str(path))}: not UTF-8 text: can't decode byte "
                    r"0xe9 at offset 34; save the file as UTF-8$", capsys.readouterr().err)


def test_check_steps_refuses_text_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.tex"
    path.write_bytes("$$\\hat{y}_o = ŷ$$".encode("latin-1", "replace") + b"\xff")
    assert main(["check-steps", str(path)]) == 2
    assert "can't decode" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("$$vc = 1$$", r"line 1    \?  not read, column 3: (the side before cannot be read: )?"
                   r"unknown name vc; did you mean v_c\? "
                   r"If vc means v_c in this text, pass --alias 'vc=v_c'"),
    ("$$" + "(" * 100 + "x" + ")" * 100 + " = x$$", r"nested more than 60 deep"),
], ids=["unknown-name", "deep"])
def test_check_steps_unreadable_formula_exits_3(tmp_path, capsys, text, message):
    path = tmp_path / "bad.tex"
    path.write_text(text, "utf-8")
    assert main(["check-steps", str(path)]) == 3
    out = capsys.readouterr().out
    assert re.search(message, out)
    assert out.rstrip().endswith("this is not a pass")


def test_check_steps_with_no_step_exits_3_not_0(tmp_path, capsys):
    path = tmp_path / "prose.md"
    path.write_text("The gradient is $U(\\hat{y} - y)$, as shown in class.", "utf-8")
    assert main(["check-steps", str(path)]) == 3
    assert "no step to check" in capsys.readouterr().out


def test_check_steps_binds_j_to_the_named_problem(tmp_path, capsys):
    path = tmp_path / "answer.md"
    # nothing in it is one problem's more than another's (no ŷ, U, σ): which J is not said
    path.write_text("$$\\frac{\\partial J}{\\partial v_c} = -u_o + \\frac{\\sum_w "
                    "\\exp(u_w^T v_c) u_w}{\\sum_x \\exp(u_x^T v_c)}$$", "utf-8")
    assert main(["check-steps", str(path)]) == 3  # which J? not said: not read, not passed
    assert "J is not defined in the file" in capsys.readouterr().out
    assert main(["check-steps", str(path), "--problem", "naive-softmax"]) == 0
    assert main(["check-steps", str(path), "--problem", "neg-sampling"]) == 1
    capsys.readouterr()
    assert main(["check-steps", str(path), "--problem", "nope"]) == 2
    assert "unknown problem 'nope'" in capsys.readouterr().err
    # written in naive softmax's terms (U, ŷ): that loss, and the verdict says so
    path.write_text("$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$", "utf-8")
    assert main(["check-steps", str(path)]) == 0
    assert "J read as the naive-softmax loss" in capsys.readouterr().out


def test_check_steps_usage_errors_exit_2(tmp_path, capsys):
    assert main(["check-steps", str(tmp_path / "missing.tex")]) == 2
    assert "No such file" in capsys.readouterr().err
    (tmp_path / "a.tex").write_text("$$x = x$$", "utf-8")
    assert main(["check-steps", str(tmp_path / "a.tex"), "--alias", "uw"]) == 2
    assert "expected NAME=NAME" in capsys.readouterr().err


def test_help_lists_check_steps(capsys):
    with pytest.raises(SystemExit, match=r"^0$"):
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
    assert data["results"][0]["text"] == "ŷ - ε/V 𝟏 - (1 - ε) y"
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


@pytest.mark.parametrize("argv, code, out, err", [
    (["show", "naive-softmax", "--format", "json"], 0, r'^\{\n  "problem": "naive-softmax"', r"^$"),
    (["show", "no-such-problem"], 2, r"^$", r"^derive show: .*no-such-problem"),
    (["show", str(LOSSES / "hinge.tex"), "--wrt", "q"], 2, r"^$", r"^derive show: --wrt q"),
])
def test_the_program_delivers_all_its_output_and_its_exit_code(argv, code, out, err) -> None:
    """`python -m derive` ends with os._exit (cli.run): piped output must still be flushed whole,
    and main's exit code kept."""
    proc = subprocess.run([sys.executable, "-m", "derive", *argv], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == code
    assert re.match(out, proc.stdout) and re.match(err, proc.stderr)
    if code == 0:
        assert json.loads(proc.stdout)["problem"] == "naive-softmax"  # complete, not cut off


def test_a_closed_pipe_ends_quietly() -> None:
    """`derive list | head -1`: the reader closed the pipe; no 'Broken pipe' message, not 0."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before derive writes
    proc = subprocess.run([sys.executable, "-m", "derive", "list"], stdout=write,
                          stderr=subprocess.PIPE, text=True, check=False)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (1, "")


@pytest.mark.parametrize(("preset", "expected"), [
    ({}, "1"), ({"OMP_NUM_THREADS": "2"}, None), ({"OPENBLAS_NUM_THREADS": "3"}, "3")])
def test_verify_runs_blas_on_one_thread_unless_the_user_chose(preset, expected, tmp_path):
    """BLAS reads its thread count when NumPy loads, which verify's command loads first."""
    import os

    code = ("import os, sys\nfrom derive import cli\nassert 'numpy' not in sys.modules\n"
            "cli.main(['verify', 'sigmoid', '--seed', '1'])\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, **preset, "DERIVE_CACHE_DIR": str(tmp_path)}, check=True)
    assert run.stdout.strip().splitlines()[-1] == str(expected)


def test_check_steps_binds_j_to_a_loss_file(tmp_path, capsys):
    data = Path(__file__).parent / "data"
    path = tmp_path / "answer.md"
    path.write_text("$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y) + v_c$$", "utf-8")
    loss = data / "steps" / "loss-with-centre-penalty.tex"
    assert main(["check-steps", str(path), "--problem", str(loss)]) == 0
    assert main(["check-steps", str(path), "--problem", "naive-softmax"]) == 1
    capsys.readouterr()
    # a loss with an input of its own: refused, exit 2, saying which (as JSON too)
    refused = data / "losses" / "logit-bias.tex"
    assert main(["check-steps", str(path), "--problem", str(refused), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == 2 and out["error"].startswith(
        f"{refused}: this loss declares \\mathbf{{b}} (vector, V)")
    assert main(["check-steps", str(path), "--problem", str(tmp_path / "none.tex")]) == 2

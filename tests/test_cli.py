from __future__ import annotations

import json
import subprocess
import sys

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
                   "cross-entropy, leaky-relu, naive-softmax, neg-sampling, sigmoid\n")


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

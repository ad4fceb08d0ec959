"""`derive verify --against`: a student's word2vec.py, right and wrong in the usual ways.

The corpus is tests/data/against/ (written for these tests): a right answer in the course's
style, mutants of it (mutants.json: the bug, the function that must fail, the cause it must be
named with), the starter's unfinished stubs, functions that exit, loop, allocate or kill the
process, shapes the course accepts, and a skipgram that asserts on the loss it is given.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.verify import against
from derive.verify.report import Report

DATA = Path(__file__).resolve().parents[1] / "data" / "against"
RIGHT = (DATA / "word2vec_right.py").read_text()
MUTANTS = {k: v for k, v in json.loads((DATA / "mutants.json").read_text()).items()
           if not k.startswith("_")}
SEEDS = tuple(range(12))  # every mutant must fail, with its cause, at each of these


def write(tmp_path: Path, source: str, name: str = "word2vec.py") -> Path:
    path = tmp_path / name
    path.write_text(source)
    return path


def verdicts(report: Report) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in report.checks:
        out.setdefault(c.function.split(" with ")[0], set()).add(c.result)
    return out


def test_right_answer_passes_every_check(capsys):
    assert main(["verify", "--against", str(DATA / "word2vec_right.py"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "all 25 checks passed" in out  # the skipgram runs check their loss too
    for run in ("skipgram with derive's naiveSoftmaxLossAndGradient",
                "skipgram with derive's negSamplingLossAndGradient",
                "skipgram with its default loss",
                "skipgram with your negSamplingLossAndGradient"):
        assert run in out


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), vocab=st.integers(3, 12), dim=st.integers(2, 6))
def test_right_answer_passes_everywhere(seed, vocab, dim):
    report = against.check_file(DATA / "word2vec_right.py", vocab=vocab, dim=dim, seed=seed)
    assert report.passed, [c for c in report.checks if not c.passed]


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_fails_with_its_cause_at_every_seed(tmp_path, mutant):
    line, replacement, function, cause = MUTANTS[mutant]
    assert RIGHT.count(line) == 1
    path = write(tmp_path, RIGHT.replace(line, replacement))
    for report in against.check_seeds(path, SEEDS, functions=(function,), vocab=8, dim=3):
        failed = [c for c in report.checks if not c.passed]
        assert failed, f"{mutant} passed at seed {report.seed}"
        assert {c.function.split(" with ")[0] for c in failed} == {function}
        if cause is not None:
            assert any(cause in (c.cause or "") for c in failed), (report.seed, failed)


def test_a_mutant_fails_only_its_function(tmp_path):
    line, replacement, _, _ = MUTANTS["sign"]
    report = against.check_file(write(tmp_path, RIGHT.replace(line, replacement)), seed=3)
    failed = {(c.target, c.function, c.wrt) for c in report.checks if not c.passed}
    assert failed == {("word2vec.py vs finite differences", "naiveSoftmaxLossAndGradient",
                       "gradCenterVec"),
                      ("word2vec.py vs derive", "naiveSoftmaxLossAndGradient", "gradCenterVec"),
                      ("word2vec.py vs derive", "skipgram with its default loss", "gradCenterVecs")}
    # skipgram is right with derive's losses, so its own pipeline's failure is the loss's
    blamed = [c.cause for c in report.checks if not c.passed and "skipgram" in c.function]
    assert blamed == ["skipgram is right with derive's naiveSoftmaxLossAndGradient: the error "
                      "is in your naiveSoftmaxLossAndGradient (sign flipped: this is minus the "
                      "gradient)"]


def test_a_loss_bug_is_not_blamed_on_skipgram(tmp_path):
    line, replacement, _, _ = MUTANTS["sample counted once"]
    report = against.check_file(write(tmp_path, RIGHT.replace(line, replacement)), seed=5,
                                functions=("skipgram",))
    by_run = {c.function: c for c in report.checks if not c.passed}
    assert set(by_run) == {"skipgram with your negSamplingLossAndGradient"}
    assert by_run["skipgram with your negSamplingLossAndGradient"].cause.startswith(
        "skipgram is right with derive's negSamplingLossAndGradient: the error is in your "
        "negSamplingLossAndGradient")


def test_unfinished_starter_is_named_for_each_function(capsys):
    assert main(["verify", "--against", str(DATA / "word2vec_starter.py")]) == 1
    out = capsys.readouterr().out
    assert out.count("unfinished") >= 4
    assert "sigmoid: unfinished: nothing between YOUR CODE HERE and END YOUR CODE" in out


def test_exit_loop_allocation_and_crash_each_end_in_a_verdict(capsys):
    assert main(["verify", "--against", str(DATA / "word2vec_hostile.py"), "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "sigmoid: sigmoid raised MemoryError" in out
    assert ("naiveSoftmaxLossAndGradient: naiveSoftmaxLossAndGradient called exit() / "
            "sys.exit(0) at line 17 of word2vec_hostile.py") in out
    assert "negSamplingLossAndGradient did not return within 5 s" in out
    assert "skipgram ended the process: exit status 0" in out
    assert out.count("died") == 1  # one run tells it; the others would end the same way
    assert "checking my answer" not in out  # the student's print goes nowhere


def test_accepted_shapes_pass_with_a_note():
    report = against.check_file(DATA / "word2vec_shapes.py", seed=2,
                                functions=("naiveSoftmaxLossAndGradient",))
    assert report.passed, report.checks
    notes = " ".join(c.note or "" for c in report.checks)
    assert "returns gradCenterVec with shape (5, 1); the course expects (5,)" in notes
    assert "returns the loss with shape (1,); the course expects a number" in notes


def test_a_skipgram_passing_its_centre_vector_as_a_column_passes_with_derives_losses(
        tmp_path):
    """The course's harness lets a skipgram pass row c as (d, 1) to the loss it is given (the
    student's own take it so): derive's drop-in losses take it too, the gradient back in that
    shape, so the skipgram is not judged to raise where it is right."""
    source = RIGHT.replace("word2vecLossAndGradient(centerWordVectors[c],",
                           "word2vecLossAndGradient(centerWordVectors[c].reshape(-1, 1),")
    source = source.replace("gradCenterVecs[c] += gc", "gradCenterVecs[c] += gc.reshape(-1)")
    assert source != RIGHT
    report = against.check_file(write(tmp_path, source), seed=3, functions=("skipgram",))
    derives = [c for c in report.checks if c.function.startswith("skipgram with derive's")]
    assert len(derives) >= 2 and all(c.passed for c in derives), derives


def test_skipgram_asserting_on_its_loss_is_judged_with_its_own():
    report = against.check_file(DATA / "word2vec_asserts.py", seed=4,
                                functions=("negSamplingLossAndGradient", "skipgram"))
    assert report.passed, [c for c in report.checks if not c.passed]
    notes = " ".join(c.note or "" for c in report.checks)
    assert "it asserts on the loss function it is given" in notes
    assert "checked against finite differences only" in notes
    runs = {c.function for c in report.checks}
    assert runs == {"negSamplingLossAndGradient", "skipgram with its default loss",
                    "skipgram with your negSamplingLossAndGradient"}


@pytest.mark.parametrize(("source", "function", "result", "cause"), [
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n"
     "    return 0.0, np.zeros(3), np.zeros(U.shape)\n", "naiveSoftmaxLossAndGradient",
     "wrong shape", "gradCenterVec has shape (3,); expected (5,)"),
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n    return 0.0, v\n",
     "naiveSoftmaxLossAndGradient", "wrong shape",
     "must return (loss, gradient, gradient); it returned a tuple of length 2"),
    ("def naiveSoftmaxLossAndGradient(v, o, U, d):\n    return 1 / 0\n",
     "naiveSoftmaxLossAndGradient", "raised",
     "naiveSoftmaxLossAndGradient raised ZeroDivisionError: division by zero at line 2 of "
     "word2vec.py"),
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n"
     "    return np.ones(2), v, U\n", "naiveSoftmaxLossAndGradient", "wrong shape",
     "must return a scalar loss; got shape (2,)"),
    ("def sigmoid(x):\n    return 'a'\n", "sigmoid", "wrong shape", "sigmoid returned shape ()"),
])
def test_a_broken_function_gets_its_verdict_and_the_others_are_still_checked(
        tmp_path, source, function, result, cause):
    path = write(tmp_path, source + "\n" + RIGHT.split("def negSamplingLossAndGradient")[0]
                 .replace(f"def {function}(", f"def _replaced_{function}("))
    report = against.check_file(path, seed=1, functions=("sigmoid", function))
    mine = [c for c in report.checks if c.function == function]
    assert [c.result for c in mine] == [result] and cause in mine[0].cause, mine
    if function != "sigmoid":
        assert verdicts(report)["sigmoid"] == {"pass"}


def test_sigmoid_with_e_typed_short_fails(tmp_path):
    # e = 2.7183 is 1.4e-6 off in relative terms: the course's 1e-5 would pass it.
    path = write(tmp_path, RIGHT.replace("np.exp(-x)", "2.7183 ** (-x)"))
    report = against.check_file(path, functions=("sigmoid",))
    assert not report.passed and "a constant such as e typed short" in report.checks[0].cause


def test_missing_functions_fail_unless_not_asked_for(capsys):
    path = str(DATA / "word2vec_shapes.py")
    assert main(["verify", "--against", path]) == 1
    assert "word2vec_shapes.py does not define skipgram" in capsys.readouterr().out
    assert main(["verify", "--against", path, "naive-softmax"]) == 0
    assert main(["verify", "--against", path, "--function", "naiveSoftmaxLossAndGradient"]) == 0
    out = capsys.readouterr().out
    assert "notes:" in out and "skipgram" not in out


def test_json_keeps_verdicts_and_notes(capsys):
    assert main(["verify", "--against", str(DATA / "word2vec_shapes.py"), "--json"]) == 1
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert {c.get("verdict") for c in checks} >= {"missing"}
    assert any("the course expects (5,)" in c.get("note", "") for c in checks)


@pytest.mark.parametrize(("source", "message"), [
    ("def naiveSoftmaxLossAndGradient(:\n", "line 1: syntax error"),
    ("raise RuntimeError('boom')\n", "raised RuntimeError: boom at line 1 when imported"),
    ("import sys\nsys.exit(3)\n", "raised SystemExit: 3 at line 2 when imported"),
    ("x = 1\n", "defines none of sigmoid, naiveSoftmaxLossAndGradient"),
])
def test_unusable_files_exit_2(tmp_path, capsys, source, message):
    path = write(tmp_path, source)
    assert main(["verify", "--against", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("derive verify: ") and message in captured.err, captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(("argv", "message"), [
    (["verify", "--against", "/nonexistent/word2vec.py"], "no such file"),
    (["verify", "cross-entropy", "--against", "x.py"], "cross-entropy has no function"),
    (["verify", "--against", "x.py", "--vocab", "2"], "--vocab of at least 3"),
    (["verify", "--function", "sigmoid"], "--function needs --against FILE"),
    (["verify", "--against", str(DATA / "word2vec_right.py"), "--function", "softmax"],
     "unknown function softmax; choose from sigmoid"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_float32_answer_is_judged_at_the_rounding_of_its_loss():
    # Differences of a float32 loss are off by about 1e-7·|J|/h ≈ 2e-3: no reason to fail it.
    report = against.check_file(DATA / "word2vec_float32.py", seed=3,
                                functions=("naiveSoftmaxLossAndGradient",
                                           "negSamplingLossAndGradient"))
    assert report.passed, [c for c in report.checks if not c.passed]
    notes = " ".join(c.note or "" for c in report.checks)
    assert "its loss is float32: finite differences of it are checked at" in notes
    # derive's own comparison keeps the float64 tolerance
    assert max(c.tolerance for c in report.checks if "vs derive" in c.target) < 1.1e-5


def test_a_wrong_sigmoid_inside_negative_sampling_is_blamed_on_the_sigmoid(tmp_path):
    line, replacement, _, _ = MUTANTS["sigma(-x)"]
    path = write(tmp_path, RIGHT.replace(line, replacement))
    report = against.check_file(path, seed=2, functions=("negSamplingLossAndGradient",))
    failed = [c for c in report.checks if not c.passed]
    assert failed and all(c.cause == "right with derive's sigmoid in place of yours: the error "
                                      "is in your sigmoid" for c in failed), failed


def test_a_loss_wrong_with_gradients_right_says_which_is_wrong(tmp_path):
    line, replacement, _, _ = MUTANTS["loss sign"]
    report = against.check_file(write(tmp_path, RIGHT.replace(line, replacement)), seed=4,
                                functions=("naiveSoftmaxLossAndGradient",))
    by_row = {(c.target.split(" ", 1)[1], c.wrt): c for c in report.checks}
    assert not by_row[("vs derive", "loss")].passed
    assert by_row[("vs derive", "gradCenterVec")].passed
    assert by_row[("vs finite differences", "gradCenterVec")].cause.startswith(
        "the gradient agrees with derive's; the loss does not")

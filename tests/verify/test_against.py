"""`derive verify --against`: a student's word2vec.py, right and wrong in the usual ways."""
from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.verify import against

RIGHT = """\
import numpy as np


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    logits = outsideVectors @ centerWordVec
    e = np.exp(logits - logits.max())
    y_hat = e / e.sum()
    loss = -np.log(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradCenterVec = outsideVectors.T @ delta
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs
"""

# (the line of RIGHT replaced, its replacement, the cause the report must name)
MUTANTS = {
    "sign": ("    gradCenterVec = outsideVectors.T @ delta",
             "    gradCenterVec = -(outsideVectors.T @ delta)", "sign flipped"),
    "scaled": ("    gradCenterVec = outsideVectors.T @ delta",
               "    gradCenterVec = 2 * outsideVectors.T @ delta", "scaled by 2"),
    "transpose": ("    gradOutsideVecs = np.outer(delta, centerWordVec)",
                  "    gradOutsideVecs = np.outer(centerWordVec, delta)", "transposed"),
    "dropped term": ("    delta[outsideWordIdx] -= 1", "    pass",
                     "the term -Uy of U(ŷ - y) is missing"),
    "off by one": ("    delta[outsideWordIdx] -= 1",
                   "    delta[(outsideWordIdx + 1) % len(delta)] -= 1", "off-by-one"),
    "cases swapped": ("    delta[outsideWordIdx] -= 1",
                      "    delta = np.full_like(y_hat, -1.0); delta[outsideWordIdx] = 0; "
                      "delta += y_hat", None),
}


def write(tmp_path, source, name="word2vec.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_right_implementation_passes(tmp_path, capsys):
    assert main(["verify", "--against", str(write(tmp_path, RIGHT)), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "all 6 checks passed" in out
    assert "word2vec.py vs finite differences  naiveSoftmaxLossAndGradient  gradOutsideVecs" in out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), vocab=st.integers(3, 30), dim=st.integers(2, 8))
def test_right_implementation_passes_everywhere(tmp_path_factory, seed, vocab, dim):
    path = write(tmp_path_factory.mktemp("w2v"), RIGHT)
    report = against.check_file(path, vocab=vocab, dim=dim, seed=seed)
    assert report.passed, [c for c in report.checks if not c.passed]
    assert len(report.checks) == 6


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_fails_with_its_cause(tmp_path, capsys, mutant):
    line, replacement, cause = MUTANTS[mutant]
    assert line in RIGHT
    path = write(tmp_path, RIGHT.replace(line, replacement))
    assert main(["verify", "--against", str(path), "--seed", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "likely causes:" in out
    if cause is not None:
        assert cause in out, out


def test_swapped_cases_are_named(tmp_path):
    # ŷ_w - 1 for every w ≠ o and ŷ_o at o: the two cases of the column rule swapped.
    line, replacement, _ = MUTANTS["cases swapped"]
    path = write(tmp_path, RIGHT.replace(line, replacement))
    report = against.check_file(path, seed=3)
    causes = {c.cause for c in report.checks if c.wrt == "gradOutsideVecs" and not c.passed}
    assert causes == {"the w = o and w ≠ o cases are swapped"}


def test_off_by_one_names_the_rows(tmp_path):
    line, replacement, _ = MUTANTS["off by one"]
    report = against.check_file(write(tmp_path, RIGHT.replace(line, replacement)), seed=3)
    rows = [c for c in report.checks if c.wrt == "gradOutsideVecs" and not c.passed]
    assert rows and all("instead of row o" in c.cause for c in rows)
    centre = [c for c in report.checks if c.wrt == "gradCenterVec" and not c.passed]
    assert centre
    assert all(c.cause.startswith("uses u_") and c.cause.endswith("off-by-one word index")
               for c in centre)


def test_only_the_wrong_gradient_fails(tmp_path):
    line, replacement, _ = MUTANTS["sign"]
    report = against.check_file(write(tmp_path, RIGHT.replace(line, replacement)), seed=3)
    failed = {(c.target, c.wrt) for c in report.checks if not c.passed}
    assert failed == {("word2vec.py vs finite differences", "gradCenterVec"),
                      ("word2vec.py vs derive", "gradCenterVec")}


def test_wrong_sigmoid_fails(tmp_path, capsys):
    source = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(x))\n"
    path = write(tmp_path, source)
    assert main(["verify", "--against", str(path)]) == 1
    assert "σ(−x)" in capsys.readouterr().out


def test_overflowing_sigmoid_fails_at_1000(tmp_path):
    source = ("import numpy as np\n\ndef sigmoid(x):\n"
              "    return np.exp(x) / (1 + np.exp(x))\n")
    report = against.check_file(write(tmp_path, source))
    assert not report.passed  # exp(1000)/exp(1000) is nan


NEG_SAMPLING_AND_SKIPGRAM = """\
import numpy as np


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def getNegativeSamples(outsideWordIdx, dataset, K):
    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == outsideWordIdx:
            newidx = dataset.sampleTokenIdx()
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    idx = [outsideWordIdx] + getNegativeSamples(outsideWordIdx, dataset, K)
    signs = np.array([1.0] + [-1.0] * K)
    s = sigmoid(signs * (outsideVectors[idx] @ centerWordVec))
    loss = -np.sum(np.log(s))
    coef = {sign}(1 - s) * signs
    gradCenterVec = outsideVectors[idx].T @ coef
    gradOutsideVecs = np.zeros_like(outsideVectors)
    np.add.at(gradOutsideVecs, idx, np.outer(coef, centerWordVec))
    return loss, gradCenterVec, gradOutsideVecs


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
             outsideVectors, dataset, word2vecLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    c = word2Ind[currentCenterWord]
    for word in outsideWords:
        l, gc, go = word2vecLossAndGradient(centerWordVectors[c], word2Ind[word], outsideVectors,
                                            dataset)
        loss += l
        gradCenterVecs[c] += gc
        gradOutsideVectors {acc} go
    return loss, gradCenterVecs, gradOutsideVectors
"""


def test_neg_sampling_and_skipgram_are_checked_by_differences(tmp_path):
    path = write(tmp_path, NEG_SAMPLING_AND_SKIPGRAM.format(sign="-", acc="+="))
    report = against.check_file(path, seed=4)
    functions = {c.function for c in report.checks}
    assert {"negSamplingLossAndGradient", "skipgram"} <= functions
    assert report.passed, [c for c in report.checks if not c.passed]


def test_wrong_neg_sampling_and_skipgram_fail(tmp_path):
    # sign: the gradient of log σ taken with the wrong sign; acc: only the last window word kept
    path = write(tmp_path, NEG_SAMPLING_AND_SKIPGRAM.format(sign="+", acc="="))
    report = against.check_file(path, seed=4)
    failed = {(c.function, c.wrt) for c in report.checks if not c.passed}
    assert ("negSamplingLossAndGradient", "gradCenterVec") in failed
    assert ("skipgram", "gradOutsideVectors") in failed


@pytest.mark.parametrize(("source", "message"), [
    ("def naiveSoftmaxLossAndGradient(:\n", "line 1: syntax error"),
    ("raise RuntimeError('boom')\n", "raised RuntimeError: boom at line 1 when imported"),
    ("import sys\nsys.exit(3)\n", "raised SystemExit: 3 at line 2 when imported"),
    ("x = 1\n", "defines none of sigmoid, naiveSoftmaxLossAndGradient"),
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n"
     "    return 0.0, np.zeros(3), np.zeros(U.shape)\n",
     "naiveSoftmaxLossAndGradient: gradCenterVec has shape (3,); expected (5,)"),
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n"
     "    return 0.0, v\n",
     "must return (loss, gradient, gradient); it returned tuple of length 2"),
    ("def naiveSoftmaxLossAndGradient(v, o, U, d):\n    return 1 / 0\n",
     "naiveSoftmaxLossAndGradient raised ZeroDivisionError: division by zero"),
    ("import numpy as np\ndef naiveSoftmaxLossAndGradient(v, o, U, d):\n"
     "    return np.ones(2), v, U\n", "must return a scalar loss; got shape (2,)"),
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
    (["verify", "naive-softmax", "--against", "x.py"], "not both"),
    (["verify", "--against", "x.py", "--vocab", "2"], "--vocab of at least 3"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_printing_in_the_file_does_not_reach_the_report(tmp_path, capsys):
    path = write(tmp_path, "print('hello from the student')\n" + RIGHT)
    assert main(["verify", "--against", str(path), "--json"]) == 0
    assert "hello" not in capsys.readouterr().out

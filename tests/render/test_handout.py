from __future__ import annotations

import os
import subprocess
import sys

import pytest

from derive import problems
from derive.calculus import rules
from derive.errors import HandoutError
from derive.render import handout


@pytest.fixture(scope="module")
def ctx():
    return handout.context(handout.derivations(["naive-softmax"]))


def question(ctx, label):
    return next(q for q in ctx["questions"] if q.label == label)


def test_parts_follow_the_rubric_and_cover_the_chain(ctx):
    b = question(ctx, "b")
    assert [p.points for p in b.parts] == [0.5, 0.5, 0.5, 1.0, 0.5]
    assert b.points == 3.0
    rules_by_part = [[r.rule for r in p.rows] for p in b.parts]
    assert rules_by_part == [
        ["definition", "softmax definition", "log of a quotient", "log of exp"],
        ["derivative", "linearity", "chain rule"],
        ["derivative of exp"],
        ["rearrange", "softmax definition"],
        ["one-hot vector", "matrix form"],
    ]


def test_results_are_the_matrix_forms_in_handout_notation(ctx):
    results = {q.label: [(r.lhs, r.rhs) for r in q.results] for q in ctx["questions"]}
    assert results["b"] == [(r"\frac{\partial J}{\partial \mathbf{v}_c}",
                             r"\mathbf{U} \left(\hat{\mathbf{y}} - \mathbf{y}\right)")]
    assert results["d"] == [(r"\frac{\partial J}{\partial \mathbf{U}}",
                             r"\mathbf{v}_c \left(\hat{\mathbf{y}} - \mathbf{y}\right)^\top")]
    assert [rhs for _, rhs in results["c"]] == [
        r"\left(\hat{y}_{w} - 1\right) \mathbf{v}_c", r"\hat{y}_{w} \mathbf{v}_c"]


def test_a_part_that_starts_midway_names_its_left_side(ctx):
    (part,) = question(ctx, "d").parts
    assert part.rows[0].lhs == r"\frac{\partial J}{\partial \mathbf{U}_{j,k}}"
    assert part.rows[0].rule == "one-hot vector"


def test_solutions_print_each_step_with_its_justification(ctx):
    src = handout.render("solutions", ctx, handout.environment())
    assert (r" &= \frac{\partial}{\partial \left(\mathbf{v}_c\right)_{j}} \left(\log{\left("
            r"\sum_{w' \in \text{Vocab}} \exp\left(\mathbf{u}_{w'}^\top \mathbf{v}_c\right) "
            r"\right)}\right) - \mathbf{U}_{j,o} && \why{linearity} \\") in src
    assert r"\rubric{1 pt}{4}" in src
    assert r"\why{one-hot vector (w \texorpdfstring{\ensuremath{\neq}}{≠} o)}" in src
    assert r"\newcommand{\vc}{\mathbf{v}_c}" in src


def test_questions_have_boxes_and_no_answers(ctx):
    src = handout.render("questions", ctx, handout.environment())
    assert src.count("\n\\answerbox{") == len(ctx["questions"]) == 3
    assert r"\hat{\mathbf{y}} - \mathbf{y}" not in src
    assert r"\question{c}{Gradient with respect to an outside vector}{3 pts}" in src


# Both handouts for every problem, written to the file argv[1] as one stream of bytes.
_RENDER_ALL = """
import sys
from derive.render import handout
ctx = handout.context(handout.derivations(None))
env = handout.environment()
with open(sys.argv[1], "wb") as f:
    for kind in ("questions", "solutions"):
        f.write(handout.render(kind, ctx, env).encode() + b"\\0")
"""


def test_rendering_is_the_same_bytes_under_any_hash_seed(tmp_path):
    # Separate processes, run side by side: str hashes, and so set order, differ between them.
    seeds = ("0", "12345")
    outs = [tmp_path / f"seed-{seed}" for seed in seeds]
    runs = [subprocess.Popen([sys.executable, "-c", _RENDER_ALL, str(out)], stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONHASHSEED": seed})
            for seed, out in zip(seeds, outs, strict=True)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    first, second = (out.read_bytes() for out in outs)
    questions, solutions, rest = first.split(b"\0")
    assert rest == b"" and questions.count(b"\n\\answerbox{") == len(problems.QUESTIONS)
    assert rb"\frac{\partial J}{\partial \mathbf{v}_c}" in solutions
    assert first == second


def test_user_strings_are_escaped_by_the_environment():
    ctx = handout.context(handout.derivations(["naive-softmax"]),
                          title=r"\input{/etc/passwd} & 100%", course="CS_224N #1 {x}")
    src = handout.render("questions", ctx, handout.environment())
    assert r"\textbackslash{}input\{/etc/passwd\} \& 100\%" in src
    assert r"CS\_224N \#1 \{x\}" in src
    assert r"\input{/etc/passwd}" not in src


def test_a_missing_variable_is_an_error_naming_it(tmp_path, ctx):
    (tmp_path / "questions.tex.j2").write_text("\\VAR{missing_thing}\n")
    with pytest.raises(HandoutError, match=r"^template questions.tex.j2, line 1: .*missing_thing"):
        handout.render("questions", ctx, handout.environment(tmp_path))


def test_a_template_syntax_error_names_file_and_line(tmp_path, ctx):
    (tmp_path / "solutions.tex.j2").write_text("ok\n%% for q in questions\nno end\n")
    with pytest.raises(HandoutError, match=r"^template .*solutions.tex.j2, line \d+: "):
        handout.render("solutions", ctx, handout.environment(tmp_path))


def test_user_templates_cannot_reach_python(tmp_path, ctx):
    (tmp_path / "questions.tex.j2").write_text(
        "\\VAR{title.__class__.__mro__[1].__subclasses__()}\n")
    with pytest.raises(HandoutError, match=r"^template questions.tex.j2, line 1: .*unsafe"):
        handout.render("questions", ctx, handout.environment(tmp_path))


def test_user_templates_override_ours_file_by_file(tmp_path, ctx):
    (tmp_path / "header.tex.j2").write_text("MY HEADER \\VAR{title}\n")
    src = handout.render("questions", ctx, handout.environment(tmp_path))
    assert "MY HEADER Assignment 2: Understanding word2vec" in src
    assert r"\answerbox{" in src


def test_a_step_that_does_not_verify_stops_the_handout_and_is_located(monkeypatch):
    real = rules.chain_rule
    monkeypatch.setattr(rules, "chain_rule", lambda e: 2 * real(e))
    with pytest.raises(HandoutError,
                       match=r"^naive-softmax: question \(b\) Gradient with respect to the centre "
                             r"vector, PART 2, step 'chain rule' does not verify; no handout"):
        handout.derivations(["naive-softmax"])


def test_every_question_is_about_a_known_problem():
    assert {q.problem for q in problems.QUESTIONS} <= set(problems.PROBLEMS)
    assert len({q.label for q in problems.QUESTIONS}) == len(problems.QUESTIONS)


@pytest.fixture(scope="module")
def all_ctx():
    return handout.context(handout.derivations(list(problems.PROBLEMS)))


def test_cross_entropy_question_reaches_the_naive_softmax_loss(all_ctx):
    (part,) = question(all_ctx, "a").parts
    assert [(r.rule, r.rhs) for r in part.rows] == [
        ("definition", r"- \sum_{w \in \text{Vocab}} y_{w} \log \hat{y}_{w}"),
        ("one-hot vector", r"- \log \hat{y}_{o}")]


def test_neg_sampling_question_states_its_printed_loss_and_results(all_ctx):
    e = question(all_ctx, "g")
    assert problems.LOSS not in e.prompt
    assert (r"- \log{\left(\sigma\left(\mathbf{u}_o^\top \mathbf{v}_c\right) \right)}"
            in e.prompt)
    assert [rhs for _, rhs in [(r.lhs, r.rhs) for r in e.results]] == [
        r"- \sigma\left(- \mathbf{u}_o^\top \mathbf{v}_c\right) \mathbf{u}_o + "
        r"\mathbf{U}_{\text{neg}} \sigma\left(\mathbf{U}_{\text{neg}}^\top \mathbf{v}_c\right)",
        r"- \sigma\left(- \mathbf{u}_o^\top \mathbf{v}_c\right) \mathbf{v}_c",
        r"\mathbf{v}_c \sigma\left(\mathbf{U}_{\text{neg}}^\top \mathbf{v}_c\right)^\top"]
    assert "cheaper" in e.prompt and "O(Kd)" in e.remark
    assert [p.points for p in e.parts] == [1.0, 1.0, 1.0, 1.0]


def test_scalar_questions_reach_the_derivative_in_sigma_and_in_pieces(all_ctx):
    f = question(all_ctx, "f")
    assert [r.rhs for r in f.results] == [
        r"\left(1 - \sigma\left(x\right)\right) \sigma\left(x\right)"]
    assert [r.rule for p in f.parts for r in p.rows] == [
        "definition", "definition of σ", "derivative", "power rule", "derivative of exp",
        "rearrange", "definition of σ"]
    e = question(all_ctx, "e")
    assert [r.rhs for r in e.results] == [
        r"\begin{cases} \alpha & \text{for}\: x < 0 \\1 & \text{otherwise} \end{cases}"]
    assert r"\max" in e.prompt and problems.LOSS not in e.prompt


def test_the_question_and_solution_templates_type_no_formula():
    # Layout only: math in them is a printed value placed between $…$, never typed.
    import re
    from pathlib import Path

    import derive.templates

    folder = Path(derive.templates.__file__).parent
    for name in ("questions.tex.j2", "solutions.tex.j2", "header.tex.j2"):
        text = (folder / name).read_text(encoding="utf-8")
        assert re.sub(r"\$\\VAR\{[^}]*\}\$", "", text).count("$") == 0, name


def test_an_error_in_an_included_template_names_that_file_and_line(tmp_path, ctx):
    (tmp_path / "header.tex.j2").write_text("ok\n\n\n\\VAR{subtitel}\n")
    with pytest.raises(HandoutError,
                       match=r"^template header.tex.j2, line 4: 'subtitel' is undefined$"):
        handout.render("questions", ctx, handout.environment(tmp_path))


def test_an_override_with_a_name_we_do_not_use_is_an_error_listing_ours(tmp_path):
    (tmp_path / "question.tex.j2").write_text("x")
    (tmp_path / "header.tex.j2").write_text("x")
    with pytest.raises(ValueError, match=r"^--templates .*: question.tex.j2 is not a name we use; "
                                         r"the templates are questions.tex.j2, solutions.tex.j2, "
                                         r"preamble.tex.j2, header.tex.j2$"):
        handout.check_templates(tmp_path)
    (tmp_path / "question.tex.j2").unlink()
    handout.check_templates(tmp_path)  # our names only: fine


def test_points_scaled_by_a_spec_print_to_two_decimals():
    assert [handout.points_text(p) for p in (1, 0.5, 4 / 3, 2.5, 0.6666666)] == [
        "1 pt", "0.5 pts", "1.33 pts", "2.5 pts", "0.67 pts"]


def test_prose_names_another_question_by_its_label_here_or_its_title():
    views = {v.label: v for v in handout.question_views(handout.derivations(["skip-gram"]))}
    assert "the gradient of (g) for its own outside word" in views["i"].remark
    from derive.render import spec

    alone = [spec.scaled(spec.BY_ID["skip-gram"], "a", None)]
    (view,) = handout.question_views(handout.derivations(["skip-gram"]), alone)
    assert "the gradient of the question ``Negative sampling'' for" in view.remark


def test_a_prompt_sums_over_the_letter_its_prose_uses():
    views = {v.label: v for v in handout.question_views(
        handout.derivations(["neg-sampling", "neg-sampling-repeated"]))}
    assert r"- \sum_{k=1}^{K} \log{\left(\sigma\left(- \mathbf{u}_{k}^\top" in views["g"].prompt
    assert r"- \sum_{w \in \text{Vocab}} n_{w} \log{" in views["h"].prompt
    assert "k'" not in views["g"].prompt and "w'" not in views["h"].prompt

from __future__ import annotations

import pytest

from derive import problems
from derive.render import spec

SPEC = '''title = "Problème 2"
course = "CS224N"

[[questions]]
id = "neg-sampling"
points = 5

[[questions]]
id = "naive-softmax-vc"
points = 4

[[questions]]
id = "sigmoid"
'''


def test_questions_keep_the_spec_order_labelled_a_b_c(tmp_path):
    s = spec.parse(SPEC, tmp_path)
    assert [(q.label, q.id) for q in s.questions] == [
        ("a", "neg-sampling"), ("b", "naive-softmax-vc"), ("c", "sigmoid")]
    assert (s.title, s.course) == ("Problème 2", "CS224N")


def test_points_scale_the_rubric_parts(tmp_path):
    a, b, c = spec.parse(SPEC, tmp_path).questions
    assert [p.points for p in a.parts] == [1.25] * 4  # 4 Parts of 1 pt, scaled to 5
    original = spec.BY_ID["naive-softmax-vc"].parts
    assert [p.points for p in b.parts] == pytest.approx([p.points * 4 / 3 for p in original])
    assert b.points == pytest.approx(4)
    assert c.points == spec.BY_ID["sigmoid"].points  # no points: the rubric's own
    assert spec.parse(SPEC, tmp_path).total_points == pytest.approx(5 + 4 + 2.5)


def test_every_built_in_question_has_a_distinct_id():
    ids = [q.id for q in problems.QUESTIONS]
    assert all(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize(("text", "message"), [
    (SPEC.replace('id = "sigmoid"', 'id = "sigmoidd"'),
     r"^spec, line 13: unknown question id 'sigmoidd'; ids: cross-entropy, "),
    (SPEC.replace("points = 4", "pionts = 4"),
     r"^spec, line 10: unknown key 'pionts' in question 2; a question has id, points"),
    ("subtitle = 'x'\n" + SPEC, r"^spec, line 1: unknown key 'subtitle'; a spec has title, "),
    (SPEC.replace("points = 5", "points = -1"),
     r"^spec, line 6: points must be a number above 0 \(at most 1000\), not -1$"),
    ('title = "x"\n', r"^spec: no \[\[questions\]\]"),
    ("title = ", r"^spec: not TOML: "),
    ('title = "' + "a" * 201 + '"\n' + SPEC.split("\n", 1)[1],
     r"^spec, line 1: the title is 201 characters long; at most 200"),
    (SPEC.replace("CS224N", "CS224N 🙂"),
     r"^spec, line 2: the course 'CS224N 🙂': character '🙂' \(U\+1F642 "),
])
def test_a_mistake_is_named_with_its_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        spec.parse(text, tmp_path)


LOSS = SPEC + '''
[[questions]]
loss = "l2.tex"
wrt = ["v_c"]
title = "Regularised centre vector"
prompt = "Differentiate the regularised loss."
points = 3
'''


def test_a_missing_loss_file_is_named_with_its_line(tmp_path):
    with pytest.raises(ValueError, match=r"^spec, line 16: loss file 'l2.tex': no such file"):
        spec.parse(LOSS, tmp_path)


def test_a_loss_question_reads_its_keys(tmp_path):
    (tmp_path / "l2.tex").write_text("J = ...")
    *_, d = spec.parse(LOSS, tmp_path).questions
    assert isinstance(d, spec.LossQuestion)
    assert (d.label, d.path, d.wrt, d.points) == ("d", tmp_path / "l2.tex", ("v_c",), 3.0)
    with pytest.raises(ValueError, match=r"^spec, line 18: unknown key 'id' in question 4"):
        spec.parse(LOSS.replace('wrt = ["v_c"]', 'wrt = ["v_c"]\nid = "x"'), tmp_path)


L2 = r"""Let $\mathbf{U} \in \mathbb{R}^{d \times V}$ and $\mathbf{v}_c \in \mathbb{R}^{d}$;
$o \in \{1, \dots, V\}$ is the outside word, and $\lambda > 0$.
$$\hat{\mathbf{y}} = \operatorname{softmax}(\mathbf{U}^\top \mathbf{v}_c)$$
$$J = -\log \hat{y}_o + \frac{\lambda}{2} \|\mathbf{v}_c\|^2$$
"""


def test_a_loss_question_reads_its_loss_file_with_its_wrt(tmp_path):
    (tmp_path / "l2.tex").write_text(L2)
    loss = spec.load_loss(tmp_path / "l2.tex", ("v_c",))
    assert loss.name == "l2" and [o.name for o in loss.wrt] == ["v_c"]
    assert [o.name for o in spec.load_loss(tmp_path / "l2.tex", ()).wrt] == ["U", "v_c"]


@pytest.mark.parametrize(("text", "wrt", "message"), [
    (None, (), r"^.*/l2.tex: \[Errno 2\] No such file"),
    (L2, ("b",), r"^.*/l2.tex: wrt b: not a declared vector or matrix \(declared: U, v_c\)$"),
    (L2.replace(r"\|^2", r"\|^"), (),
     r"^.*/l2.tex: line 4, column \d+: the formula ends too early$"),
])
def test_an_unusable_loss_file_is_a_usage_error_naming_it(tmp_path, text, wrt, message):
    if text is not None:
        (tmp_path / "l2.tex").write_text(text)
    with pytest.raises(ValueError, match=message):
        spec.load_loss(tmp_path / "l2.tex", wrt)

"""The step checker on the seed (tests/data/seed_a2.md: the graded CS224N A2 answer, name removed,
line numbers as in ../shared/seed) and on our own solutions handout."""
from __future__ import annotations

from pathlib import Path

from derive.render import handout
from derive.steps import check_text

SEED = (Path(__file__).parent.parent / "data" / "seed_a2.md").read_text(encoding="utf-8")
SEED_LINES = SEED.splitlines(keepends=True)
# The typeset answer is lines 1–83; the handwritten transcript starts at line 84. Blank lines keep
# the handwritten half's line numbers those of the seed.
TYPESET = "".join(SEED_LINES[:83])
HANDWRITTEN = "\n" * 83 + "".join(SEED_LINES[83:])
# What the transcript needs: uw for u_w, 0 for the index o (u_0, and ω = 0 in the cases), u_c
# for u_o (1.b's loss), v for U (1.a's J(v_c, o, v)), \dot{y} for \hat{y}.
ALIASES = ["uw=u_w", "0=o", "u_c=u_o", "v=U", r"\dot{y}=\hat{y}"]

# Worked out by hand before the checker ran: the steps of the handwritten 1.a and 1.b that are
# not equalities, by seed line, with why.
WRONG_STEPS = {
    # 1.a, "Solving ③": ∂/∂v_c (u_wᵀv_c) is the column u_w (the gradient has the shape of v_c);
    # u_wᵀ is a row, so the sum of rows is right only up to a transpose: a layout error.
    113: ["layout"],
    # 1.b, "Solving ③ = Σ_w' exp(u_w'ᵀv_c) ∂/∂u_w exp(u_w'ᵀv_c)": the derivative of a sum is the
    # sum of the derivatives; the extra factor exp(u_w'ᵀv_c) is left over from the chain rule of
    # log one line earlier. The next "= Σ_w' exp(u_w'ᵀv_c) v_c" keeps the whole sum, but
    # ∂/∂u_w exp(u_w'ᵀv_c) vanishes unless w' = w: only the w term survives.
    137: ["fails", "fails"],
    # "= Σ_w' exp(u_w'ᵀv_c) v_c / Σ_w' exp(u_w'ᵀv_c)": the fraction is v_c, which is neither the
    # line before (S·v_c) nor ② (ŷ_w v_c) that it substitutes into; and "⇒ ŷ_w v_c" claims that
    # v_c = ŷ_w v_c. The numerator should have been exp(u_wᵀv_c) v_c.
    141: ["fails", "fails"],
}


def _failures(report) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    out: dict[int, list[str]] = {}
    for v in report.verdicts:
        if v.failed:
            out.setdefault(v.step.line, []).append(v.status)
    return out


def test_typeset_seed_holds_at_every_step() -> None:
    report = check_text(TYPESET)
    assert report.passed
    assert report.checked == 20  # J_{naive-softmax} = -log ŷ_o checked against the loss
    # the case w = o stated in the prose before the display, and w ≠ o before the next
    conditions = {v.step.line: [str(c) for c in v.step.conditions] for v in report.verdicts}
    assert "IndexRel(a='w', op='=', b='o')" in conditions[63]
    assert "IndexRel(a='w', op='≠', b='o')" in conditions[71]


def test_handwritten_seed_fails_exactly_at_the_wrong_steps() -> None:
    report = check_text(HANDWRITTEN, aliases=ALIASES)
    assert _failures(report) == WRONG_STEPS
    # 17 steps, and 1.a's first line J = -log ŷ_o checked against the loss (J_{naive-softmax}
    # is named in the prose); the ω of the cases in the prose has no alias, so it is unread
    assert report.checked == 18
    assert [v.step.line for v in report.verdicts if v.status == "unread"] == [156]


def test_whole_seed_in_one_file() -> None:
    report = check_text(SEED, aliases=ALIASES)
    assert _failures(report) == WRONG_STEPS
    assert not report.passed


def test_layout_error_is_accepted_in_numerator_layout() -> None:
    denominator = check_text(HANDWRITTEN, aliases=ALIASES)
    numerator = check_text(HANDWRITTEN, aliases=ALIASES, layout="numerator")
    assert "layout" in _failures(denominator)[113]
    assert 113 not in _failures(numerator)
    # and in the numerator layout ∂/∂v_c(−u_oᵀv_c) = −u_o is the one that is transposed
    assert _failures(numerator)[101] == ["layout"]


def test_wrong_step_reports_its_error() -> None:
    report = check_text(HANDWRITTEN, aliases=ALIASES)
    first = next(v for v in report.verdicts if v.step.line == 137)
    assert 0.05 < first.max_rel_error < 10
    assert "differ" in first.reason
    layout = next(v for v in report.verdicts if v.step.line == 113 and v.failed)
    assert layout.reason.startswith("shape (1, d) where (d,) is expected")


def test_our_solutions_handout_round_trips(tmp_path: Path) -> None:
    # Every question but skip-gram, whose window sums the checker does not read yet.
    unread = {"skip-gram"}
    ctx = handout.context({k: v for k, v in handout.derivations().items() if k not in unread})
    tex = handout.render("solutions", ctx, handout.environment())
    report = check_text(tex)
    assert report.passed, report.table()
    assert report.checked >= 78
    statuses = {v.status for v in report.verdicts}
    assert statuses <= {"holds", "definition"}


def test_our_skip_gram_solutions_are_read_and_every_step_holds() -> None:
    # the window sums, ∂/∂v_w (w ≠ c) and y_{w_{t+j}}: all read, all judged
    ctx = handout.context(handout.derivations(["skip-gram"]))
    tex = handout.render("solutions", ctx, handout.environment())
    report = check_text(tex)
    assert {v.status for v in report.verdicts} == {"holds"} and len(report.verdicts) == 12
    assert report.exit_status == 0

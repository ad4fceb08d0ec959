"""A derivation as text (for terminals), LaTeX, or JSON-ready data."""
from __future__ import annotations

from typing import Any, NamedTuple

from .. import notation as n
from .. import printing
from ..calculus.records import Derivation, Gradient, Step
from .tex import escape

WIDTH = 72


def gradient_label(grad: Gradient, *, latex: bool = False, of: str = "J") -> str:
    """∂J/∂x; `of` names the loss where J alone would be ambiguous (J_skip-gram sums J's)."""
    name = grad.name
    if latex:
        name = r"\mathbf{u}_w" if name == "u_w" else grad.wrt.latex
    return rf"\frac{{\partial {of}}}{{\partial {name}}}" if latex else f"∂{of}/∂{name}"


def loss_name(derivation: Derivation, *, latex: bool = False) -> str:
    """J, or J_skip-gram for a loss that sums a pair loss J over a window."""
    if derivation.loss.pair is None:
        return "J"
    return loss_label(derivation) if latex else f"J_{derivation.loss.name}"


def case_text(grad: Gradient) -> str:
    return grad.case.replace("!=", "≠")


def case_latex(grad: Gradient) -> str:
    return grad.case.replace("!=", r"\neq")


def rule_text(rule: str) -> str:
    """A rule's name as printed: "one-hot vector (w ≠ o)", never the code's !=."""
    return rule.replace("!=", "≠")


def _step_lines(steps: tuple[Step, ...]) -> list[str]:
    lines = []
    for step in steps:
        body = printing.text(step.expr)
        lines.append(f"  = {body}".ljust(WIDTH) + f"  [{rule_text(step.rule)}]")
    return lines


def text(derivation: Derivation, title: str) -> str:
    """The whole derivation, one step a line with its rule, then the results."""
    out = [f"{derivation.loss.name}: {title}", "", "J"]
    out += _step_lines(derivation.loss_steps)
    for grad in derivation.gradients:
        entry = ("entry " + ", ".join(n.INDEX_LATEX.get(x, str(x)) for x in grad.index)
                 if grad.index
                 else "a scalar" if not grad.wrt.indexed.shape else "the whole gradient")
        where = f"case {case_text(grad)}" if grad.case else entry
        head = f"{gradient_label(grad, of=loss_name(derivation))}  ({where})"
        out += ["", head] + _step_lines(grad.steps)
    out += ["", "Results"]
    for grad in derivation.gradients:
        case = f"   (if {case_text(grad)})" if grad.case else ""
        label = gradient_label(grad, of=loss_name(derivation))
        out.append(f"  {label} = {printing.text(grad.result)}{case}")
    out += _softmax_line(derivation)
    count = len(derivation.loss_steps) + sum(len(g.steps) for g in derivation.gradients)
    out += ["", f"All {count} steps verified numerically at {derivation.checked_at}."]
    return "\n".join(out) + "\n"


def _softmax_line(derivation: Derivation) -> list[str]:
    """What ŷ stands for, under a loss file's results: the file may never have named it (a
    softmax written out is recognised as ŷ)."""
    loss = derivation.loss
    if not loss.objects or loss.softmax is None:
        return []
    from ..calculus.matrixform import NoMatrixForm, fold

    try:
        logits = printing.text(fold(loss.softmax.logit(n.w), (n.w,), {n.w: n.V}))
    except NoMatrixForm:
        z = printing.text(loss.softmax.logit(n.w))
        return [f"  where ŷ_w = exp(z_w)/Σ_w' exp(z_w'), z_w = {z}"]
    return [f"  where ŷ = softmax({logits})"]


def loss_label(derivation: Derivation) -> str:
    return rf"J_{{\text{{{derivation.loss.name}}}}}"


def entry_label(grad: Gradient, of: str = "J") -> str:
    """∂J/∂x_j: the left side of a chain that works entry by entry."""
    if not grad.index:  # the chain is the whole derivative from the start
        return gradient_label(grad, latex=True, of=of)
    index = grad.index + ((n.w,) if grad.case else ())
    return rf"\frac{{\partial J}}{{\partial {printing.latex(grad.wrt.indexed[index])}}}"


class Row(NamedTuple):
    lhs: str
    rhs: str
    rule: str
    matrix: bool
    case: str = ""  # LaTeX, e.g. "w = o": the chain holds in this case only


def latex_rows(steps: tuple[Step, ...], first: str, matrix: str = "") -> list[Row]:
    """(left side, right side, rule) for each step: `first` names the chain's first line and
    `matrix` the matrix form, which is a new statement (the whole gradient, not an entry)."""
    rows = []
    for idx, step in enumerate(steps):
        lhs = first if idx == 0 else matrix if step.matrix else ""
        rows.append(Row(lhs, printing.latex(step.expr), step.rule, step.matrix))
    return rows


def chains(derivation: Derivation) -> dict[str, list[Row]]:
    """Every chain of the derivation as LaTeX rows, by name ("J", "v_c", "u_w (w = o)", …)."""
    out = {"J": latex_rows(derivation.loss_steps, loss_label(derivation))}
    of = loss_name(derivation, latex=True)
    for grad in derivation.gradients:
        rows = latex_rows(grad.steps, entry_label(grad, of),
                          gradient_label(grad, latex=True, of=of))
        out[grad.key] = [r._replace(case=case_latex(grad)) for r in rows]
    return out


# `derive show --format latex` is a document that compiles as it is (pdflatex grads.tex); its
# aligned blocks can also be pasted into one's own document (amsmath, amssymb).
LATEX_DOCUMENT = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[landscape,margin=1.5cm]{geometry}
\usepackage{amsmath,amssymb}
\providecommand{\texorpdfstring}[2]{#1}
\begin{document}
"""


def latex(derivation: Derivation) -> str:
    """Each chain as an aligned block, the rule of each step as its \\text{} justification,
    in a document of its own."""
    blocks = []
    for key, rows in chains(derivation).items():
        lines = [rf"{r.lhs} &= {r.rhs} && \text{{({escape(rule_text(r.rule))})}}" for r in rows]
        body = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
        blocks.append(f"% {rule_text(key)}\n\\[\n{body}\n\\]")
    return LATEX_DOCUMENT + "\n\n".join(blocks) + "\n\\end{document}\n"


def data(derivation: Derivation, title: str) -> dict[str, Any]:
    def steps(seq: tuple[Step, ...]) -> list[dict[str, str]]:
        return [{"rule": rule_text(s.rule), "text": printing.text(s.expr),
                 "latex": printing.latex(s.expr)} for s in seq]

    return {
        "problem": derivation.loss.name,
        "title": title,
        "loss": steps(derivation.loss_steps),
        "gradients": [
            {"wrt": g.name, "case": case_text(g) or None,
             "result": {"text": printing.text(g.result), "latex": printing.latex(g.result)},
             "steps": steps(g.steps)}
            for g in derivation.gradients
        ],
        "verified_at": [list(s) for s in n.CHECK_SIZES],
    }

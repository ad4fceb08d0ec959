"""Question and solution handouts: the derivations' chains, split into rubric Parts, rendered by
Jinja2 templates written with LaTeX-safe delimiters.

Every equation reaches a template already printed (report.chains) from a derivation whose every
step was checked numerically (calculus.derive); a step that fails stops the render with the
question, Part and step it belongs to. Plain strings placed with \\VAR{…} are LaTeX-escaped by the
environment itself (`finalize`), so a title can only ever print as text; our own LaTeX is marked
`tex.TeX` to pass unchanged. Templates given by users are rendered in Jinja2's sandbox.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp
from jinja2.sandbox import SandboxedEnvironment

from .. import calculus
from .. import notation as n
from ..calculus.records import Derivation, Loss
from ..errors import DerivationError, HandoutError
from ..printing import latex
from ..problems import LOSS, PROBLEMS, QUESTIONS, REF, Question
from .report import Row, chains, rule_text
from .tex import TeX, escape

KINDS = ("questions", "solutions")
# The templates we render: a folder of overrides may hold these and nothing else.
TEMPLATE_NAMES = ("questions.tex.j2", "solutions.tex.j2", "preamble.tex.j2", "header.tex.j2")
# Longer titles and course names are refused: a title is a line of the header, not a document.
MAX_TITLE = 200
DEFAULT_TITLE = "Assignment 2: Understanding word2vec"
DEFAULT_COURSE = "CS224N: Natural Language Processing with Deep Learning"


@dataclass(frozen=True)
class PartView:
    number: int
    points: float
    rows: tuple[Row, ...]
    case: TeX = TeX("")  # the case the Part's chain holds in (w = o), stated before it


@dataclass(frozen=True)
class QuestionView:
    label: str
    title: str
    prompt: TeX
    points: float
    parts: tuple[PartView, ...]
    results: tuple[Row, ...]
    remark: TeX
    answer: TeX = TeX("")  # the student's typeset answer (answers.py), placed in the box
    marks: TeX = TeX("")  # check-steps' verdicts beside the box, with --check --mark


def environment(templates: Path | None = None) -> jinja2.Environment:
    """Our templates, overridden file by file by those in `templates` (sandboxed when given)."""
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.PackageLoader("derive.templates", "."))
    cls = SandboxedEnvironment if templates is not None else jinja2.Environment
    env = cls(
        loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined, autoescape=False,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_statement_prefix="%%", line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize)
    env.filters["pts"] = points_text
    return env


def check_templates(folder: Path) -> None:
    """A folder of overrides holds only files named as ours: a misspelt name would otherwise be
    ignored without a word, and the handout built from our template instead."""
    if not folder.is_dir():
        raise ValueError(f"--templates {folder}: no such folder")
    unused = sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")
                    and p.name not in TEMPLATE_NAMES and p.name != "__pycache__")
    if unused:
        raise ValueError(f"--templates {folder}: {', '.join(unused)} "
                         f"{'is not a name' if len(unused) == 1 else 'are not names'} we use; "
                         f"the templates are {', '.join(TEMPLATE_NAMES)}")


def check_title(field: str, text: str) -> None:
    """A title or course name the header can print: at most MAX_TITLE characters, each one the
    fonts have (a ValueError naming it otherwise)."""
    if len(text) > MAX_TITLE:
        raise ValueError(f"the {field} is {len(text):,} characters long; at most {MAX_TITLE} "
                         f"(it starts {text[:40]!r})")
    try:
        escape(text)
    except ValueError as exc:
        raise ValueError(f"the {field} {text[:60]!r}: {exc}") from None


def _finalize(value: Any) -> str:
    if isinstance(value, TeX):
        return value
    if isinstance(value, float):
        value = f"{value:g}"
    return escape(str(value))


def points_text(points: float) -> str:
    # Points a spec scaled (4/3 of 0.5) print to two decimals; the rubric's own as they are.
    points = round(points, 2)
    return f"{points:g} pt" if points == 1 else f"{points:g} pts"


def question_views(derivations: dict[str, Derivation],
                   questions: Iterable[Question] = QUESTIONS) -> list[QuestionView]:
    questions = list(questions)
    labels = {q.id: f"({q.label})" for q in questions if q.id}
    views = []
    for q in questions:
        if q.problem not in derivations:
            continue
        rows = {key: [_tex_row(r) for r in chain]
                for key, chain in chains(derivations[q.problem]).items()}
        parts = _parts(q, rows)
        results = tuple(r for p in parts for r in p.rows if r.matrix)
        # The loss a prompt states is printed from the derivation, never typed into the prompt.
        prompt = q.prompt.replace(LOSS, latex(_unprimed(derivations[q.problem].loss.expr)))
        views.append(QuestionView(q.label, q.title, TeX(_refs(prompt, labels)), q.points, parts,
                                  results, TeX(_refs(q.remark, labels))))
    return views


def _unprimed(expr: sp.Expr) -> sp.Expr:
    """The loss as a prompt states it: summed over k, the letter of the prose's u_k, where the
    derivation needs k' (beside a free k)."""
    for dummy, twin in n.UNPRIMED.items():
        if twin not in expr.free_symbols:
            expr = expr.xreplace({dummy: twin})
    return expr


def _refs(prose: str, labels: dict[str, str]) -> str:
    """Prose naming another question (problems.REF): its label here, or its title when the
    handout at hand leaves it out."""
    for q in QUESTIONS:
        ref = REF.format(q.id)
        if ref in prose:
            prose = prose.replace(ref, labels.get(q.id, f"the question ``{escape(q.title)}''"))
    return prose


def _tex_row(row: Row) -> Row:
    """Our printed LaTeX is placed as it is; the rule name stays text, escaped like any string."""
    return row._replace(lhs=TeX(row.lhs), rhs=TeX(row.rhs), rule=rule_text(row.rule),
                        case=TeX(row.case))


def _parts(q: Question, rows: dict[str, list[Row]]) -> tuple[PartView, ...]:
    """Each rubric Part's rows: a run of one chain, as problems.Part describes."""
    cursor: dict[str, int] = {}
    parts = []
    for number, part in enumerate(q.parts, start=1):
        if part.chain not in rows:
            raise HandoutError(f"question ({q.label}): no chain {part.chain!r} in the derivation "
                               f"of {q.problem}; chains: {', '.join(rows)}")
        chain = rows[part.chain]
        start = (_index_of(q, chain, part.start, 0) if part.start
                 else cursor.get(part.chain, 0))
        end = _index_of(q, chain, part.through, start) + 1 if part.through else len(chain)
        segment = list(chain[start:end])
        if segment and not segment[0].lhs and part.chain not in cursor:
            segment[0] = segment[0]._replace(lhs=chain[0].lhs)
        cursor[part.chain] = end
        case = TeX(segment[0].case) if segment else TeX("")
        parts.append(PartView(number, part.points, tuple(segment), case))
    return tuple(parts)


def _index_of(q: Question, chain: list[Row], rule: str, start: int) -> int:
    for idx in range(start, len(chain)):
        if chain[idx].rule == rule:
            return idx
    raise HandoutError(f"question ({q.label}): no step {rule!r} in its chain after step {start}")


def locate(name: str, chain: str, rule: str, derivation: Derivation,
           questions: Iterable[Question] = QUESTIONS) -> str:
    """Where a failing step would be printed: "question (b) <title>, PART 3, step 'chain rule'"."""
    rows = chains(derivation)
    for q in questions:
        if q.problem != name:
            continue
        for part, number in ((p, p.number) for p in _parts(q, rows)):
            if any(r.rule == rule for r in part.rows) and q.parts[number - 1].chain == chain:
                return f"question ({q.label}) {q.title}, PART {number}, step '{rule}'"
    return f"chain {chain}, step '{rule}'"


def context(derivations: dict[str, Derivation], *, title: str = DEFAULT_TITLE,
            course: str = DEFAULT_COURSE, questions: Iterable[Question] = QUESTIONS,
            answers: Mapping[str, TeX] | None = None, marks: Mapping[str, TeX] | None = None,
            one_per_page: bool = False) -> dict[str, Any]:
    """What every template receives (the README lists it). `answers` and `marks` are by
    question label: the LaTeX placed in its box and the note beside it."""
    check_title("title", title)
    check_title("course", course)
    views = [dataclasses.replace(v, answer=(answers or {}).get(v.label, TeX("")),
                                 marks=(marks or {}).get(v.label, TeX("")))
             for v in question_views(derivations, questions)]
    return {
        "title": title, "course": course,
        "macros": [TeX(rf"\newcommand{{\{name}}}{{{body}}}") for name, body in n.MACROS.items()],
        "conventions": TeX(n.CONVENTIONS_LATEX),
        "questions": views,
        "total_points": sum(v.points for v in views),
        "one_per_page": one_per_page,
    }


def render(kind: str, ctx: dict[str, Any], env: jinja2.Environment) -> str:
    """The LaTeX of handout `kind` ("questions" or "solutions")."""
    name = f"{kind}.tex.j2"
    try:
        return env.get_template(name).render(ctx, kind=kind)
    except jinja2.TemplateSyntaxError as exc:
        raise HandoutError(f"template {exc.name or exc.filename}, line {exc.lineno}: "
                           f"{exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise HandoutError(f"template {exc.name} not found") from None
    except jinja2.TemplateError as exc:
        raise HandoutError(f"template {_where(exc, name)}: {exc}") from None


def _where(exc: BaseException, name: str) -> str:
    """The template and line an error was raised in: Jinja2 rewrites the traceback so that a
    template's frames carry its file and line, so an error in an included header.tex.j2 is
    reported there rather than against the questions.tex.j2 that included it."""
    where = name
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{Path(filename).name}, line {tb.tb_lineno}"
        tb = tb.tb_next
    return where


def derive_loss(loss: Loss, *, known: Iterable[Derivation] = ()) -> Derivation:
    """A spec's loss-file question, derived and verified as our own problems are."""
    try:
        return calculus.derive(loss, known=known)
    except DerivationError as exc:
        raise HandoutError(f"{loss.name}: a step does not verify; no handout written. {exc}") \
            from None


def derivations(names: Iterable[str] | None = None) -> dict[str, Derivation]:
    """Every problem's verified derivation; a step that fails names where it would be printed."""
    out: dict[str, Derivation] = {}
    for name in names or PROBLEMS:
        try:
            # Each derived once: a window loss reuses the derivation of its pair loss.
            out[name] = calculus.derive(PROBLEMS[name].make_loss(), known=out.values())
        except DerivationError as exc:
            unchecked = calculus.derive(PROBLEMS[name].make_loss(), check=False)
            where = locate(name, exc.chain, exc.rule, unchecked)
            raise HandoutError(f"{name}: {where} does not verify; no handout written. {exc}") \
                from None
    return out

"""Question and solution handouts: the derivations' chains, split into rubric Parts, rendered by
Jinja2 templates written with LaTeX-safe delimiters.

Every equation reaches a template already printed (report.chains) from a derivation whose every
step was checked numerically (calculus.derive); a step that fails stops the render with the
question, Part and step it belongs to. Plain strings placed with \\VAR{…} are LaTeX-escaped by the
environment itself (`finalize`), so a title can only ever print as text; our own LaTeX is marked
`tex.TeX` to pass unchanged. Templates given by users are rendered in Jinja2's sandbox.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .. import calculus
from .. import notation as n
from ..calculus.records import Derivation
from ..errors import DerivationError, HandoutError
from ..printing import latex
from ..problems import LOSS, PROBLEMS, QUESTIONS, Question
from .report import Row, chains
from .tex import TeX, escape

KINDS = ("questions", "solutions")
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


def _finalize(value: Any) -> str:
    if isinstance(value, TeX):
        return value
    if isinstance(value, float):
        value = f"{value:g}"
    return escape(str(value))


def points_text(points: float) -> str:
    return f"{points:g} pt" if points == 1 else f"{points:g} pts"


def question_views(derivations: dict[str, Derivation],
                   questions: Iterable[Question] = QUESTIONS) -> list[QuestionView]:
    views = []
    for q in questions:
        if q.problem not in derivations:
            continue
        rows = {key: [_tex_row(r) for r in chain]
                for key, chain in chains(derivations[q.problem]).items()}
        parts = _parts(q, rows)
        results = tuple(r for p in parts for r in p.rows if r.matrix)
        # The loss a prompt states is printed from the derivation, never typed into the prompt.
        prompt = q.prompt.replace(LOSS, latex(derivations[q.problem].loss.expr))
        views.append(QuestionView(q.label, q.title, TeX(prompt), q.points, parts, results,
                                  TeX(q.remark)))
    return views


def _tex_row(row: Row) -> Row:
    """Our printed LaTeX is placed as it is; the rule name stays text, escaped like any string."""
    return row._replace(lhs=TeX(row.lhs), rhs=TeX(row.rhs), rule=row.rule.replace("!=", "≠"),
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
            course: str = DEFAULT_COURSE) -> dict[str, Any]:
    """What every template receives (the README lists it)."""
    views = question_views(derivations)
    return {
        "title": title, "course": course,
        "macros": [TeX(rf"\newcommand{{\{name}}}{{{body}}}") for name, body in n.MACROS.items()],
        "conventions": TeX(n.CONVENTIONS_LATEX),
        "questions": views,
        "total_points": sum(v.points for v in views),
    }


def render(kind: str, ctx: dict[str, Any], env: jinja2.Environment) -> str:
    """The LaTeX of handout `kind` ("questions" or "solutions")."""
    name = f"{kind}.tex.j2"
    try:
        return env.get_template(name).render(ctx, kind=kind)
    except jinja2.TemplateSyntaxError as exc:
        raise HandoutError(f"template {exc.filename or exc.name}, line {exc.lineno}: "
                           f"{exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise HandoutError(f"template {exc.name} not found") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError) as exc:
        raise HandoutError(f"template {name}: {exc}") from None
    except jinja2.TemplateError as exc:
        raise HandoutError(f"template {name}: {exc}") from None


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

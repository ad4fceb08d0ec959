"""`derive build` and `derive handout`: every output made in memory first, then written.

Nothing is written until everything has succeeded — derivations verified, checks passed, handouts
rendered and compiled — and then each file goes in by a rename, so a failed build leaves the
previous outputs as they were.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import verify
from .codegen import cache
from .errors import BuildError, HandoutError, TexError
from .files import write_atomic
from .render import answers as _answers_mod
from .render import handout, tex
from .render import spec as specs

# A fixed seed, so the same sources give the same verification.json, byte for byte.
BUILD_SEED = 224


@dataclass
class Outputs:
    """Files to write (name → bytes) and notes for the summary."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    report: str = ""  # printed after the files are written: --check's verdicts
    failed: bool = False  # exit 1 once written: a step of an answer does not hold

    def write(self, folder: Path) -> list[Path]:
        written = []
        for name, data in self.files.items():
            path = folder / name
            write_atomic(path, data)
            written.append(path)
        return written


@dataclass(frozen=True)
class Answers:
    """--answers FILE, and whether to check each step (--check) and mark it (--mark)."""

    path: Path
    check: bool = False
    mark: bool = False


def handouts(kinds: Iterable[str], *, pdf: bool | None = None, templates: Path | None = None,
             title: str | None = None, course: str | None = None,
             derivations: dict | None = None, spec: Path | None = None,
             answers: Answers | None = None, one_per_page: bool = False) -> Outputs:
    """The .tex of each handout kind, and its PDF when `pdf` (None: when TeX is installed).
    `spec` (a course.toml) chooses the questions, their order and points; `title` and `course`
    given here win over the spec's. Every check of the inputs comes before the first
    derivation, so a mistake costs no time."""
    if templates is not None:
        handout.check_templates(templates)
    engine = tex.find_engine()
    if pdf and not engine.available:
        raise ValueError("--pdf needs a TeX engine (pdflatex); on Debian/Ubuntu install: "
                         f"apt-get install {' '.join(tex.DEBIAN_PACKAGES)}")
    course_spec = specs.read(spec) if spec is not None else None
    chosen: list = list(course_spec.questions) if course_spec else list(handout.QUESTIONS)
    losses = {q.label: specs.load_loss(q.path, q.wrt) for q in chosen
              if isinstance(q, specs.LossQuestion)}
    typed = _read_answers(answers, [q.label for q in chosen]) if answers else {}
    title = title if title is not None else (course_spec and course_spec.title) or None
    course = course if course is not None else (course_spec and course_spec.course) or None
    handout.check_title("title", title or handout.DEFAULT_TITLE)
    handout.check_title("course", course or handout.DEFAULT_COURSE)
    try:
        if derivations is None:
            names = sorted({q.problem for q in chosen if isinstance(q, handout.Question)},
                           key=list(handout.PROBLEMS).index)
            derivations = handout.derivations(names)
        derivations = dict(derivations)
        for q in chosen:
            if isinstance(q, specs.LossQuestion):
                derived = handout.derive_loss(losses[q.label], known=derivations.values())
                derivations[derived.loss.name] = derived
        questions = [specs.loss_question(q, derivations[losses[q.label].name])
                     if isinstance(q, specs.LossQuestion) else q for q in chosen]
        checked = _answers_mod.check(typed) if answers and answers.check else {}
        marks = ({label: _answers_mod.marks(c) for label, c in checked.items()}
                 if answers and answers.mark else {})
        ctx = handout.context(derivations, title=title or handout.DEFAULT_TITLE,
                              course=course or handout.DEFAULT_COURSE, questions=questions,
                              answers={label: a.tex for label, a in typed.items()},
                              marks=marks, one_per_page=one_per_page)
        env = handout.environment(templates)
        sources = {kind: handout.render(kind, ctx, env) for kind in kinds}
    except HandoutError as exc:
        raise BuildError(str(exc)) from None
    out = Outputs({f"{kind}.tex": src.encode() for kind, src in sources.items()})
    if checked:
        out.report = _answers_mod.table(checked)
        out.failed = any(c.failed for c in checked.values())
    if pdf is False:
        return out
    if not engine.available:
        out.notes.append("no TeX engine found, so no PDF: on Debian/Ubuntu, "
                         f"apt-get install {' '.join(tex.DEBIAN_PACKAGES)}")
        return out
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {kind: pool.submit(tex.compile_pdf, src, engine=engine)
                   for kind, src in sources.items()}
        for kind, future in futures.items():
            try:
                out.files[f"{kind}.pdf"] = future.result()
            except TexError as exc:
                raise BuildError(f"TeX failed on {kind}.tex:\n{exc.excerpt}") from None
    return out


def _read_answers(answers: Answers, labels: list[str]) -> dict:
    """The answer blocks of the file; refused (ValueError) before anything is derived."""
    from .steps.lexer import MAX_CHARS

    with answers.path.open(encoding="utf-8") as stream:
        try:
            text = stream.read(MAX_CHARS + 1)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{answers.path}: not UTF-8 text ({exc.reason})") from None
    return _answers_mod.read(text, labels, name=str(answers.path))


def build(*, pdf: bool | None = None, spec: Path | None = None) -> Outputs:
    """The main job: derive and verify every problem, export the kernels, typeset both handouts.
    Each problem is derived once, and the kernels and checks reuse those derivations."""
    if spec is not None:
        specs.read(spec)  # a mistake in the spec is found before a minute of derivations
    try:
        derivations = handout.derivations()
    except HandoutError as exc:
        raise BuildError(str(exc)) from None
    # Stored in the kernel cache when it is cold, so the checks' kernels are these derivations'.
    kernels_source = cache.cached_source(derivations)
    report = verify.verify([], seed=BUILD_SEED, derivations=derivations)
    if not report.passed:
        raise BuildError("verification failed; nothing written:\n" + verify.table(report))
    out = handouts(handout.KINDS, pdf=pdf, derivations=derivations, spec=spec)
    out.files["kernels.py"] = kernels_source.encode()
    out.files["verification.json"] = (json.dumps(report.as_json(), indent=2) + "\n").encode()
    checks = len(report.checks)
    problems = "1 problem" if len(derivations) == 1 else f"{len(derivations)} problems"
    out.notes.insert(0, f"{problems} derived and typeset; all {checks} verification checks "
                        f"passed (seed {BUILD_SEED})")
    return out

"""A course spec: the handouts' title, course and questions, chosen and pointed by course staff.

    title = "Problem set 2"
    course = "CS224N"
    [[questions]]
    id = "naive-softmax-vc"     # from `derive list --questions`
    points = 4                  # the question's rubric Parts scale to it
    [[questions]]
    loss = "l2.tex"             # a loss file, relative to the spec
    wrt = ["v_c"]
    title = "Regularised centre vector"
    prompt = "Differentiate the regularised loss."
    points = 3

Questions keep the spec's order and are labelled (a), (b), … in it. Every mistake is a ValueError
(exit 2) naming the key or id and the line it is on; TOML itself does not keep lines, so they are
found again in the text (`_Lines`).
"""
from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..problems import QUESTIONS, Part, Question
from .handout import check_title
from .tex import escape

if TYPE_CHECKING:
    from ..calculus.records import Derivation, Loss

TOP_KEYS = ("title", "course", "questions")
BUILTIN_KEYS = ("id", "points")
LOSS_KEYS = ("loss", "wrt", "title", "prompt", "points")
MAX_QUESTIONS = len(string.ascii_lowercase)
BY_ID = {q.id: q for q in QUESTIONS}


@dataclass(frozen=True)
class LossQuestion:
    """A question whose loss comes from a file; it becomes a `Question` once derived."""

    label: str
    path: Path
    wrt: tuple[str, ...]
    title: str
    prompt: str
    points: float
    line: int


@dataclass(frozen=True)
class Spec:
    title: str | None
    course: str | None
    questions: tuple[Question | LossQuestion, ...]

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)


def load_loss(path: Path, wrt: tuple[str, ...]) -> Loss:
    """The loss a loss file states, differentiated by `wrt` (every declared vector and matrix
    when empty); an unreadable file is a ValueError naming it, with line and column."""
    from ..steps.lossmath import read_loss, with_wrt

    try:
        lf = read_loss(path.read_text(encoding="utf-8"), path.stem)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and ReadError are ValueErrors
        raise ValueError(f"{path}: {exc}") from None
    return with_wrt(lf, wrt, what=f"{path}: wrt").loss


def loss_question(q: LossQuestion, derivation: Derivation) -> Question:
    """The question of a loss file: one rubric Part per gradient chain, the points shared."""
    keys = [g.key for g in derivation.gradients]
    share = q.points / len(keys) if keys else q.points
    parts = tuple(Part(key, share) for key in keys) or (Part("J", q.points),)
    # A spec's prompt is the course's text, not LaTeX: placed escaped, as a title is.
    return Question(q.label, derivation.loss.name, q.title, escape(q.prompt), parts)


def read(path: Path) -> Spec:
    """The spec in file `path`; relative loss files are found next to it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse(text, path.parent, name=str(path))


def parse(text: str, folder: Path, *, name: str = "spec") -> Spec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{name}: not TOML: {exc}") from None
    lines = _Lines(text)
    for key in data:
        if key not in TOP_KEYS:
            raise ValueError(f"{name}, line {lines.top(key)}: unknown key {key!r}; "
                             f"a spec has {', '.join(TOP_KEYS)}")
    title = _text(data, "title", name, lines.top("title"))
    course = _text(data, "course", name, lines.top("course"))
    for key, value in (("title", title), ("course", course)):
        if value is not None:
            try:
                check_title(key, value)
            except ValueError as exc:
                raise ValueError(f"{name}, line {lines.top(key)}: {exc}") from None
    entries = data.get("questions", [])
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{name}: no [[questions]]; each names an id from "
                         "`derive list --questions` or a loss file")
    if len(entries) > MAX_QUESTIONS:
        raise ValueError(f"{name}: {len(entries)} questions; at most {MAX_QUESTIONS} (labelled "
                         "a to z)")
    questions = tuple(_question(entry, string.ascii_lowercase[k], folder, name, lines, k)
                      for k, entry in enumerate(entries))
    return Spec(title, course, questions)


def _question(entry: dict[str, Any], label: str, folder: Path, name: str, lines: _Lines,
              k: int) -> Question | LossQuestion:
    where = f"{name}, line {lines.table(k)}"
    keys = LOSS_KEYS if "loss" in entry else BUILTIN_KEYS
    for key in entry:
        if key not in keys:
            raise ValueError(f"{name}, line {lines.key(k, key)}: unknown key {key!r} in "
                             f"question {k + 1}; a question has "
                             + (", ".join(BUILTIN_KEYS) + " (or a loss file: "
                                + ", ".join(LOSS_KEYS) + ")" if "loss" not in entry
                                else ", ".join(LOSS_KEYS)))
    points = _points(entry, name, lines, k)
    if "loss" in entry:
        return _loss_entry(entry, label, folder, name, lines, k, points)
    if "id" not in entry:
        raise ValueError(f"{where}: question {k + 1} has neither id nor loss")
    qid = entry["id"]
    if qid not in BY_ID:
        raise ValueError(f"{name}, line {lines.key(k, 'id')}: unknown question id {qid!r}; "
                         f"ids: {', '.join(BY_ID)} (`derive list --questions`)")
    return scaled(BY_ID[qid], label, points)


def scaled(q: Question, label: str, points: float | None) -> Question:
    """`q` labelled `label`, its rubric Parts scaled so that they sum to `points`."""
    parts = q.parts
    if points is not None:
        factor = points / q.points
        parts = tuple(dataclasses.replace(p, points=p.points * factor) for p in q.parts)
    return dataclasses.replace(q, label=label, parts=parts)


def _loss_entry(entry: dict[str, Any], label: str, folder: Path, name: str, lines: _Lines,
                k: int, points: float | None) -> LossQuestion:
    for key in ("wrt", "title", "prompt", "points"):
        if key not in entry:
            raise ValueError(f"{name}, line {lines.table(k)}: question {k + 1} (loss "
                             f"{entry['loss']!r}) needs {key!r}")
    wrt = entry["wrt"]
    if not (isinstance(wrt, list) and wrt and all(isinstance(w, str) for w in wrt)):
        raise ValueError(f"{name}, line {lines.key(k, 'wrt')}: wrt must be a list of names, "
                         'such as ["v_c"]')
    path = entry["loss"]
    if not isinstance(path, str):
        raise ValueError(f"{name}, line {lines.key(k, 'loss')}: loss must be a file name")
    resolved = folder / path
    if not resolved.is_file():
        raise ValueError(f"{name}, line {lines.key(k, 'loss')}: loss file {path!r}: no such "
                         f"file (looked for {resolved})")
    title = _text(entry, "title", name, lines.key(k, "title")) or ""
    prompt = _text(entry, "prompt", name, lines.key(k, "prompt")) or ""
    return LossQuestion(label, resolved, tuple(wrt), title, prompt, points or 0.0,
                        lines.key(k, "loss"))


def _points(entry: dict[str, Any], name: str, lines: _Lines, k: int) -> float | None:
    if "points" not in entry:
        return None
    value = entry["points"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1000:
        raise ValueError(f"{name}, line {lines.key(k, 'points')}: points must be a number "
                         f"above 0 (at most 1000), not {value!r}")
    return float(value)


def _text(data: dict[str, Any], key: str, name: str, line: int) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name}, line {line}: {key} must be a string, not {value!r}")
    return value


class _Lines:
    """Where a key is in the TOML text: top-level keys come before the first [[questions]];
    question k's keys follow its header. Good enough for the flat files a spec is."""

    _HEADER = re.compile(r"^\s*\[\[\s*questions\s*\]\]")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if self._HEADER.match(line)]

    def _find(self, key: str, start: int, end: int) -> int:
        pattern = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=|^\s*\[+\s*{re.escape(key)}\b")
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1

    def top(self, key: str) -> int:
        return self._find(key, 0, self.headers[0] if self.headers else len(self.lines))

    def table(self, k: int) -> int:
        return self.headers[k] + 1 if k < len(self.headers) else 1

    def key(self, k: int, key: str) -> int:
        if k >= len(self.headers):
            return 1
        end = self.headers[k + 1] if k + 1 < len(self.headers) else len(self.lines)
        return self._find(key, self.headers[k], end)

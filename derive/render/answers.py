"""Students' typeset answers: `\\begin{answer}{b} … \\end{answer}` blocks, placed in the boxes of
the questions handout and, on request, checked step by step (check-steps).

The file is untrusted, and its blocks are the one text of ours that TeX reads as markup: so before
anything is typeset each block is tokenised by check-steps' own lexer and refused (ValueError,
exit 2, nothing written) if it uses a command that reads or writes files, defines macros, changes
catcodes or reaches TeX's primitives — check-steps' list (`lexer.FORBIDDEN`) and the few more that
only matter once TeX runs the text. TeX itself still runs hardened (tex.py): this is the first wall.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..steps import ReadError, StepReport, check_text
from ..steps.lexer import FORBIDDEN, MAX_CHARS, Token, tokenize
from .tex import TeX

# Commands harmless to check-steps (it never expands them) that TeX would act on.
TEX_FORBIDDEN = frozenset({
    "scantokens", "string", "detokenize", "meaning", "jobname", "endinput", "everypar",
    "everymath", "everydisplay", "everyhbox", "everyvbox", "everycr", "everyjob", "output",
    "special", "shipout", "dump", "batchmode", "nonstopmode", "scrollmode", "errorstopmode",
    "closein", "closeout", "newenvironment", "renewenvironment", "DeclareRobustCommand",
    "NewDocumentCommand", "RenewDocumentCommand", "global", "outer", "long", "protected",
    "afterassignment", "aftergroup", "futurelet", "uccode", "lccode", "mathcode", "delcode",
    "sfcode", "uppercase", "lowercase", "includegraphics", "IfFileExists", "InputIfFileExists",
    "documentclass", "verb", "lstinputlisting", "verbatiminput", "includeonly", "end@answer",
    "pagebreak", "newpage", "clearpage", "cleardoublepage",
    # check-steps reads these as data and expands them itself; TeX would define with them
    "def", "newcommand", "renewcommand", "providecommand", "DeclareMathOperator",
})
# Engine extensions that read files or run code: pdfTeX's \pdf…, LuaTeX's \directlua, \lua…
TEX_FORBIDDEN_PREFIXES = ("pdf", "lua", "directlua", "latelua")
# The environments an answer may open: mathematics and lists, nothing that changes how TeX reads.
ENVIRONMENTS = frozenset({
    "align", "align*", "aligned", "alignat", "alignat*", "alignedat", "equation", "equation*",
    "gather", "gather*", "gathered", "multline", "multline*", "split", "cases", "matrix",
    "pmatrix", "bmatrix", "vmatrix", "Vmatrix", "array", "itemize", "enumerate", "center",
    "tabular",
})
_BEGIN = re.compile(r"\\begin\s*\{answer\}\s*\{([^{}\n]*)\}")
_END = re.compile(r"\\end\s*\{answer\}")


@dataclass(frozen=True)
class Answer:
    label: str
    text: str  # the block's body, as written
    line: int  # the file's line the body starts on

    @property
    def tex(self) -> TeX:
        # A final newline, so a comment on the body's last line cannot swallow our closing brace.
        return TeX(self.text.strip("\n") + "\n")


def read(text: str, labels: Iterable[str], *, name: str = "answers") -> dict[str, Answer]:
    """The answer blocks of `text` by label; every block refused unless it is safe to typeset.
    `labels` are the questions of the handout at hand."""
    known = list(labels)
    if len(text) > MAX_CHARS:
        raise ValueError(f"{name}: more than {MAX_CHARS:,} characters; refused unread")
    out: dict[str, Answer] = {}
    pos = 0
    while (begin := _BEGIN.search(text, pos)) is not None:
        line = text.count("\n", 0, begin.start()) + 1
        label = begin.group(1).strip().strip("()")
        if label not in known:
            raise ValueError(f"{name}, line {line}: an answer to question {label!r}, which this "
                             f"handout does not have; its questions: {', '.join(known)}")
        if label in out:
            raise ValueError(f"{name}, line {line}: a second answer to question ({label}); the "
                             f"first is on line {out[label].line}")
        end = _END.search(text, begin.end())
        nested = _BEGIN.search(text, begin.end())
        if end is None or (nested is not None and nested.start() < end.start()):
            raise ValueError(f"{name}, line {line}: the answer to ({label}) has no "
                             r"\end{answer} before the next \begin{answer} or the end")
        body_line = text.count("\n", 0, begin.end()) + 1
        body = text[begin.end():end.start()]
        _refuse(body, body_line, name, label)
        out[label] = Answer(label, body, body_line)
        pos = end.end()
    stray = _END.search(text, pos)
    if stray is not None:
        raise ValueError(f"{name}, line {text.count(chr(10), 0, stray.start()) + 1}: "
                         r"an \end{answer} that closes nothing")
    return out


def _refuse(body: str, line: int, name: str, label: str) -> None:
    """A ValueError naming the line of the first thing in `body` TeX must not read."""
    caret = body.find("^^")
    if caret >= 0:  # ^^5c is a backslash to TeX: any command could be spelt with it
        raise ValueError(f"{name}, line {line + body.count(chr(10), 0, caret)}: answer ({label}) "
                         "uses ^^, TeX's character-code notation; refused, nothing written")
    try:
        tokens = tokenize(body, line, 1)
    except ReadError as exc:
        raise ValueError(f"{name}, line {exc.line}: answer ({label}): {exc.message}") from None
    for idx, tok in enumerate(tokens):
        if tok.kind != "cmd":
            continue
        if (tok.text in FORBIDDEN or tok.text in TEX_FORBIDDEN
                or tok.text.startswith(TEX_FORBIDDEN_PREFIXES) or "@" in tok.text):
            raise ValueError(f"{name}, line {tok.line}: answer ({label}) uses \\{tok.text}, "
                             "which an answer may not (it reads or writes files, defines "
                             "commands or changes how TeX reads); refused, nothing written")
        if tok.text in ("begin", "end"):
            env = _environment(tokens, idx)
            if env not in ENVIRONMENTS:
                raise ValueError(f"{name}, line {tok.line}: answer ({label}) opens environment "
                                 f"{env!r}; answers may use {', '.join(sorted(ENVIRONMENTS))}")


def _environment(tokens: list[Token], idx: int) -> str:
    """The name in \\begin{name}, from the tokens after the command."""
    if idx + 1 >= len(tokens) or not tokens[idx + 1].is_char("{"):
        return "(none)"
    name: list[str] = []
    for tok in tokens[idx + 2:]:
        if tok.is_char("}"):
            return "".join(name)
        name.append(tok.shown())
    return "".join(name)


@dataclass(frozen=True)
class Checked:
    """check-steps' verdicts on one answer, or why it could not be read."""

    answer: Answer
    report: StepReport | None
    error: str = ""

    @property
    def failed(self) -> bool:
        # An answer check-steps cannot read was not verified: never reported as a pass.
        # exit_status 0: every step judged and holding (an unread step is not verified)
        return self.report is None or self.report.exit_status != 0


def check(answers: dict[str, Answer]) -> dict[str, Checked]:
    out = {}
    for label, answer in answers.items():
        # Padded with the lines before it, so verdicts name the answers file's own lines.
        text = "\n" * (answer.line - 1) + answer.text
        try:
            out[label] = Checked(answer, check_text(text))
        except ReadError as exc:
            out[label] = Checked(answer, None, str(exc))
    return out


def table(checked: dict[str, Checked]) -> str:
    """Per question, each step's verdict, as `derive check-steps` prints them."""
    out = []
    for label, c in checked.items():
        out.append(f"question ({label})")
        if c.report is None:
            out.append(f"  not checked: check-steps could not read it: {c.error}")
            continue
        out += ["  " + line for line in c.report.table().splitlines()]
    failed = [label for label, c in checked.items() if c.failed]
    out.append(f"{len(checked)} answers checked; " + (
        "every step holds" if not failed else
        "not verified: " + ", ".join(f"({label})" for label in failed)))
    return "\n".join(out) + "\n"


def marks(c: Checked) -> TeX:
    """The margin note beside an answer's box: each checked step's line and verdict."""
    if c.report is None:
        return TeX("not read")
    symbol = {"holds": r"$\checkmark$", "fails": r"$\times$", "layout": r"$\times$ (layout)",
              "unchecked": r"$\cdot$", "definition": r"$:=$"}
    return TeX(r"\\".join(f"l.\\,{v.step.line} {symbol[v.status]}" for v in c.report.verdicts))

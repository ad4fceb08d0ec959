"""LaTeX text and TeX runs: escaping user strings, and compiling a document to PDF, hardened.

User text (titles, course names) never reaches TeX as markup: `escape` turns every special character
into its literal form, so `\\input{/etc/passwd}` prints as those characters. TeX itself runs with no
shell escape, no rc files (a `latexmkrc` is Perl code), reading and writing only below its working
folder (`openin_any=p`, `openout_any=p`), with standard input closed and a time limit.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import TexError

# The Debian packages that give `latexmk -pdf` everything the templates use.
DEBIAN_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended",
                   "lmodern", "latexmk")
TIMEOUT = 60.0

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "≠": r"\ensuremath{\neq}", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "σ": r"\ensuremath{\sigma}", "α": r"\ensuremath{\alpha}",
    "−": r"\ensuremath{-}",
}


class TeX(str):
    """LaTeX source we wrote or printed ourselves: placed in a template as it is."""

    __slots__ = ()


def escape(text: str) -> TeX:
    """`text` as LaTeX that prints it literally. Characters T1 fonts lack become '?', so a title
    can never stop the build."""
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in "\n\r\t":
            out.append(" ")
        elif ch.isprintable() and ord(ch) < 0x180:
            out.append(ch)
        else:
            out.append("?")
    return TeX("".join(out))


@dataclass(frozen=True)
class Engine:
    """How to run TeX here: latexmk when present, else pdflatex run twice (for references)."""

    latexmk: str | None
    pdflatex: str | None

    @property
    def available(self) -> bool:
        return self.pdflatex is not None


def find_engine() -> Engine:
    return Engine(shutil.which("latexmk"), shutil.which("pdflatex"))


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEX", "LATEX"))}
    # TeX Live's default (openin_any=a) lets \input read any file on the machine.
    env.update(openin_any="p", openout_any="p", shell_escape="f")
    # No timestamps in the PDF: the same sources give the same bytes.
    env.update(SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    return env


def _commands(engine: Engine, name: str) -> list[list[str]]:
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    if engine.latexmk:
        return [[engine.latexmk, "-norc", "-pdf", "-silent", *flags, name]]
    assert engine.pdflatex is not None
    return [[engine.pdflatex, *flags, name]] * 2


def compile_pdf(source: str, *, engine: Engine | None = None, timeout: float = TIMEOUT) -> bytes:
    """The PDF that `source` compiles to, built in a private temporary folder."""
    engine = engine or find_engine()
    if not engine.available:
        raise TexError("no TeX engine found (pdflatex); install: "
                       + " ".join(DEBIAN_PACKAGES))
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        work = Path(tmp)
        (work / "doc.tex").write_text(source, encoding="utf-8")
        for cmd in _commands(engine, "doc.tex"):
            if _run(cmd, work, timeout) != 0:
                raise TexError("TeX failed", log_excerpt(work / "doc.log"))
        return (work / "doc.pdf").read_bytes()


def _run(cmd: list[str], cwd: Path, timeout: float) -> int:
    """Run TeX in a session of its own, so that a timeout kills latexmk's pdflatex too."""
    with subprocess.Popen(cmd, cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True) as proc:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise TexError(f"TeX did not finish within {timeout:.0f} s") from None


def log_excerpt(log: Path, *, context: int = 3) -> str:
    """The error lines of a TeX log ("! …" or "file:line: …") and a few lines after each."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(TeX wrote no log)"
    picked: list[str] = []
    for idx, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+: ", line):
            picked += lines[idx:idx + 1 + context]
    return "\n".join(picked[:40]) if picked else "\n".join(lines[-15:])

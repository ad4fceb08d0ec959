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
import unicodedata
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
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "−": r"\ensuremath{-}", "•": r"\textbullet{}", "†": r"\dag{}",
    "‡": r"\ddag{}", "€": r"\texteuro{}", "™": r"\texttrademark{}", "‰": r"\textperthousand{}",
    "‹": r"\guilsinglleft{}", "›": r"\guilsinglright{}", "„": r"\quotedblbase{}",
    "‚": r"\quotesinglbase{}",
}
# Symbols typeset as mathematics (amssymb); the PDF's title and bookmarks keep the character.
MATH = {
    "≠": r"\neq", "∂": r"\partial", "≤": r"\leq", "≥": r"\geq", "≈": r"\approx",
    "≡": r"\equiv", "∞": r"\infty", "∈": r"\in", "∉": r"\notin", "∑": r"\sum", "∏": r"\prod",
    "∫": r"\int", "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow",
    "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "∇": r"\nabla", "∀": r"\forall",
    "∃": r"\exists", "∅": r"\emptyset", "∩": r"\cap", "∪": r"\cup", "⊂": r"\subset",
    "⊆": r"\subseteq", "∼": r"\sim", "∝": r"\propto", "⊤": r"\top", "∘": r"\circ",
    "′": r"\prime", "⋅": r"\cdot", "√": r"\surd", "∥": r"\parallel", "‖": r"\|",
    "⊙": r"\odot", "⊗": r"\otimes", "⊕": r"\oplus", "≪": r"\ll", "≫": r"\gg",
    "∧": r"\wedge", "∨": r"\vee", "∗": r"\ast", "ℓ": r"\ell", "⟨": r"\langle",
    "⟩": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}",
    "ℂ": r"\mathbb{C}", "ᵀ": r"^{\top}", "ϑ": r"\vartheta", "ϕ": r"\phi", "φ": r"\varphi",
    "ε": r"\varepsilon", "ϵ": r"\epsilon", "ϱ": r"\varrho", "ϖ": r"\varpi", "ς": r"\varsigma",
    "ο": "o",
}
# Greek letters LaTeX names (by their Unicode names): the small ones, and the capitals whose
# glyphs differ from Latin ones.
_GREEK_CAPITALS = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                   "Psi", "Omega")
# Accents T1 fonts build on any letter, by combining character: NFD(ǎ) = a + U+030C → \v{a}.
_ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
    "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0323": "d",
    "\u0327": "c", "\u0328": "k", "\u0331": "b",
}
# Below U+0180, the characters inputenc has no T1 definition for (t1enc.dfu, ts1enc.dfu): TeX
# would stop at them.
_NOT_IN_T1 = frozenset("ĦħĸĿŀŉŦŧſ")


class TeX(str):
    """LaTeX source we wrote or printed ourselves: placed in a template as it is."""

    __slots__ = ()


def escape(text: str) -> TeX:
    """`text` as LaTeX that prints it literally: é and ü as typed (inputenc, T1), θ, ∂ and ≤ as
    mathematics. A character the handout's fonts cannot print is a ValueError naming it, so a
    title never prints "?" nor stops TeX."""
    return TeX("".join(_char(ch) for ch in unicodedata.normalize("NFC", text)))


def _char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch in "\n\r\t":
        return " "
    if ch.isprintable() and ord(ch) < 0x180 and ch not in _NOT_IN_T1:
        return ch
    math = MATH.get(ch) or _greek(ch)
    if math is not None:
        return rf"\texorpdfstring{{\ensuremath{{{math}}}}}{{{ch}}}"
    accented = _accented(ch)
    if accented is not None:
        return accented
    name = unicodedata.name(ch, "unnamed")
    raise ValueError(f"character {ch!r} (U+{ord(ch):04X} {name}) has no glyph in the handout's "
                     "fonts (Latin Modern, T1); write it another way")


def _greek(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    small = name.startswith("GREEK SMALL LETTER ") and " " not in name[19:]
    capital = name.startswith("GREEK CAPITAL LETTER ") and name[21:].title() in _GREEK_CAPITALS
    if small and name[19:] not in ("OMICRON", "FINAL SIGMA"):
        return "\\" + name[19:].lower()
    if capital:
        return "\\" + name[21:].title()
    return None


def _accented(ch: str) -> str | None:
    """ǎ as \\v{a}: a base letter T1 has, under accents T1 can place."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or not (base.isascii() and base.isalpha()) or any(m not in _ACCENTS
                                                                   for m in marks):
        return None
    out = base
    for mark in marks:
        out = f"\\{_ACCENTS[mark]}{{{out}}}"
    return out


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

from __future__ import annotations

import os
import subprocess
import time
import unicodedata

import pytest

from derive.render import tex


def require_tex() -> tex.Engine:
    """The TeX engine; in CI (CI set) a missing TeX is a failure, elsewhere a skip."""
    engine = tex.find_engine()
    if not engine.available:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no TeX engine is installed (.ci/run installs it)")
        pytest.skip("no TeX engine installed")
    return engine


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True)
    # NFC: pdftotext gives ŷ as y + a combining circumflex
    return " ".join(unicodedata.normalize("NFC", out.stdout).split())


def document(body: str) -> str:
    return ("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
            "\\pagestyle{empty}\\begin{document}" + body + "\\end{document}\n")


@pytest.mark.parametrize(("text", "latex"), [
    ("a & b", r"a \& b"),
    ("100% $5 #1 a_b", r"100\% \$5 \#1 a\_b"),
    ("{x}", r"\{x\}"),
    ("~^", r"\textasciitilde{}\textasciicircum{}"),
    (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    ("NLP — Fall", "NLP --- Fall"),
    ("w ≠ o", r"w \texorpdfstring{\ensuremath{\neq}}{≠} o"),
    ("line\nbreak", "line break"),
    ("Problème für", "Problème für"),
    ("θ ∂ ≤", r"\texorpdfstring{\ensuremath{\theta}}{θ} \texorpdfstring{\ensuremath{\partial}}{∂} "
     r"\texorpdfstring{\ensuremath{\leq}}{≤}"),
    ("Ω ε", r"\texorpdfstring{\ensuremath{\Omega}}{Ω} "
     r"\texorpdfstring{\ensuremath{\varepsilon}}{ε}"),
    ("ǎ ṡ", r"\v{a} \.{s}"),
    ("e\u0301", "é"),  # NFD input is composed first
])
def test_escape_makes_every_special_literal(text, latex):
    assert tex.escape(text) == latex


@pytest.mark.parametrize(("text", "shown"), [
    ("emoji 🙂", r"'🙂' \(U\+1F642 SLIGHTLY SMILING FACE\)"),
    ("Ħ", r"'Ħ' \(U\+0126 LATIN CAPITAL LETTER H WITH STROKE\)"),
    ("中文", r"'中' \(U\+4E2D CJK UNIFIED IDEOGRAPH-4E2D\)"),
])
def test_a_character_the_fonts_lack_is_an_error_naming_it(text, shown):
    with pytest.raises(ValueError, match=rf"^character {shown} has no glyph in the handout's"):
        tex.escape(text)


def test_unicode_prints_as_typed(tmp_path):
    engine = require_tex()
    typed = "Problème für θ, ∂f ≤ ε, Ω ∈ S, ǎ"  # ≠ is \\not=, which pdftotext splits
    pdf = tex.compile_pdf(document(tex.escape(typed))
                          .replace(r"\begin{document}", r"\usepackage{amssymb}"
                                   r"\providecommand{\texorpdfstring}[2]{#1}\begin{document}"),
                          engine=engine)
    assert pdf_text(pdf, tmp_path) == typed


HOSTILE = r"& % $ # _ { } ~ ^ \ \input{/etc/passwd} \write18{touch pwned} \def\x{y}"


def test_escaped_hostile_text_prints_literally(tmp_path):
    engine = require_tex()
    pdf = tex.compile_pdf(document(tex.escape(HOSTILE)), engine=engine)
    text = pdf_text(pdf, tmp_path)
    assert text == " ".join(HOSTILE.split())
    assert "root:" not in text


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_tex_cannot_read_files_outside_its_folder(tmp_path, how):
    engine = require_tex()
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRETTEXT")
    name = str(secret) if how == "absolute" else os.path.relpath(secret, "/tmp/x")
    with pytest.raises(tex.TexError, match=r"(?s)^TeX failed.*not found"):
        # relative: ../ climbs out of the private temporary folder TeX runs in
        tex.compile_pdf(document(rf"\input{{{name}}}"), engine=engine)


def test_tex_cannot_run_shell_commands(tmp_path):
    engine = require_tex()
    marker = tmp_path / "pwned"
    pdf = tex.compile_pdf(document(rf"\immediate\write18{{touch {marker}}} ok"), engine=engine)
    assert pdf.startswith(b"%PDF")
    assert not marker.exists()


def test_a_looping_document_is_stopped_by_the_time_limit():
    engine = require_tex()
    with pytest.raises(tex.TexError, match=r"^TeX did not finish within 2 s"):
        tex.compile_pdf(document(r"\def\loop{\loop}\loop"), engine=engine, timeout=2)
    # latexmk's pdflatex is killed with it, not left spinning in the deleted temporary folder
    time.sleep(0.2)
    assert not [pid for pid in _pids("pdflatex") if _cwd(pid).endswith("(deleted)")]


def _pids(name: str) -> list[str]:
    return subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()


def _cwd(pid: str) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def test_a_tex_error_shows_the_log_lines_that_say_why():
    engine = require_tex()
    with pytest.raises(tex.TexError,
                       match=r"^TeX failed\n\./doc\.tex:1: Undefined control sequence\.\n") as info:
        tex.compile_pdf(document(r"\undefinedmacro"), engine=engine)
    assert "Undefined control sequence" in info.value.excerpt


def test_no_engine_says_which_packages_to_install():
    with pytest.raises(tex.TexError, match=r"^no TeX engine found .*texlive-latex-base"):
        tex.compile_pdf(document("x"), engine=tex.Engine(None, None))


def test_pdflatex_alone_works_without_latexmk(tmp_path):
    engine = require_tex()
    pdf = tex.compile_pdf(document("plain pdflatex"), engine=tex.Engine(None, engine.pdflatex))
    assert pdf_text(pdf, tmp_path) == "plain pdflatex"

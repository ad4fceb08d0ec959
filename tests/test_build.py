from __future__ import annotations

import json
import subprocess

import pytest

from derive.calculus import rules
from derive.cli import main

from .render.test_tex import pdf_text, require_tex


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One full `derive build` (PDFs included when TeX is here), shared by the tests below."""
    out = tmp_path_factory.mktemp("build")
    assert main(["build", "-o", str(out)]) == 0
    return out


def test_build_writes_every_output(built):
    names = {p.name for p in built.iterdir()}
    assert {"questions.tex", "solutions.tex", "kernels.py", "verification.json"} <= names
    report = json.loads((built / "verification.json").read_text())
    assert report["passed"] is True and report["seed"] == 224
    assert all(c["passed"] for c in report["checks"])
    assert not [p for p in built.iterdir() if p.name.startswith(".")]  # no temp files left


def test_pdfs_hold_the_questions_rubric_and_results(built, tmp_path):
    require_tex()
    questions = pdf_text((built / "questions.pdf").read_bytes(), tmp_path)
    solutions = pdf_text((built / "solutions.pdf").read_bytes(), tmp_path)
    for text in (questions, solutions):
        assert "(b) Gradient with respect to the centre vector" in text
        assert "(d) Gradient with respect to the outside matrix" in text
        assert "3 pts" in text and "1 pt" in text
    assert "Your answer" in questions and "[PART" not in questions
    assert "✓ + 0.5 pts [PART 1]" in solutions and "✓ + 1 pt [PART 4]" in solutions
    assert "U (ŷ − y)" in solutions          # ∂J/∂v_c
    assert "vc (ŷ − y)⊤" in solutions        # ∂J/∂U
    assert "(chain rule)" in solutions


def test_build_summary_lists_what_was_written(tmp_path, capsys):
    assert main(["build", "-o", str(tmp_path), "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "all 94 verification checks passed (seed 224)" in out
    for name in ("questions.tex", "solutions.tex", "kernels.py", "verification.json"):
        assert f"{tmp_path / name}  (" in out
    assert not (tmp_path / "questions.pdf").exists()


def test_a_failed_build_leaves_the_previous_files_intact(tmp_path, monkeypatch, capsys):
    (tmp_path / "solutions.tex").write_text("previous")
    real = rules.rearrange
    monkeypatch.setattr(rules, "rearrange", lambda e: 3 * real(e))
    assert main(["build", "-o", str(tmp_path), "--no-pdf"]) == 1
    err = capsys.readouterr().err
    where = "question (b) Gradient with respect to the centre vector, PART 4, step 'rearrange'"
    assert where in err
    assert [p.name for p in tmp_path.iterdir()] == ["solutions.tex"]
    assert (tmp_path / "solutions.tex").read_text() == "previous"


def test_handout_writes_only_the_kind_asked(tmp_path):
    assert main(["handout", "--solutions", "--no-pdf", "-o", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["solutions.tex"]


def test_hostile_title_prints_as_text_in_the_pdf(tmp_path):
    require_tex()
    title = r"\input{/etc/passwd} \write18{touch pwned} & 100% $x$ #1 a_b {} ~ ^"
    assert main(["handout", "--questions", "--pdf", "-o", str(tmp_path), "--title", title]) == 0
    text = pdf_text((tmp_path / "questions.pdf").read_bytes(), tmp_path)
    assert title in text
    assert not (tmp_path / "pwned").exists()


def test_a_tex_error_in_a_template_shows_the_log_and_exits_1(tmp_path, capsys):
    require_tex()
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "questions.tex.j2").write_text(
        "\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")
    out = tmp_path / "out"
    code = main(["handout", "--questions", "--pdf", "-o", str(out), "--templates", str(templates)])
    assert code == 1
    err = capsys.readouterr().err
    assert "TeX failed on questions.tex" in err and "Undefined control sequence" in err
    assert not out.exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["handout", "--templates", "/no/such/dir"], r"--templates /no/such/dir: no such folder"),
    (["build", "-o", "{file}"], r"is a file; -o wants a folder"),
    (["handout", "--questions", "--solutions"], r"not allowed with argument"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv, message):
    target = tmp_path / "a-file"
    target.write_text("x")
    argv = [a.replace("{file}", str(target)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_without_tex_the_tex_files_are_written_and_the_packages_named(tmp_path, monkeypatch,
                                                                      capsys):
    from derive.render import tex

    monkeypatch.setattr(tex, "find_engine", lambda: tex.Engine(None, None))
    assert main(["handout", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["questions.tex", "solutions.tex"]
    out = capsys.readouterr().out
    assert "no TeX engine found, so no PDF" in out and "texlive-latex-base" in out
    assert main(["handout", "--pdf", "-o", str(tmp_path)]) == 2


def test_page_one_renders_to_an_image(built, tmp_path):
    require_tex()
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                    str(built / "solutions.pdf"), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5_000


def test_build_derives_each_problem_once(tmp_path, monkeypatch):
    # With a cold kernel cache, too: the kernels are printed from the handouts' derivations.
    from derive import problems
    from derive.calculus import scalar, vector, window

    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    counts: dict[str, int] = {}
    for module in (vector, scalar, window):
        real = module.derive

        def counted(loss, *args, real=real, **kwargs):
            counts[loss.name] = counts.get(loss.name, 0) + 1
            return real(loss, *args, **kwargs)
        monkeypatch.setattr(module, "derive", counted)
    assert main(["build", "-o", str(tmp_path / "out"), "--no-pdf"]) == 0
    assert counts == {name: 1 for name in problems.PROBLEMS}

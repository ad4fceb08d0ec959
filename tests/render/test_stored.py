"""`derive show LOSS.tex` stores its report after a checked derivation and prints it again without
deriving, under a key that any change of the file, the options or derive's code changes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from derive import calculus
from derive.cli import main
from derive.render import stored

LOSSES = Path(__file__).parents[1] / "data" / "losses"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DERIVE_SHOW_CACHE", "on")
    return tmp_path / "cache" / "shown"


def _no_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("derived again")
    monkeypatch.setattr(calculus, "derive", refuse)


def test_a_second_show_prints_the_stored_report_without_deriving(
        cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    loss = tmp_path / "bias.tex"
    loss.write_text((LOSSES / "logit-bias.tex").read_text("utf-8"), "utf-8")
    assert main(["show", str(loss)]) == 0
    first = capsys.readouterr().out
    assert "∂J/∂b = ŷ - y" in first and len(list(cache.glob("*.txt"))) == 1
    _no_derivation(monkeypatch)
    assert main(["show", str(loss)]) == 0
    assert capsys.readouterr().out == first


@pytest.mark.parametrize("change", ["file", "format", "wrt"])
def test_a_changed_file_or_option_derives_again(change: str, cache: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    loss = tmp_path / "bias.tex"
    text = (LOSSES / "logit-bias.tex").read_text("utf-8")
    loss.write_text(text, "utf-8")
    assert main(["show", str(loss)]) == 0
    first = capsys.readouterr().out
    argv = ["show", str(loss)]
    if change == "file":  # a loss that is twice the first: every result doubles
        loss.write_text(text.replace("$$J = ", "$$J = 2 \\cdot ("
                                     ).replace("_o$$", "_o)$$"), "utf-8")
    elif change == "format":
        argv += ["--format", "json"]
    else:
        argv += ["--wrt", "b"]
    assert main(argv) == 0
    second = capsys.readouterr().out
    assert second != first and len(list(cache.glob("*.txt"))) == 2


def test_the_key_covers_the_code_the_inputs_and_their_boundaries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.py").write_text("A = 1\n")
    monkeypatch.setattr(stored, "_PACKAGE", tmp_path)
    before = stored.key("J = x")
    (tmp_path / "rules.py").write_text("A = 2\n")  # a change in the code: a new key
    assert stored.key("J = x") != before
    assert stored.key("ab", "c") != stored.key("a", "bc")


def test_a_failed_derivation_is_not_stored(cache: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.tex"
    bad.write_text("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n$$J = z$$\n", "utf-8")
    assert main(["show", str(bad)]) == 2
    assert not list(cache.glob("*.txt")) if cache.exists() else True


def test_off_derives_every_time(cache: Path, capsys: pytest.CaptureFixture,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_SHOW_CACHE", "off")
    assert main(["show", str(LOSSES / "logit-bias.tex")]) == 0
    assert not cache.exists()


def test_an_unwritable_cache_still_shows(tmp_path: Path, capsys: pytest.CaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(blocker))
    monkeypatch.setenv("DERIVE_SHOW_CACHE", "on")
    assert main(["show", str(LOSSES / "logit-bias.tex")]) == 0
    assert "∂J/∂b = ŷ - y" in capsys.readouterr().out


def test_a_stored_report_is_printed_without_sympy(cache: Path, tmp_path: Path) -> None:
    loss = LOSSES / "logit-bias.tex"
    assert main(["show", str(loss)]) == 0
    code = ("import sys\nfrom derive.cli import main\n"
            f"assert main(['show', {str(loss)!r}]) == 0\n"
            "assert 'sympy' not in sys.modules, 'sympy loaded'\n")
    env = {"DERIVE_CACHE_DIR": str(cache.parent), "DERIVE_SHOW_CACHE": "on",
           "PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "∂J/∂b = ŷ - y" in run.stdout

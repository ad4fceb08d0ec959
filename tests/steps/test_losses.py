"""A built-in problem's loss, printed by the engine once and then read from derive's cache."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from derive.codegen.cache import cache_key
from derive.printing import latex
from derive.problems import get
from derive.steps import losses


def test_the_loss_is_the_engines_and_is_kept(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    stale = tmp_path / "steps-loss-0000000000000000-naive-softmax.tex"
    stale.write_text("J")
    text = losses.loss_latex("naive-softmax")
    assert text == latex(get("naive-softmax").make_loss().expr)
    kept = tmp_path / f"steps-loss-{cache_key()}-naive-softmax.tex"
    assert kept.read_text() == text and not stale.exists()


def test_a_warm_cache_needs_no_sympy(tmp_path: Path) -> None:
    (tmp_path / f"steps-loss-{cache_key()}-neg-sampling.tex").write_text(
        latex(get("neg-sampling").make_loss().expr))
    code = ("import sys\nfrom derive.steps import check_text\n"
            "r = check_text(r'$$\\frac{\\partial J}{\\partial u_o} = "
            "-(1 - \\sigma(u_o^\\top v_c)) v_c$$', problem='neg-sampling')\n"
            "print([v.status for v in r.verdicts], 'sympy' in sys.modules)\n")
    env = {"DERIVE_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "['holds'] False"

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.calculus import lambdified

x, y = sp.symbols("x y")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(lambdified, "_memo", {})
    return tmp_path


def _made(calls, expr):
    def make():
        calls.append(expr)
        return [x, y], expr
    return make


def test_a_function_printed_once_is_loaded_from_disk_after(cache, monkeypatch):
    calls: list = []
    expr = sp.exp(x) * y + sp.Sum(x ** sp.Symbol("i"), (sp.Symbol("i"), 0, 3))
    f = lambdified.function(("t", expr), _made(calls, expr))
    assert len(calls) == 1 and list(cache.glob("lambdified-*/*.code"))
    monkeypatch.setattr(lambdified, "_memo", {})  # a new run
    g = lambdified.function(("t", expr), _made(calls, expr))
    assert len(calls) == 1  # not printed again
    assert g(0.5, 2.0) == f(0.5, 2.0) == pytest.approx(2 * np.exp(0.5) + 1 + 0.5 + 0.25 + 0.125)


def test_another_expression_or_assumption_misses(cache):
    calls: list = []
    lambdified.function(("t", x + y), _made(calls, x + y))
    lambdified.function(("t", x - y), _made(calls, x - y))
    positive = sp.Symbol("x", positive=True)
    lambdified.function(("t", positive + y), _made(calls, positive + y))
    assert len(calls) == 3


def test_a_changed_source_misses(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(lambdified, "_pruned", set())
    package = tmp_path / "derive"
    shutil.copytree(Path(lambdified.__file__).parent.parent, package,
                    ignore=shutil.ignore_patterns("__pycache__", "templates"))
    monkeypatch.setattr(lambdified, "_PACKAGE", package)
    before = lambdified.folder()
    check = package / "calculus" / "check.py"
    check.write_text(check.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    lambdified._source_key.cache_clear()  # a new process hashes the source again
    after = lambdified.folder()
    assert before != after
    calls: list = []
    lambdified.function(("t", x * y), _made(calls, x * y))
    monkeypatch.setattr(lambdified, "_memo", {})
    check.write_text(check.read_text(encoding="utf-8") + "# again\n", encoding="utf-8")
    lambdified._source_key.cache_clear()
    lambdified.function(("t", x * y), _made(calls, x * y))
    assert len(calls) == 2  # printed again under the new source
    assert not after.exists()  # the stale folder goes


def test_a_damaged_entry_is_printed_again(cache, monkeypatch):
    calls: list = []
    lambdified.function(("t", x ** 2), _made(calls, x ** 2))
    for entry in cache.glob("lambdified-*/*"):
        entry.write_bytes(b"\x00garbage")
    monkeypatch.setattr(lambdified, "_memo", {})
    f = lambdified.function(("t", x ** 2), _made(calls, x ** 2))
    assert len(calls) == 2 and f(3.0, 0.0) == 9.0


def test_a_function_reading_a_name_outside_numpy_is_not_kept(cache):
    calls: list = []
    weird = sp.Function("weird")(x)
    f = lambdified.function(("t", weird), _made(calls, weird))
    assert callable(f) and not list(cache.glob("lambdified-*/*"))


def test_the_key_is_its_structure_not_which_parts_are_one_object():
    from sympy.core.cache import clear_cache

    shared = sp.exp(x)
    one = (shared + y) * shared  # one object twice
    clear_cache()
    a = sp.exp(x)
    clear_cache()
    b = sp.exp(x)
    two = (a + y) * b  # two equal objects
    assert one == two and a is not b
    assert lambdified._digest(("t", one)) == lambdified._digest(("t", two))
    positive = sp.Symbol("x", positive=True)
    assert lambdified._digest(("t", x)) != lambdified._digest(("t", positive))
    assert lambdified._digest(("t", x)) != lambdified._digest(("u", x))


@pytest.mark.parametrize("hashseed", ["1", "2"])
def test_the_key_is_the_same_in_another_process(hashseed):
    import os
    import subprocess
    import sys

    code = ("import sympy as sp\nfrom derive.calculus import lambdified\n"
            "x, i = sp.symbols('x i'); k = sp.Symbol('k', integer=True)\n"
            "U = sp.IndexedBase('U', shape=(3, 4))\n"
            "e = sp.Sum(U[i, k] * sp.exp(x), (i, 0, 2)) + sp.MatrixSymbol('M', 2, 2)[0, 1]\n"
            "print(lambdified._digest(('t', (x, U), e)))")
    run = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
           for seed in (hashseed, "0")]
    assert run[0] == run[1] and run[0].startswith("p")

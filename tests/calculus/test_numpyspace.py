"""lambdify into NumPy without the star import: the same functions, and NumPy's lazy submodules
(f2py, testing, …) left unloaded."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import sympy as sp

from derive.calculus import numpyspace
from derive.calculus.functions import sigmoid

x = sp.Symbol("x")
M = sp.MatrixSymbol("M", 3, 3)


def test_values_are_those_of_modules_numpy() -> None:
    for expr in (sp.exp(x), sp.log(x), sp.Heaviside(x - 1), sp.Max(x, 2), sp.sqrt(x),
                 sp.tanh(x), sigmoid(x), sp.Abs(-x), x * sp.pi):
        ours, theirs = numpyspace.lambdify([x], expr), sp.lambdify([x], expr, modules="numpy")
        for value in (0.3, 1.0, 2.5):
            assert ours(value) == theirs(value), expr
    A = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(numpyspace.lambdify([M], M.T * M + sp.Identity(3))(A),
                                  A.T @ A + np.eye(3))


def test_no_lazy_numpy_submodule_is_loaded() -> None:
    code = ("import sys, sympy as sp\nfrom derive.calculus import numpyspace\n"
            "x = sp.Symbol('x')\nassert numpyspace.lambdify([x], sp.exp(x) + 1)(0.0) == 2.0\n"
            "print(sorted(m for m in ('numpy.f2py', 'numpy.testing', 'numpy.ma') "
            "if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"

"""SymPy's lambdify into NumPy, without the `from numpy import *` that `modules="numpy"` runs.

That star import touches every name in numpy.__all__, and NumPy 2 loads a submodule on first
touch: f2py, testing (and unittest with it), ma, polynomial, … — about 0.2 s, more than a whole
checked derivation of a small loss, paid by the first lambdify of every process. The namespace
here is what `modules="numpy"` gives (SymPy's own defaults and translations, NumPy's functions,
numpy.linalg's) less the submodules NumPy has not loaded, which no printed expression names.
"""
from __future__ import annotations

import functools
import types
from typing import Any

import numpy
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.utilities.lambdify import NUMPY_DEFAULT, NUMPY_TRANSLATIONS

# lambdify's own settings for its NumPy printer (sympy.utilities.lambdify.lambdify)
PRINTER_SETTINGS = {"fully_qualified_modules": False, "inline": True, "order": "none",
                    "allow_unknown_functions": True, "user_functions": {}}


@functools.cache
def namespace() -> dict[str, Any]:
    """The names a lambdified NumPy expression may use: loaded attributes only (vars, not dir)."""
    space: dict[str, Any] = {"numpy": numpy}
    for module in (numpy, numpy.linalg):
        space.update((k, v) for k, v in vars(module).items()
                     if not k.startswith("_") and not isinstance(v, types.ModuleType))
    space.update(NUMPY_DEFAULT)
    space.update((sympy_name, space[numpy_name])
                 for sympy_name, numpy_name in NUMPY_TRANSLATIONS.items())
    return space


def lambdify(args: Any, expr: Any, printer: NumPyPrinter | None = None, **options: Any) -> Any:
    """sp.lambdify(args, expr, modules="numpy", …), the same function, made without the star
    import; `printer` defaults to the NumPyPrinter lambdify would choose."""
    printer = printer if printer is not None else NumPyPrinter(dict(PRINTER_SETTINGS))
    # a copy: lambdify adds the expression's symbols to the namespace it is given
    return sp.lambdify(args, expr, modules=[dict(namespace())], printer=printer, **options)

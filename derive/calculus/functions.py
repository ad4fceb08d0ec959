"""The elementwise functions losses are written with, beyond SymPy's own: the logistic sigmoid σ,
the step function of a hinge and max as the engine writes them.

`sigmoid` is σ of a scalar; SymPy differentiates it by `fdiff`, the one fact of calculus it adds:
σ′(x) = σ(x)(1 − σ(x)). `Sigmoid` is σ applied entrywise to a matrix expression, the form a matrix
gradient folds into (σ(U_negᵀv_c) for the K negative samples). Both print to NumPy in the stable
form σ(x) = (1 + tanh(x/2)) / 2, which never overflows, and −log σ(x) prints as logaddexp(0, −x).
"""
from __future__ import annotations

from typing import Any

import sympy as sp


def _stable(printer: Any, arg: str) -> str:
    return f"(0.5 * (1 + {printer._module_format('numpy.tanh')}(0.5 * ({arg}))))"


class sigmoid(sp.Function):  # noqa: N801 -- SymPy's convention for functions: lower case
    """σ(x) = 1 / (1 + exp(−x))."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _numpycode(self, printer: Any) -> str:
        return _stable(printer, printer._print(self.args[0]))

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        out = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return f"{out}^{{{exp}}}" if exp else out

    def _derive_text(self, printer: Any) -> str:
        return f"σ({printer._print(self.args[0])})"


class Heaviside(sp.Heaviside):
    """The step function of a hinge, 1 above zero, as the engine writes it: SymPy's Heaviside,
    evaluated only at a number. SymPy's own evaluation asks the sign and the imaginary part of
    its argument, a sum of entries, through the assumptions system each time an expression
    holding it is rebuilt: a third of a hinge's derivation. Named Heaviside because SymPy's
    printers print a renamed subclass of a function by its own name, not as the function."""

    def __new__(cls, arg: sp.Expr, H0: sp.Expr = sp.S.Half, **options: Any) -> sp.Expr:  # noqa: N803
        # SymPy's Heaviside.__new__ calls super(cls, cls), which loops for a subclass
        return sp.Function.__new__(cls, arg, H0, **options)

    @classmethod
    def eval(cls, arg: sp.Expr, H0: sp.Expr = sp.S.Half) -> sp.Expr | None:  # noqa: N803
        return super().eval(arg, H0) if arg.is_Number else None


class Max(sp.Max):
    """max(a, b, …) as a loss file writes it (a hinge's max(0, 1 − s_o + s_w)): SymPy's Max,
    evaluated only when every argument is a number. SymPy's own orders its arguments by asking,
    through the assumptions system, whether each is real and which is larger, every time an
    expression holding it is built or rebuilt: of sums of entries that never decides, and it cost
    a multiclass hinge a third of its `derive show`. Its derivative is SymPy's (fdiff, inherited);
    named Max so that SymPy's printers print it as max."""

    def __new__(cls, *args: Any, **options: Any) -> sp.Expr:
        values = [sp.sympify(a) for a in args]
        if all(v.is_Number for v in values):
            return sp.Max(*values)
        return super().__new__(cls, *values, evaluate=False)


class Sigmoid(sp.MatrixExpr):
    """σ applied to every entry of a matrix expression."""

    def __new__(cls, arg: sp.MatrixExpr) -> Sigmoid:
        return sp.Basic.__new__(cls, arg)

    @property
    def arg(self) -> sp.MatrixExpr:
        return self.args[0]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sigmoid(self.arg._entry(i, j, **kwargs))

    def _numpycode(self, printer: Any) -> str:
        return _stable(printer, printer._print(self.arg))

    def _latex(self, printer: Any) -> str:
        return rf"\sigma\left({printer._print(self.arg)}\right)"

    def _derive_text(self, printer: Any) -> str:
        return f"σ({printer._print(self.arg)})"


def minus_log_sigmoid_code(printer: Any, arg: sp.Expr) -> str:
    """−log σ(x) = log(1 + exp(−x)) = logaddexp(0, −x): finite for every finite x."""
    return f"{printer._module_format('numpy.logaddexp')}(0, {printer.doprint(-arg)})"

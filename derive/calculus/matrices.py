"""Matrix expressions a general fold needs beyond SymPy's own: a function applied entrywise, the
ones vector 𝟏, diag(a), the column a_k of a matrix at an index k, the one-hot vector e_k, and
aᵀb, the scalar a sum of entries folds to inside a matrix form (Σ_s a[s] σ((Wx)_s) = aᵀσ(Wx)).

Each prints to LaTeX, to the text printer and to NumPy (so a matrix form is checked by evaluating
it, as every other matrix form is).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .. import notation as n
from .functions import Heaviside, sigmoid

# How an entrywise function is written in LaTeX and text, by its SymPy head.
_NAMES: dict[Any, tuple[str, str]] = {
    sp.exp: (r"\exp", "exp"), sp.log: (r"\log", "log"), sigmoid: (r"\sigma", "σ"),
    sp.tanh: (r"\tanh", "tanh"), sp.Heaviside: (n.STEP_LATEX, "step"),
    Heaviside: (n.STEP_LATEX, "step"),
    sp.sign: (r"\operatorname{sign}", "sign"),
}
_ARG = sp.Dummy("t")


class Entrywise(sp.MatrixExpr):
    """f applied to every entry of a matrix expression: Entrywise(Lambda(t, f(t)), A)."""

    def __new__(cls, function: sp.Lambda, arg: sp.MatrixExpr) -> Entrywise:
        return sp.Basic.__new__(cls, function, arg)

    @classmethod
    def of(cls, body: sp.Expr, var: sp.Symbol, arg: sp.MatrixExpr) -> Entrywise:
        return cls(sp.Lambda(_ARG, body.xreplace({var: _ARG})), arg)

    @property
    def function(self) -> sp.Lambda:
        return self.args[0]

    @property
    def arg(self) -> sp.MatrixExpr:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return self.function(self.arg._entry(i, j, **kwargs))

    def _body(self) -> sp.Expr:
        var = self.function.variables[0]
        return self.function.expr, var

    def _numpycode(self, printer: Any) -> str:
        body, var = self._body()
        marker = sp.Symbol("ENTRYWISE_ARGUMENT")
        code = printer._print(body.xreplace({var: marker}))
        # in parentheses: a transpose or a product after it applies to the whole, not to the
        # last atom ((a)**2.T would be a**(2.T))
        return "(" + code.replace("ENTRYWISE_ARGUMENT", f"({printer._print(self.arg)})") + ")"

    def _printed(self, printer: Any, latex: bool) -> str:
        body, var = self._body()
        inner = printer._print(self.arg)
        if isinstance(body, sp.Function) and body.args[:1] == (var,) and body.func in _NAMES:
            name = _NAMES[body.func][0 if latex else 1]
            return rf"{name}\left({inner}\right)" if latex else f"{name}({inner})"
        if isinstance(body, sp.Pow) and body.base == var and body.exp.is_Number:
            power = printer._print(body.exp)
            if latex:
                return rf"\left({inner}\right)^{{\circ {power}}}"
            return f"({inner})^∘{power}"
        marker = sp.Symbol("x")
        shown = printer._print(body.xreplace({var: marker}))
        return (rf"\left[{shown}\right]_{{x = {inner}}}" if latex
                else f"[{shown}]_(x = {inner})")

    def _latex(self, printer: Any) -> str:
        return self._printed(printer, True)

    def _derive_text(self, printer: Any) -> str:
        return self._printed(printer, False)


class Ones(sp.MatrixExpr):
    """𝟏, the vector of n ones."""

    def __new__(cls, size: sp.Expr) -> Ones:
        return sp.Basic.__new__(cls, sp.sympify(size))

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.args[0], sp.S.One)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sp.S.One

    def _numpycode(self, printer: Any) -> str:
        return f"{printer._module_format('numpy.ones')}(({printer._print(self.args[0])}, 1))"

    def _latex(self, printer: Any) -> str:
        return r"\mathbf{1}"

    def _derive_text(self, printer: Any) -> str:
        return "𝟏"


class Diag(sp.MatrixExpr):
    """diag(a), the square matrix with the vector a on its diagonal."""

    def __new__(cls, arg: sp.MatrixExpr) -> Diag:
        return sp.Basic.__new__(cls, arg)

    @property
    def arg(self) -> sp.MatrixExpr:
        return self.args[0]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.arg.shape[0], self.arg.shape[0])

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sp.KroneckerDelta(i, j) * self.arg._entry(i, 0, **kwargs)

    def _numpycode(self, printer: Any) -> str:
        return f"{printer._module_format('numpy.diagflat')}({printer._print(self.arg)})"

    def _latex(self, printer: Any) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.arg)}\right)"

    def _derive_text(self, printer: Any) -> str:
        return f"diag({printer._print(self.arg)})"


def _index(printer: Any, x: sp.Expr) -> str:
    index = getattr(printer, "_index", None)  # derive's printers name indices (w′, k, …)
    return index(x) if index is not None else printer._print(x)


class Column(sp.MatrixExpr):
    """A[:, k], the column of a matrix at an index k of the loss (u_k of U when K samples' words
    are declared as indices into the vocabulary)."""

    def __new__(cls, matrix: sp.MatrixExpr, index: sp.Symbol) -> Column:
        return sp.Basic.__new__(cls, matrix, index)

    @property
    def matrix(self) -> sp.MatrixExpr:
        return self.args[0]

    @property
    def index(self) -> sp.Symbol:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.matrix.shape[0], sp.S.One)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return self.matrix._entry(i, self.index, **kwargs)

    def _numpycode(self, printer: Any) -> str:
        return f"{printer._print(self.matrix)}[:, [{printer._print(self.index)}]]"

    def _named(self, table: dict[sp.IndexedBase, str]) -> str | None:
        obj = n.lookup(self.matrix.name, self.matrix.shape)
        return table.get(obj.indexed) if obj is not None else None

    def _latex(self, printer: Any) -> str:
        pattern = self._named(n.COLUMN_LATEX)
        k = _index(printer, self.index)
        return pattern.format(k) if pattern else rf"{printer._print(self.matrix)}_{{:,{k}}}"

    def _derive_text(self, printer: Any) -> str:
        pattern = self._named(n.COLUMN_TEXT)
        k = _index(printer, self.index)
        return pattern.format(k) if pattern else f"{printer._print(self.matrix)}[:, {k}]"


class OneHot(sp.MatrixExpr):
    """e_k, the vector of n entries that is 1 at the index k and 0 elsewhere (for the outside
    word o the handout names it y)."""

    def __new__(cls, index: sp.Symbol, size: sp.Expr) -> OneHot:
        return sp.Basic.__new__(cls, index, sp.sympify(size))

    @property
    def index(self) -> sp.Symbol:
        return self.args[0]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.args[1], sp.S.One)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sp.KroneckerDelta(i, self.index)

    def _numpycode(self, printer: Any) -> str:
        eye = printer._module_format("numpy.eye")
        return f"{eye}({printer._print(self.args[1])})[:, [{printer._print(self.index)}]]"

    def _latex(self, printer: Any) -> str:
        return rf"\mathbf{{e}}_{{{_index(printer, self.index)}}}"

    def _derive_text(self, printer: Any) -> str:
        return f"e_{_index(printer, self.index)}"


class Dot(sp.Expr):
    """aᵀb for two vectors of one length: a scalar, so a factor of a matrix form."""

    is_commutative = True
    is_real = True

    def __new__(cls, a: sp.MatrixExpr, b: sp.MatrixExpr) -> Dot:
        return sp.Expr.__new__(cls, a, b)

    def _numpycode(self, printer: Any) -> str:
        a, b = (printer._print(x) for x in self.args)
        return f"(({a}).T @ ({b})).item()"

    def _printed(self, printer: Any, latex: bool) -> str:
        a, b = self.args
        left = printer._print(a)
        if not isinstance(a, (sp.MatrixSymbol, Ones, Column)):
            left = rf"\left({left}\right)" if latex else f"({left})"
        right = printer._print(b)
        if isinstance(b, (sp.MatAdd, sp.MatMul, sp.HadamardProduct)):
            right = rf"\left({right}\right)" if latex else f"({right})"
        return rf"{left}^\top {right}" if latex else f"{left}ᵀ{right}"

    def _latex(self, printer: Any) -> str:
        return self._printed(printer, True)

    def _derive_text(self, printer: Any) -> str:
        return self._printed(printer, False)


"""A family of indices — the K samples w_1, …, w_K of negative sampling, as the handout names
them — in matrix form: the columns (or rows) of a matrix at the samples, U[:, w], and their
one-hot vectors side by side, I[:, w], each a matrix expression that prints to LaTeX, text and
NumPy; and the fold that reads an entry at a sample (U[r, w_s], δ(r, w_s)) as an entry of one
of them, so that matrixform's table folds Σ_s g_s u_{w_s} as (U[:, w] g) like any product.
A word drawn twice is two columns: its terms add, as the loss adds them.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .fold import matrix_of
from .matrixform import NoMatrixForm, Sizes, fold


class Gather(sp.MatrixExpr):
    """The columns (axis 1) or rows (axis 0) of A at a family of indices w = (w_1, …, w_K): the
    K samples' vectors [u_{w_1}, …, u_{w_K}] = U[:, w], a sample repeated as often as drawn. A
    vector's entries at w (b[w]) are its rows."""

    def __new__(cls, matrix: sp.MatrixExpr, family: sp.IndexedBase, axis: int) -> Gather:
        return sp.Basic.__new__(cls, matrix, family, sp.Integer(axis))

    @property
    def matrix(self) -> sp.MatrixExpr:
        return self.args[0]

    @property
    def family(self) -> sp.IndexedBase:
        return self.args[1]

    @property
    def axis(self) -> int:
        return int(self.args[2])

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        (count,) = self.family.shape
        rows, cols = self.matrix.shape
        return (rows, count) if self.axis else (count, cols)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        if self.axis:
            return self.matrix._entry(i, self.family[j], **kwargs)
        return self.matrix._entry(self.family[i], j, **kwargs)

    def _numpycode(self, printer: Any) -> str:
        a, w = printer._print(self.matrix), printer._print(self.family.label)
        return f"{a}[:, {w}]" if self.axis else f"{a}[{w}, :]"

    def _printed(self, printer: Any, latex: bool) -> str:
        a, w = printer._print(self.matrix), self.family.name
        if latex:
            w = rf"\mathbf{{{w}}}"
            if self.matrix.shape[1] == 1:
                return rf"{a}_{{{w}}}"
            return rf"{a}_{{:,{w}}}" if self.axis else rf"{a}_{{{w},:}}"
        if self.matrix.shape[1] == 1:
            return f"{a}[{w}]"
        return f"{a}[:, {w}]" if self.axis else f"{a}[{w}, :]"

    def _latex(self, printer: Any) -> str:
        return self._printed(printer, True)

    def _derive_text(self, printer: Any) -> str:
        return self._printed(printer, False)


class OneHots(sp.MatrixExpr):
    """[e_{w_1}, …, e_{w_K}] = I[:, w], the one-hot vectors of a family of indices side by side:
    (I[:, w] g)_r = Σ_s g_s δ(r, w_s), a sample repeated adding its every term."""

    def __new__(cls, family: sp.IndexedBase, size: sp.Expr) -> OneHots:
        return sp.Basic.__new__(cls, family, sp.sympify(size))

    @property
    def family(self) -> sp.IndexedBase:
        return self.args[0]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.args[1], self.family.shape[0])

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sp.KroneckerDelta(i, self.family[j])

    def _numpycode(self, printer: Any) -> str:
        eye = printer._module_format("numpy.eye")
        return f"{eye}({printer._print(self.args[1])})[:, {printer._print(self.family.label)}]"

    def _latex(self, printer: Any) -> str:
        return rf"\mathbf{{I}}_{{:,\mathbf{{{self.family.name}}}}}"

    def _derive_text(self, printer: Any) -> str:
        return f"I[:, {self.family.name}]"


Families = tuple[tuple[sp.IndexedBase, sp.Expr], ...]


def fold_gathered(expr: sp.Expr, free: tuple[sp.Symbol, ...], sizes: Sizes,
                  families: Families) -> sp.MatrixExpr:
    """fold, where an entry at a family of indices w = (w_1, …, w_K) — U[r, w_s], b[w_s],
    δ(r, w_s) — is first the entry (r, s) of a matrix of its own, the gathered U[:, w] or the
    one-hot I[:, w], so that the table folds Σ_s g_s U[r, w_s] as (U[:, w] g)_r like any
    product; those matrices are put back in the result."""
    if not families:
        return fold(expr, free, sizes)
    stand_ins: dict[sp.Basic, sp.Basic] = {}
    back: dict[sp.IndexedBase, tuple[sp.IndexedBase, int, sp.IndexedBase]] = {}
    hots: dict[sp.IndexedBase, sp.IndexedBase] = {}  # I@w, by the family it is the one-hots of
    by_base = dict(families)

    def at_family(x: sp.Basic) -> bool:
        return isinstance(x, sp.Indexed) and x.base in by_base and isinstance(x.indices[0],
                                                                              sp.Symbol)

    def gathered(e: sp.Indexed) -> sp.Expr:
        where = [k for k, x in enumerate(e.indices) if at_family(x)]
        if len(where) != 1:
            return e
        (k,) = where
        w, s = e.indices[k].base, e.indices[k].indices[0]
        shape = list(e.base.shape)
        shape[k] = w.shape[0]
        stand_in = sp.IndexedBase(f"{e.base.name}@{w.name}", shape=tuple(shape))
        matrix = Gather(matrix_of(e.base), w, 1 if k == 1 else 0)
        stand_ins[matrix_of(stand_in)] = matrix
        back[stand_in] = (e.base, k, w)
        return stand_in[(*e.indices[:k], s, *e.indices[k + 1:])]

    def one_hots(e: sp.KroneckerDelta) -> sp.Expr:
        fam = [x for x in e.args if at_family(x)]
        if len(fam) != 1:
            return e
        (x,) = fam
        (other,) = [a for a in e.args if a is not x] or [x]
        w, s = x.base, x.indices[0]
        stand_in = sp.IndexedBase(f"I@{w.name}", shape=(by_base[w], w.shape[0]))
        stand_ins[matrix_of(stand_in)] = OneHots(w, by_base[w])
        hots[stand_in] = w
        return stand_in[other, s]

    plain = expr.replace(lambda e: isinstance(e, sp.Indexed) and not at_family(e)
                         and any(at_family(x) for x in e.indices), gathered)
    plain = plain.replace(lambda e: isinstance(e, sp.KroneckerDelta)
                          and any(at_family(x) for x in e.args), one_hots)
    out = fold(plain, free, sizes).xreplace(stand_ins)
    def entry(e: sp.Indexed) -> sp.Expr:  # an entry left inside a scalar, as the loss wrote it
        if e.base in hots:
            r, s = e.indices
            return sp.KroneckerDelta(r, hots[e.base][s])
        base, k, w = back[e.base]
        idx = list(e.indices)
        idx[k] = w[idx[k]]
        return base[tuple(idx)]
    out = out.replace(lambda e: isinstance(e, sp.Indexed) and (e.base in back or e.base in hots),
                      entry)
    if any("@" in str(m) for m in out.atoms(sp.MatrixSymbol)):
        raise NoMatrixForm("an entry at the samples w_s has no matrix form")
    return out

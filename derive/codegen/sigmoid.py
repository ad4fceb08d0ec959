"""The σ kernels (negative sampling): the matrix forms printed over a batch of B samples.

Each per-sample matrix is stacked on a leading axis — v_c and u_o (B, d, 1), U_neg (B, d, K) — so a
matrix product is NumPy's batched `@` and a transpose swaps the last two axes. A scalar such as
u_oᵀv_c is a (B, 1, 1) array, which broadcasts against the matrices as a per-sample scalar should.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from .. import notation as n
from ..calculus.fold import to_matrix
from ..calculus.functions import Sigmoid, minus_log_sigmoid_code, sigmoid
from ..calculus.records import Derivation
from ..errors import CodegenError
from ..printing import text, vector_dot


class _BatchPrinter(NumPyPrinter):
    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        return f"numpy.swapaxes({self._print(expr.arg)}, -1, -2)"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        coeff, mats = expr.as_coeff_matrices()
        code = " @ ".join(self.parenthesize(m, PRECEDENCE["Mul"]) for m in mats)
        return code if coeff == 1 else f"({self._print(coeff)}) * {code}"


def sigmoid_kernel_source(derivation: Derivation, name: str) -> str:
    """Source of `name(v_c, u_o, U_neg) -> (losses (B,), grad_v_c, grad_u_o, grad_U_neg)`, every
    argument and gradient a stack of B per-sample matrices."""
    printer = _BatchPrinter()
    grads = {g.wrt.name: g.result for g in derivation.gradients}
    names: dict[str, str] = {}
    loss = _sigmoid_loss(derivation.loss_steps[-1].expr, printer, names)
    lines = [f"loss = ({loss})[:, 0, 0]"]
    for wrt in (n.v_c, n.u_o, n.U_neg):
        lines.append(f"grad_{wrt.name} = {printer.doprint(_named(grads[wrt.name], names))}")
    # Each product (uᵀv_c, U_negᵀv_c, its σ) once, before the lines that use it.
    lines[:0] = [f"{sym} = {code}" for code, sym in names.items()]
    doc = (f'    """{derivation.loss.name}, derived: '
           + "; ".join(f"dJ/d{k} = {text(v)}" for k, v in grads.items())
           + ' (handout layout, each a stack of B samples)."""')
    body = "\n".join(f"    {line}" for line in
                     [*lines, "return loss, grad_v_c, grad_u_o, grad_U_neg"])
    return f"def {name}(v_c, u_o, U_neg):\n{doc}\n{body}\n"


def _named(expr: sp.Basic, names: dict[str, str]) -> sp.Basic:
    """expr with each dot product aᵀv_c, matrix product Aᵀv_c and entrywise σ of one replaced by
    a symbol whose code `names` records (code → name), so each is computed once."""
    printer = _BatchPrinter()

    def name(code: str, hint: str) -> str:
        if code not in names and hint in names.values():
            hint = f"{hint}_{len(names)}"  # another code already has this name
        return names.setdefault(code, hint)

    def dot(s: sp.Sum) -> sp.Symbol:
        a, b = vector_dot(s)  # type: ignore[misc]
        code = printer.doprint(sp.MatMul(a.matrix.T, b.matrix))
        return sp.Symbol(name(code, f"{a.name}_dot_{b.name}"))

    def product(m: sp.MatMul) -> sp.MatrixSymbol:
        hint = "_".join(f"{f.arg.name}T" if isinstance(f, sp.Transpose) else f.name for f in m.args)
        return sp.MatrixSymbol(name(printer.doprint(m), hint), *m.shape)

    def sigma(s: Sigmoid) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(name(printer.doprint(s), f"sigma_{s.arg.name}"), *s.shape)

    def scalar_sigma(s: sigmoid) -> sp.Symbol:
        arg = s.args[0]
        hint = f"sigma_minus_{-arg}" if arg.could_extract_minus_sign() else f"sigma_{arg}"
        return sp.Symbol(name(printer.doprint(s), hint))

    expr = expr.replace(lambda e: isinstance(e, sp.Sum) and vector_dot(e) is not None, dot)
    expr = expr.replace(_is_product, product)
    expr = expr.replace(lambda e: isinstance(e, sigmoid) and e.free_symbols <= set(map(
        sp.Symbol, names.values())), scalar_sigma)
    return expr.replace(lambda e: isinstance(e, Sigmoid) and isinstance(e.arg, sp.MatrixSymbol),
                        sigma)


def _is_product(e: sp.Basic) -> bool:
    """A product of matrix symbols and their transposes, such as U_negᵀv_c."""
    return isinstance(e, sp.MatMul) and len(e.args) > 1 and all(
        isinstance(f, sp.MatrixSymbol)
        or isinstance(f, sp.Transpose) and isinstance(f.arg, sp.MatrixSymbol) for f in e.args)


def _sigmoid_loss(expr: sp.Expr, printer: NumPyPrinter, names: dict[str, str]) -> str:
    """The per-sample loss as a (B, 1, 1) array, term by term: c·log σ(a) for a scalar a, and
    c·Σ_k log σ(a_k), summed over the vector a that the entries a_k fold into."""
    if isinstance(expr, sp.Add):
        return " + ".join(f"({_sigmoid_loss(t, printer, names)})" for t in expr.args)
    # c·log σ(a) = (−c)·(−log σ(a)), printed as (−c)·logaddexp(0, −a): the loss's usual c = −1
    # then costs no multiply.
    coeff, rest = expr.as_independent(sp.log, sp.Sum, as_Add=False)
    scale = "" if coeff == -1 else f"({printer.doprint(-coeff)}) * "
    if isinstance(rest, sp.log) and isinstance(rest.args[0], sigmoid):
        return scale + minus_log_sigmoid_code(printer, _named(rest.args[0].args[0], names))
    if isinstance(rest, sp.Sum) and len(rest.limits) == 1 and isinstance(rest.function, sp.log) \
            and isinstance(rest.function.args[0], sigmoid):
        # A column of K entries, one per sample: summing its rows leaves (B, 1, 1).
        vector = _named(to_matrix(rest.function.args[0].args[0], rest.variables[0]), names)
        return f"{scale}{minus_log_sigmoid_code(printer, vector)}.sum(axis=-2, keepdims=True)"
    raise CodegenError(f"no kernel form for the loss term {expr}")

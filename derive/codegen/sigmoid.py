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

# The kernel's arguments, each a stack of B per-sample matrices.
ARGS = (n.v_c, n.u_o, n.U_neg)


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
    for wrt in ARGS:
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
        hint = "sigma"  # σ(±a) of one named product a is called after it; anything else is not
        if isinstance(arg, sp.Symbol):
            hint = f"sigma_{arg}"
        elif isinstance(-arg, sp.Symbol):
            hint = f"sigma_minus_{-arg}"
        return sp.Symbol(name(printer.doprint(s), hint))

    expr = expr.replace(_is_dot, dot)
    expr = expr.replace(_is_product, product)
    expr = expr.replace(lambda e: isinstance(e, sigmoid) and e.free_symbols <= set(map(
        sp.Symbol, names.values())), scalar_sigma)
    expr = expr.replace(lambda e: isinstance(e, Sigmoid) and isinstance(e.arg, sp.MatrixSymbol),
                        sigma)
    # What is left must be arithmetic on the kernel's arguments and the named products: no entry,
    # no sum the names above did not account for, no other matrix or symbol.
    known = {a.name for a in ARGS} | set(names.values())
    if expr.atoms(sp.Indexed, sp.Sum) or any(str(s) not in known for s in expr.free_symbols):
        raise CodegenError(f"no kernel form for {expr}: the σ kernels compute only from "
                           "v_c, u_o and U_neg")
    return expr


def _is_dot(e: sp.Basic) -> bool:
    """Σ_i a[i] b[i] of two argument vectors, i over all of their (equal) length: aᵀb."""
    pair = vector_dot(e) if isinstance(e, sp.Sum) else None
    return pair is not None and all(v in ARGS for v in pair) and _over_whole_axes(e)


def _over_whole_axes(expr: sp.Basic) -> bool:
    """Whether every sum in expr runs its variable from 0 over the whole axis of each array it
    indexes, the variable standing alone as that index: Σ_k over all K samples, Σ_i over all d
    rows. Only such a sum is the matrix product or the .sum over an axis it is printed as."""
    for s in expr.atoms(sp.Sum):
        for var, lower, upper in s.limits:
            entries = [e for e in s.function.atoms(sp.Indexed) if e.has(var)]
            indices = [(e, a, index) for e in entries for a, index in enumerate(e.indices)]
            if any(index.has(var) and index != var for _, _, index in indices):
                return False  # x[i + 1] and the like: not a whole axis
            sizes = {e.base.shape[a] if e.base.shape else None
                     for e, a, index in indices if index == var}
            if lower != 0 or not sizes or any(size is None or upper != size - 1 for size in sizes):
                return False
    return True


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
    if coeff.free_symbols or not _over_whole_axes(rest):  # the kernels take no parameter
        raise CodegenError(f"no kernel form for the loss term {expr}")
    scale = "" if coeff == -1 else f"({printer.doprint(-coeff)}) * "
    if isinstance(rest, sp.log) and isinstance(rest.args[0], sigmoid):
        return scale + minus_log_sigmoid_code(printer, _named(rest.args[0].args[0], names))
    if isinstance(rest, sp.Sum) and len(rest.limits) == 1 and isinstance(rest.function, sp.log) \
            and isinstance(rest.function.args[0], sigmoid):
        # A column of K entries, one per sample: summing all its rows leaves (B, 1, 1).
        var, lower, upper = rest.limits[0]
        vector = _named(to_matrix(rest.function.args[0].args[0], var), names)
        if lower == 0 and vector.shape == (upper + 1, 1):
            return f"{scale}{minus_log_sigmoid_code(printer, vector)}.sum(axis=-2, keepdims=True)"
    raise CodegenError(f"no kernel form for the loss term {expr}")

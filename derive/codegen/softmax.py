"""Generate NumPy kernels from a derivation: its loss and matrix forms, printed as batched code.

Layouts: the handout's U is d×V with columns u_w; kernels take `U` as rows (V, d) — its transpose —
and a batch of centre vectors `V_c` as rows (B, d). So a per-sample column vector x becomes the
(B, n) array of rows xᵀ, and for the handout's

    U x          the rows are  X @ U                (U here the (V, d) rows array)
    Σ_b a_b b_bᵀ the (V, d) rows gradient is  B_rows.T @ A_rows.

The softmax prints in its stable form: logits shifted by their row maximum, the loss as a
log-sum-exp, so ŷ_o underflowing to 0 still gives a finite loss. The exponentials e = zŷ are not
divided by their sum z over the (B, V) array: ŷ − y is kept as e − zy, and the 1/z goes into the
(B, d) factor it is multiplied with, which saves one pass over (B, V).
"""
from __future__ import annotations

import ast
import textwrap

import sympy as sp

from .. import notation as n
from ..calculus.records import Derivation
from ..errors import CodegenError
from .softmax_forms import (
    is_column_dot,
    is_delta,
    is_norm_sq,
    is_product_with_delta,
    outer_with_delta,
    split,
    yhat_only_in_products,
)

# Rows of U per block in the one-word softmax: 1 MiB stays in cache between a block's two products
# and is large enough that a block's dozen NumPy calls cost little beside its bytes. Paired with the
# copy floor on one BLAS thread, it beat 4 MiB at 7 of 8 sizes (by up to 15%), 128-512 KiB at all.
BLOCK_BYTES = 1 << 20

PER_SAMPLE = {n.v_c.name: "V_c"}


class _Emitter:
    def __init__(self, derivation: Derivation) -> None:
        self.derivation = derivation
        self.lines: list[str] = []
        if derivation.loss.softmax is None:
            raise CodegenError(f"{derivation.loss.name} has no softmax: see sigmoid_kernel_source")
        logit = derivation.loss.softmax.logit
        self.normaliser = sp.Sum(sp.exp(logit(n.w2)), (n.w2, 0, n.V - 1))
        self.yhat_only_in_delta = not any(
            g.result.replace(is_delta, lambda e: sp.ZeroMatrix(*e.shape)).has(n.y_hat.matrix)
            for g in derivation.gradients if not g.case)
        self.names: dict[str, str] = {}
        # One word's grad_U can be written block by block, each block's 1/z and max folded into
        # the (d,) factor, when ŷ is needed nowhere else: not normalised, nor as e − zy.
        grads = [g.result for g in derivation.gradients if not g.case]
        self.fast_write = (self.yhat_only_in_delta
                           and all(yhat_only_in_products(g) for g in grads
                                   if outer_with_delta(g) is None)
                           and any(outer_with_delta(g) is not None for g in grads))
        loss = derivation.loss_steps[-1].expr
        labels = {b.label for b in loss.atoms(sp.IndexedBase)}
        self.params = sorted((s for s in loss.free_symbols
                              if type(s) is sp.Symbol and s not in _INDEXES | labels), key=str)

    def assign(self, code: str, hint: str) -> str:
        if code in self.names:
            return self.names[code]
        name = f"{hint}{len(self.names)}" if hint in self.names.values() else hint
        self.names[code] = name
        self.lines.append(f"{name} = {code}")
        return name

    def scalar(self, expr: sp.Expr) -> str:
        if expr.free_symbols - set(self.params):
            raise CodegenError(f"kernels take no per-word scalar such as {expr}")
        return f"({sp.pycode(expr, fully_qualified_modules=False)})"

    # Per-sample column vectors → (B, n) rows.
    def rows(self, expr: sp.MatrixExpr) -> str:
        if expr == n.y_hat.matrix:
            return self.assign("e / z", "yhat")
        if isinstance(expr, sp.MatrixSymbol):
            if expr.name in PER_SAMPLE:
                return PER_SAMPLE[expr.name]
            raise CodegenError(f"{expr} is not a per-sample vector")
        if is_delta(expr):
            return self.assign(f"{self.scaled_delta()} / z", "delta")
        if isinstance(expr, sp.MatAdd):
            return self.assign(" + ".join(self.rows(t) for t in expr.args), "r")
        if isinstance(expr, sp.MatMul):
            coeff, mats = split(expr)
            if is_product_with_delta(expr):
                code = "Uyhat - U[o]"  # U(ŷ − y) = Uŷ − u_o, Uŷ made with the softmax
            elif len(mats) == 2 and mats[0] == n.U.matrix:
                code = f"{self.rows(mats[1])} @ U"
            elif len(mats) == 1:
                code = self.rows(mats[0])
            else:
                raise CodegenError(f"no kernel form for {expr}")
            return self.assign(code if coeff == 1 else f"{self.scalar(coeff)} * {code}", "r")
        raise CodegenError(f"no kernel form for {expr}")

    def scaled_delta(self) -> str:
        """The name of z(ŷ − y) = e − zy, the (B, V) exponentials with z taken off at o."""
        # ŷ used nowhere else may be overwritten: one pass over (B, V) saved.
        code = "e" if self.yhat_only_in_delta else "e.copy()"
        if code not in self.names:
            name = self.assign(code, "zdelta")
            self.lines.append(f"{name}[_b, o] -= z[:, 0]")
        return self.names[code]

    def outer(self, a: sp.MatrixExpr, b: sp.MatrixExpr) -> tuple[str, str]:
        """(B_rows, A_rows), whose B_rows.T @ A_rows is the (V, d) rows form of Σ_b a_b b_bᵀ."""
        if is_delta(b):
            return self.scaled_delta(), f"({self.rows(a)} / z)"
        return self.rows(b), self.rows(a)

    # A d×V gradient of the handout's U → the (V, d) rows array, summed over the batch.
    def param_grad(self, expr: sp.MatrixExpr) -> str:
        if isinstance(expr, sp.MatAdd):
            return " + ".join(self.param_grad(t) for t in expr.args)
        coeff, mats = split(expr) if isinstance(expr, sp.MatMul) else (sp.S.One, [expr])
        scale = "" if coeff == 1 else f"{self.scalar(coeff)} * "
        if len(mats) == 2 and isinstance(mats[1], sp.Transpose):
            left, right = self.outer(mats[0], mats[1].arg)
            return f"{scale}({left}.T @ {right})"
        if mats == [n.U.matrix]:  # exactly c·U (from c/2·‖U‖²), in each of the B losses
            return f"{scale}(B * U)"
        raise CodegenError(f"no kernel form for {expr}")

    def param_grad_into(self, expr: sp.MatrixExpr, name: str) -> str:
        """Lines that leave the U gradient in `name`, the caller's out_U buffer when given."""
        a = outer_with_delta(expr)
        if a is not None and self.fast_write:
            right = self.rows(a)
            # Hand-tuned, one word: block k's ŷ is its exponentials e_b times w_k/z, so its rows
            # of (ŷ − y)aᵀ are e_b times the (d,) factor a·w_k/z, and y takes a off row o: grad_U
            # is written once, with no (V, d) temporary, and e is never rescaled.
            self.lines += [
                f"{name} = np.empty((U.shape[0], V_c.shape[1]), e.dtype) if out_U is None "
                "else out_U",
                "if B == 1:",
                f"    a_row = {right}[0]",
                "    wz = w / z[0, 0]",
                "    for k, a in enumerate(starts):",
                f"        _outer_into(e[0, a:a + step], a_row * wz[k], {name}[a:a + step])",
                f"    {name}[o[0]] -= a_row",
                "else:",
            ]
            body = len(self.lines)
            left = self.scaled_delta()
            self.lines[body:] = [f"    {line}" for line in self.lines[body:]]
            self.lines.append(f"    np.matmul({left}.T, ({right} / z), out={name})")
            return name
        coeff, mats = split(expr) if isinstance(expr, sp.MatMul) else (None, [])
        if coeff == 1 and len(mats) == 2 and isinstance(mats[1], sp.Transpose):
            left, right = self.outer(mats[0], mats[1].arg)
            # For one word Σ_b a_b b_bᵀ is an outer product, written by _outer_into (wrappers.py):
            # a broadcast multiply is slower, and a rank-1 matmul slower still.
            self.lines += [
                f"{name} = np.empty((U.shape[0], V_c.shape[1]), e.dtype) if out_U is None "
                "else out_U",
                "if B == 1:",
                f"    _outer_into({left}[0], {right}[0], {name})",
                "else:",
                f"    np.matmul({left}.T, {right}, out={name})",
            ]
            return name
        self.lines += [f"{name} = {self.param_grad(expr)}",
                       "if out_U is not None:",
                       f"    out_U[...] = {name}",
                       f"    {name} = out_U"]
        return name

    # The loss J, elementwise, → a (B,) array of per-sample losses.
    def loss(self, expr: sp.Expr) -> str:
        if isinstance(expr, sp.Add):
            return " + ".join(f"({self.loss(t)})" for t in expr.args)
        if isinstance(expr, sp.Mul):
            coeff, rest = expr.as_independent(*self.derivation.loss.expr.atoms(sp.Indexed),
                                              sp.Sum, sp.log, as_Add=False)
            if coeff != 1:
                return f"{self.scalar(coeff)} * ({self.loss(rest)})"
        if isinstance(expr, sp.log) and expr.args[0] == self.normaliser:
            return "lse"  # log Σ_w exp(logit_w), the log-sum-exp of the printed logits
        if is_column_dot(expr, n.o):
            return "dots_o"
        if is_norm_sq(expr, n.v_c.indexed):  # ‖v_c‖², one per sample
            return "np.einsum('bi,bi->b', V_c, V_c)"
        if is_norm_sq(expr, n.U.indexed):  # ‖U‖²_F, the same in each of the B losses
            return "np.full(B, np.vdot(U, U))"
        raise CodegenError(f"no kernel form for the loss term {expr}")

    def logits(self, expr: sp.Expr, dots: str) -> str:
        """The logits as code over `dots`, the array of dot products u_wᵀv_c."""
        if is_column_dot(expr, n.w2):
            return dots
        if isinstance(expr, sp.Mul):
            coeff, rest = expr.as_independent(sp.Sum, as_Add=False)
            if coeff != 1:
                return f"{self.scalar(coeff)} * {self.logits(rest, dots)}"
        raise CodegenError(f"no kernel form for the logit {expr}")


_INDEXES = frozenset({n.V, n.d, n.o, n.i, n.j, n.k, n.w, n.w2})


def kernel_source(derivation: Derivation, name: str, *, block_bytes: int = BLOCK_BYTES) -> str:
    """Source of `name(V_c, o, U, *, params…) -> (per-sample losses, grad_V_c, grad_U)`.

    `block_bytes` sizes the blocks of U's rows in which one word's softmax is computed."""
    em = _Emitter(derivation)
    grads = {g.wrt.name: g.result for g in derivation.gradients if not g.case}
    logit = derivation.loss.softmax.logit(n.w2)  # type: ignore[union-attr]  # _Emitter checked
    logits = em.logits(logit, "dots")
    product = any(is_product_with_delta(e)
                  for g in grads.values() for e in sp.preorder_traversal(g))
    # The logits are linear in the dots u_wᵀv_c (logits() prints no other form), so printed over
    # V_c instead they are the vector whose products with U's rows are the logits.
    scaled_v = em.logits(logit, "V_c")
    em.lines += ["B = V_c.shape[0]", "_b = np.arange(B)", "if B == 1 and _compiled(U):",
                 *(f"    {line}" for line in _one_word_compiled(scaled_v, product)),
                 "elif B == 1:",
                 *(f"    {line}" for line in _one_word_softmax(logits, product, block_bytes,
                                                        not em.fast_write)),
                 "else:",
                 *(f"    {line}" for line in _batch_softmax(logits, product))]
    loss = em.loss(derivation.loss_steps[-1].expr)
    grad_v = em.rows(grads[n.v_c.name])
    # A NaN or inf in the logits Uᵀv_c always reaches the log-sum-exp or grad_v_c (a −inf logit
    # gives ŷ_w = 0 and 0·∞ = NaN there), so checking those (B + B·d numbers) is as strict as
    # checking the B·V logits, and cheaper. It runs before grad_U touches the caller's buffer.
    em.lines += [
        f"if check_finite and not (np.isfinite(lse).all() and np.isfinite({grad_v}).all()):",
        "    raise ValueError('the logits U v_c are not all finite: v_c or U holds NaN or inf')",
    ]
    grad_u = em.param_grad_into(grads[n.U.name], "grad_U")
    names = [sp.pycode(p) for p in em.params]
    body = "\n".join(f"    {line}" for line in
                     [*em.lines, f"return {loss}, {grad_v}, {grad_u}"])
    shadowed = sorted(set(names) & _assigned(body))
    if shadowed:
        raise CodegenError(f"a loss parameter named {shadowed[0]} would be overwritten by the "
                           "kernel's own variable of that name: rename the symbol")
    params = "".join(f", {name}" for name in names)
    doc = (f'    """{derivation.loss.name}, derived: dJ/dv_c = {grads[n.v_c.name]}, '
           f'dJ/dU = {grads[n.U.name]} (handout layout)."""')
    return (f"def {name}(V_c, o, U, *, check_finite=True, out_U=None{params}):\n"
            f"{doc}\n{body}\n")


def _assigned(body: str) -> set[str]:
    """The names a kernel body assigns (including loop variables)."""
    tree = ast.parse(textwrap.dedent(body))
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def _one_word_softmax(logits: str, product: bool, block_bytes: int, rescale: bool) -> list[str]:
    """Lines computing one word's dots_o, lse, e (1, V), z (1, 1) and, if `product`, Uyhat (Uŷ).

    One word is bound by memory, not arithmetic: U is read once, a block of rows at a time, each
    block giving its logits, their exponentials and its share of eᵀU while it is still in cache.
    Each block is shifted by its own maximum m_k; its weight w_k = exp(m_k − m) takes it to the
    overall one, which is the same log-sum-exp split over blocks. e is rescaled by the weights
    only if `rescale`: otherwise grad_U's blocked write folds them in (see param_grad_into).
    """
    lines = [
        "# One word (hand-tuned): U read once, by blocks of rows; each block's max is rescaled "
        "at the end.",
        f"step = max(1, {block_bytes} // (U.shape[1] * U.itemsize))",
        "starts = range(0, U.shape[0], step)",
        "e = np.empty((1, U.shape[0]), np.result_type(V_c, U))",
        "m_k = np.empty(len(starts), e.dtype)",
        "z_k = np.empty(len(starts), e.dtype)",
        *(["Ue_k = np.empty((len(starts), V_c.shape[1]), e.dtype)"] if product else []),
        "for k, a in enumerate(starts):",
        "    Ub = U[a:a + step]",
        "    dots = np.matmul(V_c, Ub.T, out=e[:, a:a + step])",
        f"    logits = {logits}",
        "    m_k[k] = logits.max()",
        "    e_b = np.subtract(logits, m_k[k], out=dots)",
        "    np.exp(e_b, out=e_b)",
        "    z_k[k] = e_b.sum()",
        *(["    np.matmul(e_b, Ub, out=Ue_k[k:k + 1])"] if product else []),
        "m = m_k.max()",
        "w = np.exp(m_k - m)",
        *(["for k, a in enumerate(starts):", "    e[0, a:a + step] *= w[k]"] if rescale else []),
        "z = (w @ z_k).reshape(1, 1)",
        "lse = (m + np.log(z))[:, 0]",
        "dots_o = np.einsum('bi,bi->b', V_c, U[o])",
    ]
    return lines + (["Uyhat = (w @ Ue_k)[None, :] / z"] if product else [])


def _one_word_compiled(scaled_v: str, product: bool) -> list[str]:
    """The names _one_word_softmax computes, by derive's compiled loop (derive.codegen._loops).

    It reads U once, row by row: each row's logit and, while the row is in cache, its share of
    eᵀU, the maximum a running one (rescaled as it rises), so the block loop of NumPy calls is
    one call. Its maximum is the overall one: one block, weight 1, for grad_U's write below."""
    return [
        "# One word (hand-tuned, compiled): U read once, row by row, with a running maximum.",
        "step = U.shape[0]",
        "starts = range(0, step, step)",
        "w = np.ones(1, U.dtype)",
        "e = np.empty((1, step), U.dtype)",
        *(["Uyhat = np.empty((1, U.shape[1]), U.dtype)"] if product else []),
        f"m, z = _loops.softmax_rows(U, np.ascontiguousarray(({scaled_v})[0], dtype=U.dtype), "
        f"e[0], {'Uyhat[0]' if product else 'None'})",
        "e = np.exp(np.subtract(e, m, out=e), out=e)",
        "z = np.full((1, 1), z, e.dtype)",
        "lse = (m + np.log(z))[:, 0]",
        "dots_o = np.einsum('bi,bi->b', V_c, U[o])",
        *(["Uyhat /= z"] if product else []),
    ]


def _batch_softmax(logits: str, product: bool) -> list[str]:
    """Lines computing a batch's dots_o, lse, e (B, V), z (B, 1) and, if `product`, Uyhat (Uŷ).

    The exponentials are computed in place over the (B, V) logits: the loss needs only dots_o and
    the log-sum-exp, so no other (B, V) array is allocated."""
    return [
        "# A batch: the exponentials in place over the (B, V) logits.",
        "dots = V_c @ U.T",
        "dots_o = dots[_b, o]",
        f"logits = {logits}",
        "m = logits.max(axis=1, keepdims=True)",
        "e = logits",
        "e -= m",
        "np.exp(e, out=e)",
        "z = e.sum(axis=1, keepdims=True)",
        "lse = (m + np.log(z))[:, 0]",
        *(["Uyhat = e @ U", "Uyhat /= z"] if product else []),
    ]

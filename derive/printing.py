"""Printers for derivations: plain text for terminals and LaTeX for handouts.

Both read names and LaTeX from `notation`; each overrides only the nodes whose notation differs from
SymPy's (the logit Σ_i U[i, x] v_c[i] prints as u_xᵀv_c, sums over the vocabulary as Σ_{w ∈ Vocab}).
"""
from __future__ import annotations

import re
from collections.abc import Callable

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence, precedence_traditional
from sympy.printing.str import StrPrinter

from . import notation as n
from .calculus.dots import dot_pair, norm_squared, product_entry, vector_dot
from .calculus.families import Gather, OneHots
from .calculus.functions import Sigmoid
from .calculus.matrices import Column, Entrywise, OneHot, Ones


def _norm_power(p: sp.Pow) -> tuple[n.Obj, int] | None:
    """(a, k) when p is (Σ_i a[i]²)^(k/2) for an integer k: ‖a‖ to the power k."""
    a = norm_squared(p.base)
    k = 2 * p.exp
    if a is None or a[1] or not k.is_Integer:
        return None
    return a[0], int(k)


def _positive_first(terms: list[sp.Basic]) -> list[sp.Basic]:
    # ŷ − y and ŷ_w − 1 as the seed writes them, not SymPy's −y + ŷ.
    return sorted(terms, key=_negative)


def _negative(t: sp.Basic) -> bool:
    """A term that starts with a minus sign. For a matrix product, SymPy's own test (its leading
    number is negative) without the −t SymPy computes first, which re-evaluates the whole product,
    entrywise functions and sums and all (half a second for a hinge's report)."""
    if isinstance(t, sp.MatMul):
        c = t.args[0]
        return bool(c.is_number and c.is_extended_negative)
    return bool(t.could_extract_minus_sign())


def _precedence(item: sp.Basic, of: Callable[[sp.Basic], int]) -> int:
    """SymPy's precedence of item (`of`: precedence or precedence_traditional); a matrix
    product's read by _negative, as SymPy reads a product's: Add when it starts with a minus."""
    if isinstance(item, sp.MatMul):
        return PRECEDENCE["Add"] if _negative(item) else PRECEDENCE["Mul"]
    return of(item)


def _coefficients_first(m: sp.Mul) -> sp.Mul:
    """αx as a rule states it, not SymPy's xα: a parameter of the loss (n.PARAMETERS) before the
    other factors."""
    numbers = [a for a in m.args if a.is_Number]  # −α and 2α, not α*(-1)
    params = [a for a in m.args if a in n.PARAMETERS]
    first = (*numbers, *params)
    if not params or m.args[:len(first)] == first:
        return m
    return sp.Mul(*first, *(a for a in m.args if a not in first), evaluate=False)


def _larger_first(args: tuple[sp.Basic, ...]) -> list[sp.Basic]:
    # max(αx, x), the order the Leaky ReLU's rule and the course write it in
    return sorted(args, key=lambda a: (-sp.count_ops(a), str(a)))


class _Handout:
    """What both printers share: the seed's term order and index names."""

    _print: Callable[[sp.Basic], str]

    def _as_ordered_terms(self, expr: sp.Basic, order: str | None = None) -> list[sp.Basic]:
        return _positive_first(super()._as_ordered_terms(expr, order))  # type: ignore[misc]

    def _print_Mul(self, m: sp.Mul, *args: object) -> str:
        return super()._print_Mul(_coefficients_first(m), *args)  # type: ignore[misc]

    def _index(self, x: sp.Expr) -> str:
        name = n.INDEX_LATEX.get(x)
        return name if name is not None else self._print(x)


class TextPrinter(_Handout, StrPrinter):
    printmethod = "_derive_text"  # Indexed's own _sympystr would bypass our _print_Indexed

    def parenthesize(self, item: sp.Basic, level: int, strict: bool = False) -> str:
        prec = _precedence(item, precedence)  # StrPrinter's, without SymPy's costly −item
        if prec < level or (not strict and prec <= level):
            return f"({self._print(item)})"
        return self._print(item)

    def _print_MatAdd(self, m: sp.MatAdd) -> str:
        # As StrPrinter prints it (as an Add), without asking a matrix product its precedence:
        # SymPy finds that by negating the product and re-evaluating it, sums and all (~0.4 s
        # of a derivation's report), and a product is never parenthesised as a term of a sum.
        out: list[str] = []
        for term in self._as_ordered_terms(m):
            t = self._print(term)
            sign, t = ("-", t[1:]) if t.startswith("-") and not term.is_Add else ("+", t)
            if term.is_Add or (not isinstance(term, sp.MatMul)
                               and precedence(term) < PRECEDENCE["Add"]):
                t = f"({t})"
            out += [sign, t]
        first = out.pop(0)
        return ("" if first == "+" else first) + " ".join(out)

    def _print_Sum(self, s: sp.Sum) -> str:
        pair = dot_pair(s)
        if pair is not None:
            x, v = pair
            index = self._index(x) if isinstance(x, sp.Symbol) else f"({self._index(x)})"
            return f"{n.COLUMN_TEXT[n.U.indexed].format(index)}ᵀ{n.BY_INDEXED[v].name}"
        vectors = vector_dot(s)
        if vectors is not None:
            return f"{vectors[0].text}ᵀ{vectors[1].text}"
        entry = product_entry(s)
        if entry is not None:
            A, b, x, transposed = entry
            return f"({A.text}{'ᵀ' if transposed else ''}{b.text})_{self._index(x)}"
        norm = norm_squared(s)
        if norm is not None:
            return f"‖{norm[0].text}‖_F²" if norm[1] else f"‖{norm[0].text}‖²"
        if len(s.limits) > 1:  # the outer sum first: Σ_w Σ_i f
            inner = self._print(sp.Sum(s.function, *s.limits[:-1]))
            return f"Σ_{self._index(s.limits[-1][0])} {inner}"
        var = s.variables[0]
        return f"Σ_{self._index(var)} ({self._print(s.function)})"

    def _print_Pow(self, p: sp.Pow, rational: bool = False) -> str:
        norm = _norm_power(p)
        if norm is None:
            return super()._print_Pow(p, rational)
        a, k = norm
        power = f"‖{a.text}‖" + (f"**{abs(k)}" if abs(k) != 1 else "")
        return power if k > 0 else f"1/{power}"

    def _print_Symbol(self, s: sp.Symbol) -> str:
        return n.symbol_text(s.name) if s.name in n.GREEK else super()._print_Symbol(s)

    def _print_Heaviside(self, h: sp.Heaviside) -> str:
        # the step function of a hinge, named as its entrywise form step(x) is
        return f"step({self._print(h.args[0])})"

    def _print_Max(self, m: sp.Max) -> str:
        return f"max({', '.join(self._print(a) for a in _larger_first(m.args))})"

    def _print_Piecewise(self, p: sp.Piecewise) -> str:
        cases = [f"{self._print(e)} if {self._print(c)}" if c is not sp.true
                 else f"{self._print(e)} otherwise" for e, c in p.args]
        return "{" + "; ".join(cases) + "}"

    def _index(self, x: sp.Expr) -> str:
        if isinstance(x, sp.Indexed) and len(x.indices) == 1 and x.base not in n.ENTRY_TEXT \
                and n.DECLARED.get(x.base.name) is None:  # w_s, of the samples w_1, …, w_K
            return f"{x.base.name}_{super()._index(x.indices[0])}"
        return super()._index(x)

    def _print_Indexed(self, e: sp.Indexed) -> str:
        if e.base in n.ENTRY_TEXT:
            index = self._index(e.indices[0])
            if not isinstance(e.indices[0], sp.Symbol):  # ŷ_(w_{t+j}), not ŷ_w_{t+j}
                index = f"({index})"
            return n.ENTRY_TEXT[e.base].format(index)
        return f"{e.base.name}[{', '.join(self._index(x) for x in e.indices)}]"

    def _print_MatrixSymbol(self, m: sp.MatrixSymbol) -> str:
        obj = n.lookup(m.name, m.shape)
        return obj.text if obj else m.name

    def _print_Transpose(self, t: sp.Transpose) -> str:
        inner = self._print(t.arg)
        # vᵀ, 𝟏ᵀ, U[:, w]ᵀ, not (𝟏)ᵀ
        atom = isinstance(t.arg, (sp.MatrixSymbol, Ones, Column, OneHot, Gather, OneHots))
        return f"{inner}ᵀ" if atom else f"({inner})ᵀ"

    def _print_Derivative(self, d: sp.Derivative) -> str:
        return f"∂/∂{self._print(d.variables[0])} ({self._print(d.expr)})"

    def _print_KroneckerDelta(self, e: sp.KroneckerDelta) -> str:
        return f"δ({self._index(e.args[0])}, {self._index(e.args[1])})"

    def _print_HadamardProduct(self, h: sp.HadamardProduct) -> str:
        def part(a: sp.Basic) -> str:
            return f"({self._print(a)})" if isinstance(a, sp.MatAdd) else self._print(a)
        top, bottom = _quotient(h)
        out = " ∘ ".join(part(a) for a in top)
        if bottom:  # p ⊘ ŷ, not (ŷ)^∘-1 ∘ p
            under = " ∘ ".join(part(a) for a in bottom)
            out += f" ⊘ ({under})" if len(bottom) > 1 else f" ⊘ {under}"
        return out

    def _print_MatMul(self, m: sp.MatMul) -> str:
        out, prev = "", None
        for a in m.args:
            part = f"({self._print(a)})" if isinstance(
                a, (sp.MatAdd, sp.Add, sp.HadamardProduct)) else self._print(a)
            if a == -1:
                part = "-"
            elif out and out != "-" and (not isinstance(prev, sp.MatrixExpr)
                                         or isinstance(a, Sigmoid) or _joins(out, part)):
                part = " " + part
            out, prev = out + part, a
        return out


class HandoutLatexPrinter(_Handout, LatexPrinter):
    def _print_Sum(self, s: sp.Sum) -> str:
        pair = dot_pair(s)
        if pair is not None:
            x, v = pair
            return (n.COLUMN_LATEX[n.U.indexed].format(self._index(x)) + r"^\top "
                    + n.BY_INDEXED[v].latex)
        vectors = vector_dot(s)
        if vectors is not None:
            return rf"{vectors[0].latex}^\top {vectors[1].latex}"
        entry = product_entry(s)
        if entry is not None:
            A, b, x, transposed = entry
            top = r"^\top" if transposed else ""
            return rf"\left({A.latex}{top} {b.latex}\right)_{{{self._index(x)}}}"
        norm = norm_squared(s)
        if norm is not None:
            return rf"\|{norm[0].latex}\|_F^2" if norm[1] else rf"\|{norm[0].latex}\|^2"
        if len(s.limits) > 1:  # the outer sum first: Σ_w Σ_i f
            inner = self._print(sp.Sum(s.function, *s.limits[:-1]))
            return f"{self._under(s.limits[-1])} {inner}"
        var, lo, hi = s.limits[0]
        if hi == n.V - 1:
            under = rf"\sum_{{{self._index(var)} \in {n.VOCAB_LATEX}}}"
        else:
            under = rf"\sum_{{{self._index(var)}={self._print(lo + 1)}}}^{{{self._print(hi + 1)}}}"
        body = self._print(s.function)
        if isinstance(s.function, sp.Add):
            body = rf"\left({body}\right)"
        return f"{under} {body}"

    def _under(self, limit: tuple[sp.Expr, sp.Expr, sp.Expr]) -> str:
        var, lo, hi = limit
        if hi == n.V - 1:
            return rf"\sum_{{{self._index(var)} \in {n.VOCAB_LATEX}}}"
        return rf"\sum_{{{self._index(var)}={self._print(lo + 1)}}}^{{{self._print(hi + 1)}}}"

    def _print_Indexed(self, e: sp.Indexed) -> str:
        if e.base in n.ENTRY_LATEX:
            return n.ENTRY_LATEX[e.base].format(self._index(e.indices[0]))
        obj = n.BY_INDEXED.get(e.base) or n.DECLARED.get(e.base.name)
        name = obj.latex if obj else self._print(e.base.label)
        if "_" in name:  # (v_c)_j, not v_{c j}
            name = rf"\left({name}\right)"
        return f"{name}_{{{','.join(self._index(x) for x in e.indices)}}}"

    def _print_Pow(self, p: sp.Pow) -> str:
        norm = _norm_power(p)
        if norm is None:
            return super()._print_Pow(p)
        a, k = norm
        power = rf"\|{a.latex}\|" + (f"^{{{abs(k)}}}" if abs(k) != 1 else "")
        return power if k > 0 else rf"\frac{{1}}{{{power}}}"

    def _print_Max(self, m: sp.Max, exp: str | None = None) -> str:
        tex = rf"\max\left({', '.join(self._print(a) for a in _larger_first(m.args))}\right)"
        return f"{tex}^{{{exp}}}" if exp is not None else tex

    def _print_log(self, e: sp.Expr, exp: str | None = None) -> str:
        # \log \hat{y}_o, as the seed writes it: no parentheses around one symbol
        if exp is None and isinstance(e.args[0], (sp.Symbol, sp.Indexed)):
            return rf"\log {self._print(e.args[0])}"
        return super()._print_log(e, exp)  # type: ignore[misc]

    def _print_exp(self, e: sp.Expr, exp: str | None = None) -> str:
        # \exp(x), as the handout writes it, rather than e^{x}
        return self._do_exponent(rf"\exp\left({self._print(e.args[0])}\right)", exp)

    def _print_MatrixSymbol(self, m: sp.MatrixSymbol) -> str:
        obj = n.lookup(m.name, m.shape)
        return obj.latex if obj else super()._print_MatrixSymbol(m)

    def _print_Transpose(self, t: sp.Transpose) -> str:
        inner = self._print(t.arg)
        if isinstance(t.arg, sp.MatAdd):
            inner = rf"\left({inner}\right)"
        return rf"{inner}^\top"

    def _print_Derivative(self, d: sp.Derivative) -> str:
        body = self._print(d.expr)
        return rf"\frac{{\partial}}{{\partial {self._print(d.variables[0])}}} \left({body}\right)"

    def _print_KroneckerDelta(self, e: sp.KroneckerDelta, exp: str | None = None) -> str:
        return rf"\delta_{{{self._index(e.args[0])} {self._index(e.args[1])}}}"

    def _print_Heaviside(self, h: sp.Heaviside, exp: str | None = None) -> str:
        # 1 above zero, as the entrywise step of a hinge prints (SymPy's θ would read as a name)
        tex = rf"{n.STEP_LATEX}\left({self._print(h.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp is not None else tex

    def parenthesize(self, item: sp.Basic, level: int, is_neg: bool = False,
                     strict: bool = False) -> str:
        # LatexPrinter's, without SymPy's costly −item
        prec = _precedence(item, precedence_traditional)
        if (is_neg and strict) or prec < level or (not strict and prec <= level):
            return self._add_parens(self._print(item))
        return self._print(item)

    def _print_HadamardProduct(self, h: sp.HadamardProduct) -> str:
        def part(a: sp.Basic) -> str:
            return (rf"\left({self._print(a)}\right)" if isinstance(a, (sp.MatAdd, sp.MatMul))
                    else self._print(a))
        top, bottom = _quotient(h)
        out = r" \circ ".join(part(a) for a in top)
        if bottom:  # p ⊘ ŷ, not (ŷ)^∘-1 ∘ p
            under = r" \circ ".join(part(a) for a in bottom)
            out += rf" \oslash \left({under}\right)" if len(bottom) > 1 else rf" \oslash {under}"
        return out

    def _print_MatMul(self, m: sp.MatMul) -> str:
        # LatexPrinter's, with the sign read by _negative
        def parens(x: sp.Basic) -> str:
            if isinstance(x, sp.Mul) and not isinstance(x, sp.MatMul):
                return self._print(x)
            return self.parenthesize(x, _precedence(m, precedence_traditional), False)
        args = list(m.args)
        if not _negative(m):
            return " ".join(map(parens, args))
        args = args[1:] if args[0] == -1 else [-args[0], *args[1:]]
        return "- " + " ".join(map(parens, args))

    def _print_MatAdd(self, m: sp.MatAdd) -> str:
        # a − σ(x) y, not SymPy's a + −σ(x) y, where a term's scalar factor is negative
        out = ""
        for idx, t in enumerate(self._as_ordered_terms(m)):
            negative = isinstance(t, sp.MatMul) and t.args[0].could_extract_minus_sign()
            body = self._print(_negated(t) if negative else t)
            out += (f" - {body}" if negative else f" + {body}") if idx else (
                f"- {body}" if negative else body)
        return out


def _quotient(h: sp.HadamardProduct) -> tuple[list[sp.Basic], list[sp.Basic]]:
    """The factors of an entrywise product above and below an entrywise division: for
    p ∘ ŷ^∘-1, ([p], [ŷ]); no division, or nothing above it, is ([all factors], [])."""
    def inverted(a: sp.Basic) -> bool:
        if not isinstance(a, Entrywise):
            return False
        body, var = a._body()
        return isinstance(body, sp.Pow) and body.base == var and body.exp == -1
    bottom = [a.arg for a in h.args if inverted(a)]
    top = [a for a in h.args if not inverted(a)]
    return (top, bottom) if top and bottom else (list(h.args), [])


def _negated(t: sp.MatMul) -> sp.MatrixExpr:
    """−(c A B) as (−c) A B, without SymPy's −t, which re-evaluates the whole product."""
    c, *rest = t.args
    return sp.MatMul(-c, *rest) if -c != 1 else (sp.MatMul(*rest) if len(rest) > 1 else rest[0])


def _joins(before: str, after: str) -> bool:
    """v_c then yᵀ: juxtaposed, a subscript would swallow the next name (v_cyᵀ), and a matrix
    would run into a function's name (Ustep(z), Uexp(z)), so a space."""
    return (bool(re.search(r"_[A-Za-z0-9]+$", before)) and after[:1].isalpha()
            or bool(re.match(r"[A-Za-z]{2,}\(", after)))


def text(expr: sp.Basic) -> str:
    return TextPrinter(dict(order="none")).doprint(expr)


def latex(expr: sp.Basic) -> str:
    return HandoutLatexPrinter(dict(order="none")).doprint(expr)

"""A loss file's formulas as the engine's Loss: every node read into a tensor (its shape and its
entry at any indices), products and transposes by their shapes, the loss J as one scalar in
index form. The softmax a file defines (ŷ = softmax(z)) becomes the Loss's Softmax.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from .. import notation as n
from ..calculus import Loss, Softmax
from ..calculus.functions import Max, sigmoid
from ..calculus.lower import SPARE, SUM_NAMES, _rename
from . import loss as loss_file
from . import nodes as N
from .lexer import ReadError, Token
from .loss import Declared, Ones, Scope, WindowSum, read_scope

Entry = Callable[[sp.Expr, sp.Expr], sp.Expr]
FUNCS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "sigma": sigmoid, "tanh": sp.tanh, "abs": sp.Abs}
DEFAULT_RANGE = {"w": "V", "o": "V", "i": "d", "j": "d", "k": "K"}


@dataclass(frozen=True)
class Tensor:
    rows: Any  # None: a ones vector whose length comes from where it stands
    cols: Any
    at: Entry

    @property
    def scalar(self) -> bool:
        return self.rows == 1 and self.cols == 1


def scalar(value: sp.Expr) -> Tensor:
    return Tensor(sp.S.One, sp.S.One, lambda r, c: value)


@dataclass(frozen=True)
class LossFile:
    loss: Loss
    inputs: tuple[Declared, ...]


class Reader:
    def __init__(self, scope: Scope, rename: Callable[[sp.Expr], sp.Expr] = _rename) -> None:
        self.scope = scope
        self.rename = rename  # how the sums' indices are named
        self.objects: dict[str, n.Obj] = {}
        for d in scope.declared.values():
            if d.kind in ("vector", "matrix"):
                self.objects[d.name] = n.declare(d.name, *(n.size(s) for s in d.shape),
                                                 latex=d.latex)
        # A scalar beside vectors (a bias b ∈ ℝ) is one of the loss's objects; a function of x
        # alone is derived by the engine for functions of one scalar.
        if self.objects:
            for d in scope.declared.values():
                if d.kind == "scalar":
                    self.objects[d.name] = n.declare_scalar(d.name, latex=d.latex)
        self.softmax: Softmax | None = None
        self.token = Token("char", "", 1, 1)
        # the size each index runs over: a sum's, or a declared index's (o ∈ {1, …, V})
        self.ranges: dict[sp.Expr, sp.Expr] = {
            sp.Symbol(d.name, integer=True, nonnegative=True): n.size(d.shape[0])
            for d in scope.declared.values() if d.kind == "index"}
        # each family of indices (the samples w_1, …, w_K), by its IndexedBase: its range
        self.families: dict[sp.IndexedBase, sp.Expr] = {
            sp.IndexedBase(d.name, shape=(n.size(d.shape[0]),)): n.size(d.shape[1])
            for d in scope.declared.values() if d.kind == "indices"}

    def fail(self, message: str) -> ReadError:
        return ReadError(message, self.token.line, self.token.col)

    # -- the loss -----------------------------------------------------------------------
    def loss(self, name: str) -> LossFile:
        soft = next((d for d in self.scope.definitions
                     if isinstance(d.formula, N.Func) and d.formula.name == "softmax"), None)
        if soft is not None:
            self.token = soft.token
            assert isinstance(soft.formula, N.Func)
            self.softmax = self.softmax_of(soft.formula.arg)
        J = self.scope.loss()
        assert J is not None
        self.token = J.token
        if isinstance(J.formula, WindowSum):
            return LossFile(self.window(name, J.formula.pair), tuple(self.scope.declared.values()))
        value = self.tensor(J.formula, {})
        if not value.scalar:
            raise self.fail(f"{J.name} must be a scalar")
        expr = self.rename(value.at(0, 0))
        scalars = [d for d in self.scope.declared.values()
                   if d.kind == "scalar" and sp.Symbol(d.name, real=True) in expr.free_symbols]
        if scalars:
            inputs = tuple(self.scope.declared.values())
            return LossFile(self.of_scalar(name, expr, scalars), inputs)
        logit = self.softmax.logit(n.w) if self.softmax is not None else sp.S.Zero
        uses = {b.name for b in (expr.atoms(sp.IndexedBase) | logit.atoms(sp.IndexedBase))}
        # by default, by every vector and matrix it depends on (a scalar when asked: --wrt b)
        wrt = tuple(o for o in self.objects.values()
                    if o.indexed.name in uses and not isinstance(o.indexed, n.Scalar))
        ranges = tuple((sp.Symbol(d.name, integer=True, nonnegative=True), n.size(d.shape[0]))
                       for d in self.scope.declared.values() if d.kind == "index")
        if not ranges and (self.softmax is not None or expr.has(n.o, n.y.indexed)):
            ranges = ((n.o, n.V),)  # the outside word the one-hot y and the softmax's ŷ_o name
        families = tuple((w, size) for w, size in self.families.items() if expr.has(w))
        loss = Loss(name, expr, self.softmax, wrt=wrt, objects=tuple(self.objects.values()),
                    ranges=ranges, column_cases=False, families=families)
        return LossFile(loss, tuple(self.scope.declared.values()))

    def softmax_of(self, logits: N.Node) -> Softmax:
        z = self.tensor(logits, {})
        if z.rows != n.V or z.cols != 1:
            raise self.fail("softmax is taken of a V-vector of logits")
        at, rename = z.at, self.rename

        def logit_of(x: sp.Expr) -> sp.Expr:
            return rename(at(x, 0))
        return Softmax(_remembered(logit_of))

    def inline_softmax(self, logits: N.Node) -> Tensor:
        """softmax(z) written inside the loss (−log softmax(Wh)_o): ŷ, as if the file defined
        ŷ = softmax(z); one softmax per loss, as the engine recognises one ŷ."""
        softmax = self.softmax_of(logits)
        if self.softmax is None:
            self.softmax = softmax
        elif self.rename(self.softmax.logit(n.w) - softmax.logit(n.w)) != 0:
            raise self.fail("a loss takes one softmax: two of different logits cannot both be ŷ")
        return Tensor(n.V, sp.S.One, lambda r, c: n.y_hat.indexed[r])

    def of_scalar(self, name: str, expr: sp.Expr, scalars: list[Declared]) -> Loss:
        """A function of one scalar x (σ(x), max(αx, x)): the engine for functions of x derives it,
        with α the one constant it samples."""
        if len(scalars) > 1:
            raise self.fail("a function of scalars alone is a function of one scalar x; "
                            "declare a weight as a constant (\\lambda > 0)")
        if scalars[0].name != "x":
            raise self.fail(f"the scalar variable is called x (this file calls it "
                            f"{scalars[0].name})")
        others = sorted(str(s) for s in expr.free_symbols - {n.x_scalar, n.alpha})
        if others:
            raise self.fail(f"a function of x takes the one constant \\alpha, not {others[0]}")
        alpha = self.scope.declared.get("\\alpha")
        if n.alpha in expr.free_symbols and (alpha is None or alpha.bounds != ("0", "1")):
            # its facts (max(αx, x) in two pieces) and its checks hold for 0 < α < 1 only
            raise self.fail("a function of x takes \\alpha with 0 < \\alpha < 1: declare it so")
        return Loss(name, expr, None, wrt=(n.x,), column_cases=False)

    def window(self, name: str, pair: str) -> Loss:
        """Skip-gram's loss: the window engine sums the pair loss's own derivation, a loss of
        (v_c, o, U) shipped with the package (naive-softmax, cross-entropy)."""
        from ..calculus.window import skipgram_loss

        if not (loss_file.SHIPPED / f"{pair}.tex").is_file():
            known = ", ".join(sorted(p.stem for p in loss_file.SHIPPED.glob("*.tex")))
            raise self.fail(f"J_{{{pair}}}: the window sums a shipped pair loss ({known})")
        if not {"v_c", "U"} <= {o.name for o in shipped(pair).wrt}:
            raise self.fail(f"J_{{{pair}}} is not a loss of (v_c, o, U): a window sums one")
        return Loss(name, skipgram_loss(), None, wrt=(n.v_c, n.U, n.v_w), column_cases=False,
                    pair=shipped(pair, ("v_c", "U")))

    # -- formulas -----------------------------------------------------------------------
    def tensor(self, node: N.Node, env: dict[str, sp.Symbol]) -> Tensor:
        match node:
            case N.Num(value=v):
                return scalar(sp.Rational(v))
            case N.Const(name=name):
                return scalar(sp.Symbol(name.lstrip("\\"), positive=True))
            case N.Size(name=name):
                return scalar(n.size(name))
            case Ones():
                return Tensor(None, sp.S.One, lambda r, c: sp.S.One)
            case N.Obj(name=name):
                return self.object(name)
            case N.Pick(of=of, indices=idx):
                t = self.tensor(of, env)
                at = [self.index(a, env) for a in idx]
                for a, x, axis in zip(idx, at, (t.rows, t.cols), strict=False):
                    self.check_range(a, x, axis, "the entries")
                if len(at) == 1 and t.cols == 1:
                    return scalar(t.at(at[0], 0))
                if len(at) == 2:
                    return scalar(t.at(at[0], at[1]))
                raise self.fail("an entry takes one index of a vector or two of a matrix")
            case N.Column(index=spec):
                matrix, atom = spec.split(":")
                M, x = self.objects[matrix], self.index(atom, env)
                self.check_range(atom, x, M.matrix.shape[1], f"the columns of {matrix}")
                return Tensor(M.matrix.shape[0], sp.S.One, lambda r, c: M.indexed[r, x])
            case N.Ref(name=name):
                raise self.fail(f"{name} cannot be used in a loss here")
            case N.Neg(a=a):
                t = self.tensor(a, env)
                return Tensor(t.rows, t.cols, lambda r, c: -t.at(r, c))
            case N.Add(terms=terms):
                return self.add([self.tensor(t, env) for t in terms])
            case N.Mul(factors=fs, ops=ops):
                out = self.tensor(fs[0], env)
                for op, f in zip(ops, fs[1:], strict=True):
                    out = self.product(out, self.tensor(f, env), op)
                return out
            case N.Div(num=a, den=b):
                top, bottom = self.tensor(a, env), self.tensor(b, env)
                if not bottom.scalar:
                    raise self.fail("only a scalar divides")
                return Tensor(top.rows, top.cols, lambda r, c: top.at(r, c) / bottom.at(0, 0))
            case N.Pow(base=N.Func(name="norm", arg=a), exp=N.Num(value="2")):
                return self.squares(self.tensor(a, env))
            case N.Pow(base=b, exp=e):
                base, power = self.tensor(b, env), self.tensor(e, env)
                if not (base.scalar and power.scalar):
                    raise self.fail("a power is of a scalar (‖x‖² for a vector)")
                return scalar(base.at(0, 0) ** power.at(0, 0))
            case N.Transpose(a=a):
                t = self.tensor(a, env)
                return Tensor(t.cols, t.rows if t.rows is not None else None,
                              lambda r, c: t.at(c, r))
            case N.Func(name="norm", arg=a):
                return scalar(sp.sqrt(self.squares(self.tensor(a, env)).at(0, 0)))
            case N.Func(name="softmax", arg=a):
                return self.inline_softmax(a)
            case N.Func(name=name, arg=a) if name in FUNCS:
                t, func = self.tensor(a, env), FUNCS[name]
                return Tensor(t.rows, t.cols, lambda r, c: func(t.at(r, c)))
            case N.Max(args=args):
                ts = [self.tensor(a, env) for a in args]
                if not all(t.scalar for t in ts):
                    raise self.fail("max is of scalars, as in \\max(0, 1 - x)")
                return scalar(Max(*(t.at(0, 0) for t in ts)))
            case N.Sum(index=index, size=size, body=body, exclude=exclude):
                return self.summation(index, size, body, exclude, env)
        if isinstance(node, N.Func):
            raise self.fail(f"{node.name}(…) is not read in a loss")
        raise self.fail(f"{type(node).__name__} is not read in a loss")

    def object(self, name: str) -> Tensor:
        declared = self.scope.declared.get(name)
        if declared is not None and declared.kind == "scalar" and name not in self.objects:
            return scalar(sp.Symbol(name, real=True))
        if name in self.objects and declared is not None and declared.kind == "scalar":
            return scalar(self.objects[name].indexed)
        if name in self.objects:
            obj = self.objects[name]
            rows, cols = obj.matrix.shape
            if cols == 1:
                return Tensor(rows, sp.S.One, lambda r, c: obj.indexed[r])
            return Tensor(rows, cols, lambda r, c: obj.indexed[r, c])
        if name == "y":
            return Tensor(n.V, sp.S.One, lambda r, c: n.y.indexed[r])
        definition = self.scope.defined(name)
        if definition is None:
            raise self.fail(f"{name} is not declared")
        if isinstance(definition.formula, N.Func) and definition.formula.name == "softmax":
            return Tensor(n.V, sp.S.One, lambda r, c: n.y_hat.indexed[r])
        return self.tensor(definition.formula, {})

    def index(self, atom: str, env: dict[str, sp.Symbol]) -> sp.Expr:
        if atom in env:
            return env[atom]
        letter, _, which = atom.partition("_")
        family = self.scope.family(letter) if which else None
        if family is not None:  # w_s: the s-th sample, s bound by a sum
            base = next(w for w in self.families if w.name == letter)
            if which.isdigit():  # w_2 is not a sample of every K (K = 1 has none)
                raise self.fail(f"{atom}: a loss of K samples names them w_s inside "
                                f"\\sum_{{s=1}}^{{{family.shape[0]}}}, not by number")
            if which not in env:
                raise self.fail(f"in {atom}, {which} is not bound by a sum: write "
                                f"\\sum_{{{which}=1}}^{{{family.shape[0]}}}")
            return base[env[which]]
        declared = self.scope.declared.get(atom)
        if declared is not None and declared.kind == "index":
            return sp.Symbol(atom, integer=True, nonnegative=True)
        raise self.fail(f"index {atom} is neither declared nor bound by a sum")

    def check_range(self, atom: str, x: sp.Expr, axis: sp.Expr | None, what: str) -> None:
        """An index runs over the axis it picks from: u_k with k = 1..K is not a column of a
        matrix with V columns (the first K columns, read literally, are not what a course
        means by K samples, and the engine's facts assume every index in its axis's range)."""
        runs = self.families.get(x.base) if isinstance(x, sp.Indexed) else self.ranges.get(x)
        if axis is None or runs is None or runs == axis or axis == 1:
            return
        message = f"{atom} runs over 1..{runs} but indexes {what}, which run over 1..{axis}"
        if runs == n.K:
            message += (": declare the samples as indices into the vocabulary, as in "
                        "$w_1, \\dots, w_K \\in \\{1, \\dots, V\\}$ (then u_{w_s}), or name "
                        "their vectors as a matrix of their own, as in "
                        "\\mathbf{U}_{\\text{neg}} \\in \\mathbb{R}^{d \\times K}")
        raise self.fail(message)

    def summation(self, index: str, size: str | None, body: N.Node, exclude: str | None,
                  env: dict[str, sp.Symbol]) -> Tensor:
        size = size or DEFAULT_RANGE.get(index[0])
        if size is None or n.size(size) not in {n.size(s) for s in self.scope.sizes()}:
            raise self.fail(f"the sum over {index} needs its range, as in "
                            f"\\sum_{{{index}=1}}^{{V}}")
        var = sp.Dummy(index.replace("'", "2"), integer=True, nonnegative=True)
        self.ranges[var] = n.size(size)
        t = self.tensor(body, {**env, index: var})
        keep = (1 - sp.KroneckerDelta(var, self.index(exclude, env))) if exclude is not None \
            else sp.S.One
        limits = (var, 0, n.size(size) - 1)
        # a sum of vectors or matrices (Σ_j c_j) is the sum of their entries
        return Tensor(t.rows, t.cols, lambda r, c: sp.Sum(t.at(r, c) * keep, limits))

    def squares(self, t: Tensor) -> Tensor:
        if t.rows is None:
            raise self.fail("the norm of 𝟏 needs its length")
        r, c = sp.Dummy("r", integer=True), sp.Dummy("c", integer=True)
        body = t.at(r, c) ** 2
        if t.cols == 1:
            return scalar(sp.Sum(t.at(r, 0) ** 2, (r, 0, t.rows - 1)))
        return scalar(sp.Sum(body, (r, 0, t.rows - 1), (c, 0, t.cols - 1)))

    def add(self, terms: list[Tensor]) -> Tensor:
        shapes = {(t.rows, t.cols) for t in terms if t.rows is not None}
        if len(shapes) > 1:
            raise self.fail("the terms of a sum have different shapes")
        rows, cols = shapes.pop() if shapes else (None, sp.S.One)
        return Tensor(rows, cols, lambda r, c: sp.Add(*(t.at(r, c) for t in terms)))

    def product(self, a: Tensor, b: Tensor, op: str) -> Tensor:
        if op == "∘":
            rows = a.rows if a.rows is not None else b.rows
            return Tensor(rows, a.cols, lambda r, c: a.at(r, c) * b.at(r, c))
        if a.scalar or b.scalar:
            s, m = (a, b) if a.scalar else (b, a)
            return Tensor(m.rows, m.cols, lambda r, c: s.at(0, 0) * m.at(r, c))
        # 𝟏ᵀ (a row of ones) takes its length from what it multiplies
        if a.rows is not None and b.rows is not None and a.cols is not None and \
                a.cols != b.rows:
            if op == "·" and a.cols == 1 and b.cols == 1 and a.rows == b.rows:  # a · b = aᵀb
                at = a.at
                a = Tensor(a.cols, a.rows, lambda r, c: at(c, r))
            else:
                raise self.fail(f"a product of a {a.rows}×{a.cols} and a {b.rows}×{b.cols}")
        inner = a.cols if a.cols is not None and a.rows is not None else b.rows
        if inner is None:
            raise self.fail("a product of two ones vectors needs a length")
        s = sp.Dummy("s", integer=True, nonnegative=True)
        rows = a.rows if a.rows is not None else sp.S.One
        cols = b.cols if b.cols is not None else sp.S.One
        return Tensor(rows, cols,
                      lambda r, c: sp.Sum(a.at(r, s) * b.at(s, c), (s, 0, inner - 1)))


def _remembered(logit: Callable[[sp.Expr], sp.Expr]) -> Callable[[sp.Expr], sp.Expr]:
    """The logit a(x), built once per x: the engine asks for a(w), a(o), … many times, and each
    build is a product of tensors, its sums renamed (the same names every time: the result is
    the same expression)."""
    return functools.cache(logit)


def read_loss(text: str, name: str, *,
              rename: Callable[[sp.Expr], sp.Expr] = _rename) -> LossFile:
    """The Loss a loss file states; a ReadError (with line and column) if it cannot be read."""
    return Reader(read_scope(text), rename).loss(name)


def with_wrt(lf: LossFile, wrt: Sequence[str], *, what: str = "wrt", of: str = "") -> LossFile:
    """The loss file differentiated by `wrt` (names as typed: `v_c`, `\\mathbf{b}`) instead of
    every declared vector and matrix; an unknown name is a ValueError listing the declared ones."""
    from .vocabulary import normalise

    names = [normalise(x.strip()) for x in wrt if x.strip()]
    if not names:
        return lf
    by_name = {o.name: o for o in lf.loss.objects}
    missing = [x for x in names if x not in by_name]
    if missing:
        raise ValueError(f"{what} {', '.join(missing)}: not a declared vector or matrix{of} "
                         f"(declared: {', '.join(by_name)})")
    return replace(lf, loss=replace(lf.loss, wrt=tuple(by_name[x] for x in names)))


@functools.cache
def shipped(name: str, wrt: tuple[str, ...] = (), **handout: Any) -> Loss:
    """A built-in problem's loss, read from its shipped loss file (derive/steps/losses/NAME.tex)
    in the handout's own objects: derived by the engines that show the handout's route (the
    seed's Parts), by `wrt` in that order, with its sums' indices named as the file writes them.
    One Loss a name: a window loss finds its pair's derivation by equality."""
    text = (loss_file.SHIPPED / f"{name}.tex").read_text(encoding="utf-8")
    loss = read_loss(text, name, rename=_written_names).loss
    by_name = {o.name: o for o in (*loss.objects, *loss.wrt)}
    return replace(loss, objects=(),
                   wrt=tuple(by_name[x] for x in wrt) or loss.wrt,
                   **{"column_cases": True, **handout})


def _written_names(expr: sp.Expr) -> sp.Expr:
    """Each sum's index named as the file wrote it (Σ_w y_w log ŷ_w keeps its w) or, for a product
    the file wrote as uᵀv, as the notation names that range (i over d); a name is reused by sums
    that do not nest, as a reader would."""
    if isinstance(expr, sp.Sum):
        for var, _lo, hi in expr.limits:
            if isinstance(var, sp.Dummy):
                written = sp.Symbol(var.name, integer=True, nonnegative=True)
                options = ((written,) if n.INDEX_SIZE.get(written) == hi + 1 else ()) + \
                    (*SUM_NAMES.get(hi + 1, ()), *SPARE)
                name = next(x for x in options if x not in expr.free_symbols)
                expr = expr.xreplace({var: name})
        return sp.Sum(_written_names(expr.function), *expr.limits)
    if not expr.args or isinstance(expr, (sp.Indexed, sp.IndexedBase)):
        return expr
    return expr.func(*(_written_names(a) for a in expr.args))

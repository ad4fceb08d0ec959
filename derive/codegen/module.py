"""The standalone kernel module of any loss: its derivation's loss and gradients, translated to
array form (arrays.py) and printed by lambdify with the backend's printer (printer.py).

    loss_and_gradients(values) -> (loss, grads)

`values` maps each input's name (as `derive show --format json` lists it) to its value: arrays
in the declared shapes, indices as 0-based ints, constants as floats; `grads` maps each wrt
name to an array of that input's shape. The module imports NumPy (or jax.numpy) alone.
"""
from __future__ import annotations

import builtins
import dataclasses
import inspect
import linecache
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..calculus import numpyspace
from ..calculus.records import Derivation
from ..errors import CodegenError
from .arrays import BATCH, Translator, result, safe
from .printer import HELPERS, MODULES, PRINTERS

BACKENDS = tuple(PRINTERS)
BATCH_SIZE = "B"  # the size letter of a batch


@dataclass(frozen=True)
class Input:
    name: str  # as derive show --format json lists it
    kind: str  # matrix, vector, scalar, index, indices (a batch's, or w_1, …, w_K), constant
    shape: tuple[str, ...]  # size letters; an index's one letter is the size it runs over
    positive: bool = False
    required: bool = True  # an index the loss declares but never reads may be left out


def inputs_of(derivation: Derivation, t: Translator) -> tuple[Input, ...]:
    out = []
    for obj in derivation.loss.objects:
        shape = tuple(str(s) for s in obj.indexed.shape)
        kind = ("scalar", "vector", "matrix")[len(shape)]
        if obj.indexed.name in t.batch:
            kind = "stack of vectors" if kind == "vector" else "stack of matrices"
            shape = (BATCH_SIZE, *shape)
        out.append(Input(obj.indexed.name, kind, shape))
    for x, size in derivation.loss.ranges:
        if str(x) in t.batch:
            out.append(Input(str(x), "indices", (BATCH_SIZE, str(size))))
        else:
            out.append(Input(str(x), "index", (str(size),), required=x in t.used))
    for w, size in derivation.loss.families:  # the samples w_1, …, w_K: K ints over V
        out.append(Input(w.name, "indices", (str(w.shape[0]), str(size))))
    for c in sorted(t.constants, key=str):
        out.append(Input(str(c), "constant", (), positive=bool(c.is_positive)))
    return tuple(out)


def _entry_form(g: Any) -> sp.Expr:
    """The gradient's last entry-form step: the matrix form is folded from it."""
    return g.steps[-2].expr if g.steps[-1].matrix and len(g.steps) > 1 else g.steps[-1].expr


def source(derivation: Derivation, *, backend: str = "numpy",
           batch: tuple[str, ...] = ()) -> str:
    """The module's text; `batch` names the per-sample inputs (derive export --batch)."""
    if backend not in PRINTERS:
        raise ValueError(f"backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    loss = derivation.loss
    known = {o.indexed.name for o in loss.objects} | {str(x) for x, _ in loss.ranges}
    unknown = [x for x in batch if x not in known]
    shared = [x for x in unknown if x in {w.name for w, _ in loss.families}]
    if shared:
        raise ValueError(f"--batch {', '.join(shared)}: the samples are shared by every row of "
                         "a batch (one int array of K words); per-row samples are not batched")
    if unknown:
        raise ValueError(f"--batch {', '.join(unknown)}: not a declared vector, matrix or index "
                         f"(declared: {', '.join(sorted(known))})")
    if not loss.objects:
        what = ("a window sum of a pair loss (derive.kernels.skipgram is its built-in kernel)"
                if loss.pair is not None else "a function of the scalar x")
        raise CodegenError(f"{loss.name} is {what}: it is derived and checked (derive show, "
                           "derive verify) but has no kernel to export; kernels are for "
                           "losses of declared vectors and matrices")
    t = Translator(loss, frozenset(batch))
    B = sp.Symbol(BATCH_SIZE)
    # A batch's loss is the sum of its samples' losses; a shared input's gradient the sum of
    # theirs, as a sum over the batch axis (an einsum: a matrix product, not a loop).
    over = (BATCH, 0, B - 1)
    J = t.tr(sp.Sum(loss.expr, over) if batch else loss.expr, {})
    if J.axes:
        raise CodegenError(f"the loss {loss.name} is not a scalar")
    grads = []
    for g in derivation.gradients:
        shape = tuple(g.wrt.indexed.shape)
        env = {x: t.size(s) for x, s in zip(g.index, shape, strict=True)}
        entry, axes = _entry_form(g), tuple(g.index)
        if g.wrt.indexed.name in batch:
            env, axes, shape = {BATCH: t.size(B), **env}, (BATCH, *axes), (B, *shape)
        elif batch:
            entry = sp.Sum(entry, over)
        grads.append(result(t, t.tr(entry, env), axes, shape))
    ins = inputs_of(derivation, t)
    for i in ins:
        for s in i.shape if i.required else ():
            t.size(sp.Symbol(s))
    args = [sp.Symbol(safe(i.name)) for i in ins if i.required]
    args += [t.sizes[s] for s in sorted(t.sizes)]
    args.append(sp.Symbol("dtype"))
    # printed, then run from its source in the module's own namespace
    kernel = numpyspace.lambdify(args, [J.expr, *grads], PRINTERS[backend](), cse=True,
                                 docstring_limit=0)
    body = inspect.getsource(kernel).replace("def _lambdifygenerated(", "def _kernel(", 1)
    xp = MODULES[backend]
    wrt = tuple(g.wrt.indexed.name for g in derivation.gradients)
    head = _header(loss.name, backend, xp)
    return (head + HELPERS.format(xp=xp) + "\n\n" + _tables(ins, t, wrt) + "\n\n" + body
            + "\n\n" + CHECK.format(xp=xp, jax=backend == "jax"))


def _header(name: str, backend: str, xp: str) -> str:
    imports = "import numpy\n" if backend == "numpy" else "import jax\nimport jax.numpy\n"
    return (f'"""Loss and gradients of {name}, printed by derive from its derivation '
            f'(backend: {backend}).\n\n    loss, grads = loss_and_gradients(values)\n"""\n'
            + imports)


def _tables(ins: tuple[Input, ...], t: Translator, wrt: tuple[str, ...]) -> str:
    rows = ",\n".join(f"    ({i.name!r}, {i.kind!r}, {i.shape!r}, {i.positive!r}, {i.required!r})"
                       for i in ins)
    sizes = ", ".join(repr(s) for s in sorted(t.sizes))
    return f"INPUTS = (\n{rows},\n)\nSIZES = ({sizes},)\nWRT = {wrt!r}"


def compile(derivation: Derivation, *, backend: str = "numpy",
            batch: tuple[str, ...] = ()) -> Callable[..., Any]:
    """loss_and_gradients for the derivation, without a file; its source stays inspectable
    (inspect.getsource) under a file name of its own."""
    text = source(derivation, backend=backend, batch=batch)
    filename = f"<derive kernel {derivation.loss.name} {backend}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = types.ModuleType(f"derive_kernel_{safe(derivation.loss.name)}")
    exec(builtins.compile(text, filename, "exec"), module.__dict__)  # noqa: S102 -- our own printed text
    fn = module.loss_and_gradients
    fn.__source__ = text  # type: ignore[attr-defined]
    return fn  # type: ignore[no-any-return]


def compile_loss(loss: Any, *, backend: str = "numpy", wrt: Any = None,
                 batch: tuple[str, ...] = ()) -> Callable[..., Any]:
    """derive.compile: a loss file's path, an engine Loss or a Derivation, compiled."""
    from pathlib import Path

    from ..calculus import Loss, derive
    from ..steps.lossmath import read_loss

    if isinstance(loss, str | Path):
        path = Path(loss)
        loss = read_loss(path.read_text(encoding="utf-8"), path.stem).loss
    if isinstance(loss, Loss):
        if wrt is not None:
            by_name = {o.name: o for o in loss.objects}
            unknown = [x for x in wrt if x not in by_name]
            if unknown:
                raise ValueError(f"wrt {', '.join(unknown)}: not a declared vector or matrix "
                                 f"(declared: {', '.join(by_name)})")
            loss = dataclasses.replace(loss, wrt=tuple(by_name[x] for x in wrt))
        loss = derive(loss)
    if not isinstance(loss, Derivation):
        raise ValueError(f"compile: expected a loss file's path, a Loss or a Derivation, got "
                         f"{type(loss).__name__}")
    return compile(loss, backend=backend, batch=tuple(batch))


# The checked entry point, the same for every kernel: shapes, indices and constants validated,
# sizes read from the shapes, before the printed _kernel runs.
CHECK = '''
def _traced(v):
    return {jax} and isinstance(v, jax.core.Tracer)


def _check(values):
    if not isinstance(values, dict):
        raise ValueError(f"values: expected a dict of input name to value, got {{type(values).__name__}}")
    missing = [name for name, *_, required in INPUTS if required and name not in values]
    if missing:
        raise ValueError(f"values: missing {{', '.join(missing)}} (expected {{', '.join(n for n, *_ in INPUTS)}})")
    unknown = sorted(set(values) - {{name for name, *_ in INPUTS}})
    if unknown:
        raise ValueError(f"values: unknown input {{', '.join(unknown)}} (expected {{', '.join(n for n, *_ in INPUTS)}})")
    sizes, given_by, out = {{}}, {{}}, []
    for name, kind, shape, _, _ in INPUTS:
        if kind in ("scalar", "vector", "matrix", "stack of vectors", "stack of matrices"):
            a = {xp}.asarray(values[name])
            if not {xp}.issubdtype(a.dtype, {xp}.floating):
                a = a.astype(float)
            if a.ndim != len(shape):
                raise ValueError(f"{{name}}: shape {{tuple(a.shape)}}, expected a {{kind}} of shape ({{', '.join(shape)}})")
            for letter, got in zip(shape, a.shape):
                want = sizes.setdefault(letter, got)
                given_by.setdefault(letter, name)
                if got != want:
                    raise ValueError(f"{{name}}: shape {{tuple(a.shape)}}, expected ({{', '.join(shape)}}) with {{letter}} = {{want}}, as {{given_by[letter]}} gives it")
            out.append(a)
    for name, kind, shape, positive, required in INPUTS:
        if name not in values:
            continue
        v = values[name]
        if kind == "index":
            if not _traced(v):
                if isinstance(v, bool) or not float(v).is_integer():
                    raise ValueError(f"{{name}}: {{v!r}}, expected a 0-based int index")
                v = int(v)
                if shape[0] in sizes and not 0 <= v < sizes[shape[0]]:
                    raise ValueError(f"{{name}}: {{v}}, expected 0 <= {{name}} < {{shape[0]}} = {{sizes[shape[0]]}}")
            if required:
                out.append(v)
        elif kind == "indices":
            a = {xp}.asarray(v)
            if a.ndim != 1 or not {xp}.issubdtype(a.dtype, {xp}.integer):
                raise ValueError(f"{{name}}: {{a.dtype}} array of shape {{tuple(a.shape)}}, expected 0-based int indices of shape ({{shape[0]}},)")
            want = sizes.setdefault(shape[0], a.shape[0])
            if a.shape[0] != want:
                raise ValueError(f"{{name}}: shape {{tuple(a.shape)}}, expected ({{shape[0]}},) with {{shape[0]}} = {{want}}")
            if not _traced(a) and shape[1] in sizes and a.size and not (0 <= int(a.min()) and int(a.max()) < sizes[shape[1]]):
                raise ValueError(f"{{name}}: entries from {{int(a.min())}} to {{int(a.max())}}, expected 0 <= {{name}} < {{shape[1]}} = {{sizes[shape[1]]}}")
            out.append(a)
        elif kind == "constant":
            if not _traced(v):
                v = float(v)
                if positive and not v > 0:
                    raise ValueError(f"{{name}}: {{v}}, expected a float > 0")
            out.append(v)
    missing = [s for s in SIZES if s not in sizes]
    if missing:
        raise ValueError(f"values: no input gives the size {{', '.join(missing)}}")
    floats = [a.dtype for a in out if hasattr(a, "dtype") and {xp}.issubdtype(a.dtype, {xp}.floating)]
    dtype = {xp}.result_type(*floats) if floats else {xp}.float64
    return out, [sizes[s] for s in SIZES], dtype


def loss_and_gradients(values):
    """(loss, grads): the loss at `values` and its gradient by each of WRT, in the input's shape."""
    args, sizes, dtype = _check(values)
    loss, *grads = _kernel(*args, *sizes, dtype)
    return loss, dict(zip(WRT, grads))
'''

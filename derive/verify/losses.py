"""Each built-in loss J alone, printed from its definition as the kernel printer prints any loss.

Directional differences need f(x ± h r) eight times for each loss and point, and nothing else: a
generated kernel returns its gradients too, and at V·d = 15 million writing the (V, d) grad_U
costs ten times the loss. So at large sizes the differences are taken of J itself: the problem's
loss as defined (its loss file), translated to array form (codegen.arrays) and printed with the
kernel printer's stable forms (log-sum-exp, log σ), J only, with no gradient. A gradient is then
compared with differences of the loss it claims to be the gradient of; the kernel's own loss is
compared with J at the point (plan.run), so a kernel whose loss is wrong still fails.

Layouts are the handout's: U is d×V, U_neg d×K; a (V, d) rows array is passed as its transpose,
a view. A batch (`batch` names its per-sample inputs) stacks rows (B, …) and sums the losses.
"""
from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from ..files import cache_dir, keep
from . import stored

# (source, the names of its arguments, each input's shape by size names, the sizes, batch)
Printed = tuple[str, list[str], dict[str, tuple[str, ...]], list[str], tuple[str, ...]]
_FOLDER = "losses"


@cache
def printed(problem: str, batch: tuple[str, ...] = ()) -> Callable[..., float]:
    """J of `problem` as f(**inputs) → float, inputs by name (v_c, U, o, u_o, U_neg, n, …),
    sizes read from their shapes. The printed source is kept in the cache folder (keyed as
    derivations are, stored.key): a later run reads it and loads no SymPy."""
    path = cache_dir() / _FOLDER / f"{stored.key('printed loss', problem, *batch)}.pickle"
    found = _read(path) if stored.enabled() else None
    if found is None:
        found = _print(problem, batch)
        if stored.enabled():
            keep(path, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL), 100)
    return _function(problem, found)


class _Plain(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a printed loss")


def _read(path: Any) -> Printed | None:
    try:
        found = _Plain(io.BytesIO(path.read_bytes())).load()
        text, names, shapes, sizes, batch = found
    except Exception:  # noqa: BLE001 -- a missing or damaged entry is printed again
        return None
    if not (isinstance(text, str) and isinstance(names, list) and isinstance(shapes, dict)
            and isinstance(sizes, list) and isinstance(batch, tuple)):
        return None
    return text, names, shapes, sizes, batch


def _print(problem: str, batch: tuple[str, ...]) -> Printed:
    """J printed from its loss file by the kernel printer's array translation (SymPy)."""
    import dataclasses
    import inspect

    import sympy as sp

    from .. import notation as n
    from .. import problems
    from ..calculus import numpyspace
    from ..codegen.arrays import BATCH, Translator
    from ..codegen.printer import HELPERS, PRINTERS

    loss = problems.get(problem).make_loss()
    seen = {*loss.wrt}
    # The loss's arrays: what it is differentiated in, and any other declared array it reads
    # (the counts n); ŷ and y are definitions, not inputs.
    bases = sorted(loss.expr.atoms(sp.IndexedBase), key=str)
    extra = [n.BY_INDEXED[b] for b in bases
             if b in n.BY_INDEXED and b not in (n.y_hat.indexed, n.y.indexed)]
    objects = (*loss.wrt, *(o for o in extra if o not in seen))
    t = Translator(dataclasses.replace(loss, objects=objects), frozenset(batch))
    B = sp.Symbol("B")
    J = t.tr(sp.Sum(loss.expr, (BATCH, 0, B - 1)) if batch else loss.expr, {})
    names = [o.indexed.name for o in objects] + [str(x) for x, _ in loss.ranges]
    symbols = [t.arrays[o.indexed] for o in objects] + [t.indices[x] for x, _ in loss.ranges]
    sizes = sorted(t.sizes)
    f = numpyspace.lambdify([*symbols, *(t.sizes[s] for s in sizes), sp.Symbol("dtype")],
                            J.expr, PRINTERS["numpy"](), cse=True, docstring_limit=0)
    text = "import numpy\n" + HELPERS.format(xp="numpy") + "\n" + inspect.getsource(f)
    shapes = {o.indexed.name: tuple(str(s) for s in o.indexed.shape) for o in objects}
    return text, names, shapes, [str(s) for s in sizes], batch


def _function(problem: str, found: Printed) -> Callable[..., float]:
    text, names, shapes, sizes, batch = found
    namespace: dict[str, Any] = {}
    exec(compile(text, f"<derive loss {problem}>", "exec"), namespace)  # noqa: S102 -- our own printed text
    kernel = namespace["_lambdifygenerated"]

    def J_at(**values: Any) -> float:
        known: dict[str, int] = {}
        for name, shape in shapes.items():
            axes = np.shape(values[name])[1 if name in batch else 0:]
            known.update(zip(shape, axes, strict=True))
        if "B" in sizes:
            known["B"] = len(values[batch[0]])
        return float(kernel(*(values[x] for x in names), *(known[s] for s in sizes),
                            np.float64))
    return J_at


def rows_read(*indices: Any) -> tuple[np.ndarray, Callable[[Any], Any]]:
    """The distinct rows of U that these indices (o, the samples) name, sorted, and where an
    index's row sits among them: J of a loss that gathers rows reads those alone."""
    rows = np.unique(np.concatenate([np.ravel(i) for i in indices]).astype(np.intp))
    return rows, lambda index: np.searchsorted(rows, index)

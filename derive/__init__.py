"""derive: derive, verify and typeset the gradients of word2vec losses."""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def compile(loss: Any, *, backend: str = "numpy", wrt: Any = None,  # noqa: A001
            batch: Any = ()) -> Any:
    """loss_and_gradients(values) -> (loss, grads) for a loss, as `derive export LOSS.tex`
    writes it, without a file: `loss` is a loss file's path, an engine Loss or a Derivation;
    `batch` names the per-sample inputs, as --batch does.

    The one function of the top level, loaded on call so that `import derive` stays free of
    SymPy (tests/test_layout.py lists it as a hook)."""
    from .codegen.module import compile_loss

    return compile_loss(loss, backend=backend, wrt=wrt, batch=tuple(batch))

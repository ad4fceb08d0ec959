"""NumPy kernels generated from the derivations, for users to import.

    from derive.kernels import (naive_softmax, naive_softmax_batch, neg_sampling,
                                neg_sampling_batch, skipgram)

U is passed as rows, shape (V, d): the handout's d×V matrix transposed (`U_handout.T` is a view, no
copy). The kernel source is generated once by `derive.codegen` and cached (`derive.codegen.cache`),
so importing this module needs no SymPy afterwards.
"""
from __future__ import annotations

from typing import Any

from .codegen.cache import cached_source


def _load() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "derive._generated_kernels"}
    exec(compile(cached_source(), "<derive generated kernels>", "exec"), namespace)  # noqa: S102
    return namespace


_ns = _load()
naive_softmax = _ns["naive_softmax"]
naive_softmax_batch = _ns["naive_softmax_batch"]
neg_sampling = _ns["neg_sampling"]
neg_sampling_batch = _ns["neg_sampling_batch"]
skipgram = _ns["skipgram"]

__all__ = ["naive_softmax", "naive_softmax_batch", "neg_sampling", "neg_sampling_batch",
           "skipgram"]

"""Kernels printed from derivations: NumPy source for the derived loss and matrix forms.

    softmax   losses with a softmax (naive softmax and its kin): stable log-sum-exp, batched
              (softmax_forms: the forms it recognises, ŷ − y, U(ŷ − y), a(ŷ − y)ᵀ, ‖x‖²)
    sigmoid   losses of σ (negative sampling): stacks of per-sample matrices
    cache     the module of every built-in kernel, generated once and cached
    wrappers  the checked entry points users call, appended to the generated kernels
    arrays    any derivation's loss and entry-form gradients as array expressions (axes, einsum)
    nodes     the array nodes those are made of; printer: NumPyPrinter / JaxPrinter subclasses
    module    the standalone kernel module of any loss (derive export LOSS.tex, derive.compile)

The built-in kernels (softmax, sigmoid) are a hand-tuned fast path; tests/codegen/test_fast_path.py
proves each equal to the general kernel module prints for the same loss file.

This file loads no SymPy: `derive.kernels` imports the cache through it, and a cached kernel
module must import with NumPy alone. The printers load when a kernel is printed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..calculus.records import Derivation

# The built-in problems that have a kernel, and the name of the generated function for each.
KERNELS = {"naive-softmax": "_naive_softmax_kernel", "neg-sampling": "_neg_sampling_kernel"}


def source(derivation: Derivation, name: str, *, block_bytes: int | None = None) -> str:
    """The kernel source for any derivation: the softmax printer or the σ one."""
    from . import sigmoid, softmax  # the printers, and SymPy with them: see the docstring

    if derivation.loss.softmax is not None:
        return softmax.kernel_source(derivation, name,
                                     block_bytes=block_bytes or softmax.BLOCK_BYTES)
    return sigmoid.sigmoid_kernel_source(derivation, name)

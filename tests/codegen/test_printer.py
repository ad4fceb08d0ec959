"""The kernel printers print each contraction in its cheapest correct form: a matrix product as
`@` (with the fewest transposes), other two-operand sums as einsum without a path search; the
printed text evaluates to numpy.einsum's value for every spec, with NumPy and with jax.numpy."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.codegen import nodes as N
from derive.codegen.printer import KernelJaxPrinter, KernelNumPyPrinter, matmul

SIZES = dict(zip("abcde", (2, 3, 4, 5, 6), strict=True))


@st.composite
def two_operand_specs(draw: st.DrawFn) -> tuple[list[str], str]:
    """One summed letter `a` shared by both operands, each operand with 0–2 more letters of its
    own or shared (a batch axis), in any order, and the result any order of the kept letters."""
    own = draw(st.lists(st.sampled_from("bcde"), unique=True, max_size=3))
    split = draw(st.integers(0, len(own)))
    shared = draw(st.lists(st.sampled_from([x for x in "bcde" if x not in own]), unique=True,
                           max_size=1))
    ins = [draw(st.permutations(["a", *own[:split], *shared])),
           draw(st.permutations(["a", *own[split:], *shared]))]
    out = draw(st.permutations([*own, *shared]))
    return ["".join(x) for x in ins], "".join(out)


def _evaluate(printed: str, arrays: list[np.ndarray], xp: object) -> np.ndarray:
    scope = {"numpy": xp, "jax": None}
    scope.update({f"A{k}": a for k, a in enumerate(arrays)})
    return np.asarray(eval(printed, scope))  # noqa: S307 -- the printer's text for our own nodes


def _arrays(ins: list[str], seed: int, xp: object = np) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [xp.asarray(rng.normal(size=tuple(SIZES[x] for x in spec))) for spec in ins]


@settings(max_examples=80, deadline=None)
@given(two_operand_specs(), st.integers(0, 2**31))
def test_every_two_operand_contraction_prints_to_einsums_value(case, seed: int) -> None:
    ins, out = case
    ops = [sp.Symbol(f"A{k}") for k in range(len(ins))]
    printed = KernelNumPyPrinter().doprint(N.Contract(N.spec(",".join(ins) + "->" + out), *ops))
    arrays = _arrays(ins, seed)
    want = np.einsum(",".join(ins) + "->" + out, *arrays)
    np.testing.assert_allclose(_evaluate(printed, arrays, np), want, rtol=1e-12, atol=1e-12)
    # A matrix product prints as one, never through einsum; anything else without a path search.
    assert ("@" in printed) == (matmul(ins, out) is not None), printed
    assert ("vdot" in printed) == (ins[0] == ins[1] and len(ins[0]) > 1 and not out), printed
    assert "optimize=True" not in printed


@pytest.mark.parametrize(("spec", "printed"), [
    ("a,a->", "(A0 @ A1)"),
    ("a,ab->b", "(A0 @ A1)"),
    ("a,ba->b", "(A1 @ A0)"),  # U x, not x Uᵀ: no transpose
    ("ab,b->a", "(A0 @ A1)"),
    ("ab,bc->ac", "(A0 @ A1)"),
    ("ab,cb->ac", "(A0 @ A1.T)"),
    ("ab,ac->bc", "(A0.T @ A1)"),
    ("ab,ac->cb", "(A1.T @ A0)"),  # the result's order chooses the operands' order
    ("ab,ab->", "numpy.vdot(A0, A1)"),  # Σ_ab A0_ab A1_ab, one BLAS dot
    ("ab,ab->a", "numpy.einsum('ab,ab->a', A0, A1, optimize=False)"),  # a batch of dots
    ("ab,ba->a", "numpy.einsum('ab,ba->a', A0, A1, optimize=False)"),
    ("a,b->ab", "numpy.einsum('a,b->ab', A0, A1, optimize=False)"),  # nothing summed
])
def test_matrix_products_print_as_at_with_the_fewest_transposes(spec: str, printed: str) -> None:
    ins = spec.split("->")[0].split(",")
    ops = [sp.Symbol(f"A{k}") for k in range(len(ins))]
    assert KernelNumPyPrinter().doprint(N.Contract(N.spec(spec), *ops)) == printed


def test_an_operand_that_is_a_sum_is_parenthesised_before_the_product() -> None:
    x, y, M = sp.symbols("A0 A1 A2")
    printed = KernelNumPyPrinter().doprint(N.Contract(N.spec("a,ab->b"), x - y, M))
    assert printed == "((A0 - A1) @ A2)"
    arrays = _arrays(["a", "a", "ab"], 3)
    got = _evaluate(printed, arrays, np)
    np.testing.assert_allclose(got, (arrays[0] - arrays[1]) @ arrays[2])


def test_three_operands_keep_the_path_search() -> None:
    ops = sp.symbols("A0 A1 A2")
    printed = KernelNumPyPrinter().doprint(N.Contract(N.spec("ab,ac,ad->bcd"), *ops))
    assert printed == "numpy.einsum('ab,ac,ad->bcd', A0, A1, A2, optimize=True)"


@settings(max_examples=25, deadline=None)
@given(two_operand_specs(), st.integers(0, 2**31))
def test_a_transposed_contraction_is_the_contraction_with_its_result_reordered(case, seed):
    ins, out = case
    if len(out) < 2:
        return
    perm = tuple(reversed(range(len(out))))
    ops = [sp.Symbol(f"A{k}") for k in range(len(ins))]
    e = N.Perm(N.Contract(N.spec(",".join(ins) + "->" + out), *ops), sp.Tuple(*perm))
    printed = KernelNumPyPrinter().doprint(e)
    assert "transpose" not in printed
    arrays = _arrays(ins, seed)
    want = np.transpose(np.einsum(",".join(ins) + "->" + out, *arrays), perm)
    np.testing.assert_allclose(_evaluate(printed, arrays, np), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(two_operand_specs(), st.integers(0, 2**31))
def test_the_jax_printer_prints_the_same_forms_and_values(case, seed: int) -> None:
    jnp = pytest.importorskip("jax.numpy")
    ins, out = case
    spec = ",".join(ins) + "->" + out
    ops = [sp.Symbol(f"A{k}") for k in range(len(ins))]
    printed = KernelJaxPrinter().doprint(N.Contract(N.spec(spec), *ops))
    assert printed == KernelNumPyPrinter().doprint(N.Contract(N.spec(spec), *ops)).replace(
        "numpy.", "jax.numpy.")
    arrays = _arrays(ins, seed)
    got = _evaluate(printed.replace("jax.numpy.", "numpy."), [jnp.asarray(a) for a in arrays],
                    jnp)
    np.testing.assert_allclose(got, np.einsum(spec, *arrays), rtol=1e-5, atol=1e-6)

"""Every loss of the corpus, exported as a kernel (printed by SymPy) and run: its loss and each
gradient match the hand-written NumPy ones, with both backends; its inputs are validated."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

from derive.calculus import derive
from derive.calculus.records import Derivation
from derive.calculus.sample import Points
from derive.codegen import module
from derive.steps.lossmath import read_loss
from tests.calculus.corpus.losses import CASES
from tests.calculus.corpus.test_corpus import _arrays

FILES = sorted((Path(__file__).parent.parent / "data" / "losses").glob("*.tex"))
BY_NAME = {c.name: c for c in CASES}


@functools.cache
def derivation(stem: str) -> tuple[Derivation, tuple[str, ...]]:
    """The file's derivation, and its inputs' names as derive show --format json lists them."""
    path = next(f for f in FILES if f.stem == stem)
    lf = read_loss(path.read_text(encoding="utf-8"), stem)
    return derive(lf.loss), tuple(i.name.lstrip("\\") for i in lf.inputs)


def _check_against_hand(stem: str, backend: str) -> None:
    d, names = derivation(stem)
    case = BY_NAME[stem]
    fn = module.compile(d, backend=backend)
    points = Points(d.loss)
    for at in range(len(points.points)):
        values = {k: v for k, v in _arrays(points, at).items() if k in names}
        loss, grads = fn(values)
        np.testing.assert_allclose(float(loss), case.value(values), rtol=1e-9, atol=1e-12)
        assert set(grads) == set(case.grads)
        for name, grad in grads.items():
            want = case.grads[name](values)
            assert np.shape(grad) == want.shape, name
            np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("stem", [f.stem for f in FILES])
def test_numpy_kernel_matches_the_hand_gradient(stem: str) -> None:
    _check_against_hand(stem, "numpy")


def _jax():  # type: ignore[no-untyped-def]
    """jax with x64 on; the test skips only where jax is not installed and CI is not set."""
    try:
        import jax
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("jax is not installed (pip install 'derive[jax]')")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("stem", [f.stem for f in FILES])
def test_jax_kernel_under_jit_matches_numpy_and_the_hand_gradient(stem: str) -> None:
    jax = _jax()
    _check_against_hand(stem, "jax")
    d, names = derivation(stem)
    jitted = jax.jit(module.compile(d, backend="jax"))
    reference = module.compile(d)
    points = Points(d.loss)
    values = {k: v for k, v in _arrays(points, 0).items() if k in names}
    loss, grads = jitted(values)
    want_loss, want = reference(values)
    np.testing.assert_allclose(float(loss), want_loss, rtol=1e-6)
    for name, grad in want.items():
        np.testing.assert_allclose(np.asarray(grads[name]), grad, rtol=1e-6, atol=1e-12)


def _naive() -> tuple[object, dict]:
    d, _ = derivation("naive-softmax")
    rng = np.random.default_rng(3)
    return d, {"U": rng.normal(size=(4, 6)), "v_c": rng.normal(size=4), "o": 2}


@pytest.mark.parametrize(("change", "message"), [
    ({"U": np.ones((4, 6, 1))}, r"^U: shape \(4, 6, 1\), expected a matrix of shape \(d, V\)$"),
    ({"v_c": np.ones(5)}, r"^v_c: shape \(5,\), expected \(d\) with d = 4, as U gives it$"),
    ({"o": 6}, r"^o: 6, expected 0 <= o < V = 6$"),
    ({"o": 1.5}, r"^o: 1\.5, expected a 0-based int index$"),
    ({"o": True}, r"^o: True, expected a 0-based int index$"),
    ({"w": 1}, r"^values: unknown input w \(expected U, v_c, o\)$"),
])
def test_kernel_names_the_argument_it_refuses(change: dict, message: str) -> None:
    d, values = _naive()
    fn = module.compile(d)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        fn({**values, **change})


def test_kernel_asks_for_a_missing_input_and_a_positive_constant() -> None:
    d, _ = derivation("l2-centre")
    fn = module.compile(d)
    values = {"U": np.ones((3, 5)), "v_c": np.ones(3), "o": 0}
    missing = r"^values: missing lambda \(expected U, v_c, o, lambda\)$"
    with pytest.raises(ValueError, match=missing):
        fn(values)
    with pytest.raises(ValueError, match=r"^lambda: -1\.0, expected a float > 0$"):
        fn({**values, "lambda": -1.0})


def test_float32_stays_float32() -> None:
    d, values = _naive()
    fn = module.compile(d)  # type: ignore[arg-type]
    loss, grads = fn({**values, "U": values["U"].astype(np.float32),
                      "v_c": values["v_c"].astype(np.float32)})
    assert np.asarray(loss).dtype == np.float32
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    _, want = fn(values)
    np.testing.assert_allclose(grads["U"], want["U"], rtol=1e-5, atol=1e-6)


def test_stable_forms_at_logits_that_overflow_exp() -> None:
    """ŷ max-shifted and log ŷ a log-softmax: finite and right where exp(1000) overflows."""
    d, _ = derivation("naive-softmax")
    fn = module.compile(d)
    U = np.array([[1000.0, -1000.0, 0.0]])
    loss, grads = fn({"U": U, "v_c": np.array([1.0]), "o": 1})
    assert float(loss) == pytest.approx(2000.0)
    np.testing.assert_allclose(grads["v_c"], [1000.0 - (-1000.0)])
    d, _ = derivation("negative-sampling")
    fn = module.compile(d)
    loss, grads = fn({"v_c": np.array([1.0]), "u_o": np.array([-800.0]),
                      "U_neg": np.array([[800.0, -800.0]])})
    assert float(loss) == pytest.approx(1600.0)
    assert all(np.isfinite(g).all() for g in grads.values())


def test_source_is_inspectable_and_imports_numpy_alone() -> None:
    import inspect

    d, _ = derivation("glove")
    fn = module.compile(d)
    text = inspect.getsource(fn)
    assert text.startswith("def loss_and_gradients(values):")
    src = module.source(d)
    imports = [line for line in src.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import numpy"]
    assert "def _kernel(u, v, b, c, o, lambda_, theta, V, d, dtype):" in src
    jax_src = module.source(d, backend="jax")
    assert [x for x in jax_src.splitlines() if x.startswith(("import", "from"))] == [
        "import jax", "import jax.numpy"]
    assert "numpy." not in jax_src.replace("jax.numpy.", "")


def test_unknown_backend_is_refused() -> None:
    d, _ = derivation("glove")
    with pytest.raises(ValueError, match=r"^backend 'torch': expected one of numpy, jax$"):
        module.source(d, backend="torch")


@pytest.mark.parametrize("stem", [f.stem for f in FILES])
def test_batched_kernel_is_the_sum_over_its_samples(stem: str) -> None:
    """--batch over every vector and index: the loss is the sum of the samples' losses, a
    per-sample gradient each sample's own, a shared one the sum of theirs."""
    d, names = derivation(stem)
    batch = tuple(o.indexed.name for o in d.loss.objects if len(o.indexed.shape) == 1)
    batch += tuple(str(x) for x, _ in d.loss.ranges if str(x) in names)
    single, batched = module.compile(d), module.compile(d, batch=batch)
    points = Points(d.loss)
    samples = [{k: v for k, v in _arrays(points, 0).items() if k in names} for _ in range(3)]
    rng = np.random.default_rng(7)
    sizes = {str(s): v for s, v in points.points[0].sizes.items()}
    ranges = {str(x): sizes[str(size)] for x, size in d.loss.ranges}
    for s in samples[1:]:
        for k in batch:
            s[k] = rng.normal(size=np.shape(s[k])) if k not in ranges else int(
                rng.integers(ranges[k]))
    stacked = {k: (np.stack([np.asarray(s[k]) for s in samples]) if k in batch else v)
               for k, v in samples[0].items()}
    loss, grads = batched(stacked)
    each = [single(s) for s in samples]
    np.testing.assert_allclose(float(loss), sum(float(e[0]) for e in each), rtol=1e-10)
    for name, grad in grads.items():
        want = (np.stack([e[1][name] for e in each]) if name in batch
                else sum(e[1][name] for e in each))
        np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-12)


def test_derive_compile_takes_a_python_api_loss() -> None:
    import derive

    case = BY_NAME["logit-bias"]
    fn = derive.compile(case.loss, wrt=("b",))
    points = Points(case.loss)
    values = {k: v for k, v in _arrays(points, 0).items() if k in {"U", "v_c", "b", "o"}}
    loss, grads = fn(values)
    assert set(grads) == {"b"}
    np.testing.assert_allclose(grads["b"], case.grads["b"](values), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(float(loss), case.value(values), rtol=1e-9)
    with pytest.raises(ValueError, match=r"^wrt W: not a declared vector or matrix"):
        derive.compile(case.loss, wrt=("W",))
    with pytest.raises(ValueError, match=r"^compile: expected a loss file's path, a Loss or a "):
        derive.compile(3)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize("stem", ["sample-family", "sample-rows"])
def test_samples_as_indices_export_and_match_the_hand_gradient(stem: str, backend: str) -> None:
    # w = (w_1, …, w_K) an int array; at the first check point o is among the samples and a
    # word is drawn twice, the case a kernel that writes grad[w] = … instead of adding gets wrong
    from tests.steps.test_user_losses import FILES as USER
    from tests.steps.test_user_losses import HAND
    from tests.steps.test_user_losses import _arrays as user_arrays

    if backend == "jax":
        _jax()
    lf = read_loss((USER / f"{stem}.tex").read_text(encoding="utf-8"), stem)
    d = derive(lf.loss)
    fn = module.compile(d, backend=backend)
    names = {i.name for i in lf.inputs}
    points = Points(d.loss)
    for at in range(len(points.points)):
        values = {k: v for k, v in user_arrays(points, at).items() if k in names}
        _, grads = fn(values)
        want = HAND[stem](values)
        for name, grad in grads.items():
            np.testing.assert_allclose(np.asarray(grad), want[name], rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"^w: entries from 0 to 99, expected 0 <= w < V"):
        fn({**values, "w": np.array([0, 99])})


def test_a_batch_shares_its_samples_and_says_so() -> None:
    # --batch v_c,o: each row its centre word and outside word, the K samples the same for all
    from tests.steps.test_user_losses import FILES as USER

    lf = read_loss((USER / "sample-family.tex").read_text(encoding="utf-8"), "samples")
    d = derive(lf.loss)
    fn = module.compile(d, batch=("v_c", "o"))
    rng = np.random.default_rng(1)
    U, V_c, o, w = rng.normal(size=(4, 7)), rng.normal(size=(3, 4)), np.array([2, 0, 2]), \
        np.array([1, 1, 2, 5])
    loss, grads = fn({"U": U, "v_c": V_c, "o": o, "w": w})

    def sigma(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-x))
    want = sum(-np.log(sigma(U[:, o[b]] @ V_c[b])) - np.log(sigma(-U[:, w].T @ V_c[b])).sum()
               for b in range(3))
    np.testing.assert_allclose(float(loss), want, rtol=1e-12)
    assert grads["v_c"].shape == (3, 4) and grads["U"].shape == (4, 7)
    with pytest.raises(ValueError, match=r"^--batch w: the samples are shared by every row"):
        module.source(d, batch=("v_c", "o", "w"))

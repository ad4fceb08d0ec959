"""derive verify LOSS.tex checks the exported kernel against finite differences: it passes a
right kernel and fails one that is wrong in a single gradient."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from derive.calculus import derive
from derive.cli import main
from derive.codegen import module
from derive.steps.lossmath import read_loss
from derive.verify import kernel

LOSSES = Path(__file__).parent.parent / "data" / "losses"


def _derivation(stem: str):  # type: ignore[no-untyped-def]
    return derive(read_loss((LOSSES / f"{stem}.tex").read_text(encoding="utf-8"), stem).loss)


def test_a_right_kernel_passes() -> None:
    checks = kernel.check(_derivation("logit-bias"))
    assert {c.wrt for c in checks} == {"U", "v_c", "b"}
    assert all(c.passed and c.max_error < 1e-6 and c.scale > 0.01 for c in checks)


def test_a_kernel_wrong_in_one_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    right = module.compile

    def wrong(derivation, **kw):  # type: ignore[no-untyped-def]
        fn = right(derivation, **kw)

        def broken(values):  # type: ignore[no-untyped-def]
            loss, grads = fn(values)
            return loss, {**grads, "b": grads["b"] * 1.01}
        broken.__globals__["INPUTS"] = fn.__globals__["INPUTS"]  # type: ignore[index]
        return broken
    monkeypatch.setattr(module, "compile", wrong)
    checks = {c.wrt: c for c in kernel.check(_derivation("logit-bias"))}
    assert not checks["b"].passed
    assert checks["U"].passed and checks["v_c"].passed


def test_verify_loss_file_reports_the_kernel_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(LOSSES / "elastic.tex"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["wrt"] for r in rows] == ["u", "x"]
    assert all(r["passed"] and 0 <= r["kernel_max_error"] < 1e-6 for r in rows)
    assert np.isfinite([r["kernel_max_error"] for r in rows]).all()


def test_export_loss_file_writes_a_module_that_runs(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k.py"
    assert main(["export", str(LOSSES / "glove.tex"), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    namespace: dict = {}
    exec(compile(out.read_text(encoding="utf-8"), str(out), "exec"), namespace)  # noqa: S102
    values = {"u": np.ones(3), "v": np.full(3, 0.5), "b": np.arange(4.0), "c": np.zeros(4),
              "o": 1, "lambda": 2.0, "theta": 1.0}
    loss, grads = namespace["loss_and_gradients"](values)
    assert float(loss) == pytest.approx(2.0 * (1.5 + 1.0 - 1.0) ** 2)
    np.testing.assert_allclose(grads["b"], [0.0, 2 * 2.0 * 1.5, 0.0, 0.0])


def test_export_refuses_backend_without_a_loss_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--backend", "jax", "-o", str(tmp_path / "k.py")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("derive export: --wrt, --batch and --backend are for a loss file")
    assert not (tmp_path / "k.py").exists()


SHIPPED = Path(__file__).parent.parent.parent / "derive" / "steps" / "losses"


@pytest.mark.parametrize("stem", ["sigmoid", "leaky-relu"])
def test_function_of_x_is_checked_against_differences_of_itself(stem: str) -> None:
    lf = read_loss((SHIPPED / f"{stem}.tex").read_text(encoding="utf-8"), stem)
    [check] = kernel.check(derive(lf.loss))
    assert (check.wrt, check.of, check.passed) == ("x", "derivative", True)
    assert check.max_error < 1e-6 and check.scale > 0.2


def test_a_wrong_derivative_of_x_fails() -> None:
    from dataclasses import replace

    from derive.calculus.records import Step

    lf = read_loss((SHIPPED / "sigmoid.tex").read_text(encoding="utf-8"), "sigmoid")
    d = derive(lf.loss)
    g = d.gradients[0]
    wrong = replace(g, steps=(*g.steps[:-1], Step(g.result * 1.01, "matrix form", matrix=True)))
    [check] = kernel.check(replace(d, gradients=(wrong,)))
    assert not check.passed and check.max_error > 1e-4


def test_function_of_x_verifies_and_has_no_kernel_to_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(SHIPPED / "sigmoid.tex")]) == 0
    assert capsys.readouterr().out.startswith(
        f"✓ {SHIPPED / 'sigmoid.tex'}: ∂J/∂x = (1 - σ(x))*σ(x)  [closed form; every step checked "
        "at random x away from 0; derivative against finite differences: max error")
    out = tmp_path / "k.py"
    assert main(["export", str(SHIPPED / "leaky-relu.tex"), "-o", str(out)]) == 1
    assert "leaky-relu is a function of the scalar x" in capsys.readouterr().err
    assert not out.exists()


def test_a_scalar_variable_exports_as_a_scalar_input_and_gradient(tmp_path: Path) -> None:
    from derive.steps.lossmath import with_wrt
    from tests.steps.test_loss import BIAS

    d = derive(with_wrt(read_loss(BIAS, "bias"), ["w", "b"]).loss)
    checks = {c.wrt: c for c in kernel.check(d)}
    assert checks["b"].passed and checks["w"].passed and checks["b"].scale > 0.01
    fn = module.compile(d)
    assert ("b", "scalar", (), False, True) in fn.__globals__["INPUTS"]
    w, x = np.array([0.1, 0.2, -0.3]), np.array([1.0, 2.0, 3.0])
    loss, grads = fn({"w": w, "x": x, "b": 0.5, "t": 0.7})
    s = 1 / (1 + np.exp(-(w @ x + 0.5)))
    assert float(grads["b"]) == pytest.approx(s - 0.7)
    np.testing.assert_allclose(grads["w"], (s - 0.7) * x)
    with pytest.raises(ValueError, match=r"^b: shape \(3,\), expected a scalar"):
        fn({"w": w, "x": x, "b": np.ones(3), "t": 0.7})

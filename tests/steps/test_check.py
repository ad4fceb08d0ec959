"""The judge: floating point decides only what rounding cannot change; everything else goes to
the exact judge, and the verdict is the same whichever judge gave it."""
from __future__ import annotations

import numpy as np
import pytest

from derive import notation
from derive.steps import check, check_text, exact
from derive.steps.exactvalues import World, constant_symbol, point
from derive.steps.points import draw
from derive.steps.verdict import sizes_of
from derive.steps.vocabulary import FILE_CONSTANTS

J = r"$$J(v_c, o, U) = -\log \hat{y}_o$$" + "\n"

# Steps the fast path settles alone, right and wrong: (text, statuses)
STEPS = [
    (J + r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y)$$", ["definition", "holds"]),
    (J + r"$$\frac{\partial J}{\partial v_c} = U(y - \hat{y})$$", ["definition", "fails"]),
    (J + r"$$\frac{\partial J}{\partial U} = v_c (\hat{y} - y)^\top$$", ["definition", "holds"]),
    (J + r"$$\frac{\partial J}{\partial U} = (\hat{y} - y) v_c^\top$$", ["definition", "layout"]),
    (J + r"$$\frac{\partial J}{\partial u_w} = (\hat{y}_w - y_w) v_c$$", ["definition", "holds"]),
    (r"$$\frac{\partial}{\partial x} \sigma(x) = \sigma(x)(1 - \sigma(x))$$", ["holds"]),
    (r"$$\frac{\partial}{\partial v_c} \log \sigma(u_o^\top v_c) = (1 - \sigma(u_o^\top v_c))"
     r" u_o$$", ["holds"]),
    (r"$$\frac{\partial}{\partial v_c} \log \sigma(u_o^\top v_c) = \sigma(u_o^\top v_c) u_o$$",
     ["fails"]),
    (r"$$\frac{d}{dx} \max(x, \alpha x) = \begin{cases} \alpha & \text{if } x < 0 \\ 1 & "
     r"\text{otherwise}\end{cases}$$", ["holds"]),
    (r"$$\frac{d}{dx} \max(x, \alpha x) = 1$$", ["fails"]),
    (r"$$v_c = v_c + 10^{-12} v_c$$", ["holds"]),  # within the tolerance, with room to spare
    # skip-gram's window: the sum of the pair derivatives, right and with its sign lost
    (r"$$\frac{\partial J_{\text{skip-gram}}}{\partial v_c} = \sum_{-m \le j \le m, j \ne 0}"
     r" \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}$$", ["holds"]),
    (r"$$\frac{\partial J_{\text{skip-gram}}}{\partial U} = -\sum_{-m \le j \le m, j \ne 0}"
     r" \frac{\partial J(v_c, w_{t+j}, U)}{\partial U}$$", ["fails"]),
    # the chain rule through a vector for a matrix: Σ_i g_i ∂θ_i/∂U, whichever side g is on
    (r"$$(\hat{y} - y)^\top \frac{\partial (U^\top v_c)}{\partial U} = v_c (\hat{y} - y)^\top$$",
     ["holds"]),
    (r"$$\frac{\partial (U^\top v_c)}{\partial U} (\hat{y} - y) = v_c (\hat{y} - y)^\top$$",
     ["holds"]),
    (r"$$(\hat{y} - y)^\top \frac{\partial (U^\top v_c)}{\partial U} = v_c (y - \hat{y})^\top$$",
     ["fails"]),
    (r"$$(\hat{y} - y)^\top \frac{\partial (U^\top v_c)}{\partial U} = (\hat{y} - y) v_c^\top$$",
     ["layout"]),
    # alone, beside a vector of another length, or in an entrywise product: not worked out
    (r"$$\frac{\partial (U^\top v_c)}{\partial U} = U$$", ["unchecked"]),
    (r"$$v_c^\top \frac{\partial (U^\top v_c)}{\partial U} = U$$", ["unchecked"]),
    (r"$$\hat{y} \circ \frac{\partial (U^\top v_c)}{\partial U} = U$$", ["unchecked"]),
]


def statuses(text: str) -> list[str]:
    return [v.status for v in check_text(text).verdicts]


@pytest.fixture
def exact_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often the exact judge was asked."""
    calls: list[int] = []
    original = exact.decide_exactly

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(exact, "decide_exactly", counted)
    return calls


@pytest.mark.parametrize(("text", "expected"), STEPS)
def test_floating_point_settles_plain_steps_alone(text: str, expected: list[str],
                                                  exact_calls: list[int]) -> None:
    assert statuses(text) == expected
    assert exact_calls == []


@pytest.mark.parametrize(("text", "expected"), STEPS)
def test_both_judges_give_the_same_verdict(text: str, expected: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [(v.status, v.reason) for v in check_text(text).verdicts]

    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise check.Undecided("forced")

    monkeypatch.setattr(check, "_decide_numerically", never)
    assert [(v.status, v.reason) for v in check_text(text).verdicts] == fast


@pytest.mark.parametrize(("text", "expected"), [
    # both sides about 0: rounding is all there is to compare, so the exact judge decides
    (r"$$\sum_w \hat{y}_w - 1 = 0$$", ["holds"]),
    # off by 2·10⁻⁹ relative, just over the tolerance: too close for floating point
    (r"$$v_c = v_c + 2 \cdot 10^{-9} v_c$$", ["fails"]),
    # the logarithm of a negative number has no real value; its derivative does
    (r"$$\log(-\sigma(x)) = \log(\sigma(x))$$", ["fails"]),
    (r"$$\frac{\partial}{\partial x} \log(-\sigma(x)) = 1 - \sigma(x)$$", ["holds"]),
    # a derivative of a derivative, and a piecewise body inside a derivative
    (r"$$\frac{\partial}{\partial x} \frac{\partial}{\partial x} x^3 = 6 x$$", ["holds"]),
    (r"$$\frac{\partial}{\partial x} \frac{\partial}{\partial x} x^3 = 3 x$$", ["fails"]),
    (r"$$\frac{d}{dx} \begin{cases} x & \text{if } x > 0 \\ \alpha x & \text{otherwise}"
     r"\end{cases} = \begin{cases} 1 & \text{if } x > 0 \\ \alpha & \text{otherwise}"
     r"\end{cases}$$", ["holds"]),
])
def test_what_rounding_could_change_goes_to_the_exact_judge(
        text: str, expected: list[str], exact_calls: list[int]) -> None:
    assert statuses(text) == expected
    assert exact_calls


def test_both_judges_draw_the_same_points() -> None:
    for V, d, K in ((4, 3, 2), (3, 2, 4)):
        world = World.of(V, d, K)
        for n in range(3):
            exact_point = point(world, np.random.default_rng(7), n)
            numbers = draw(sizes_of(V, d, K), np.random.default_rng(7), n)
            assert [float(exact_point[s]) for s in world.symbols["U"]] == list(
                numbers["U"].reshape(-1))
            assert float(exact_point[world.symbols["x"][0]]) == numbers["x"][0, 0]
            assert float(exact_point[notation.alpha]) == numbers["alpha"][0, 0]
            # a loss file's constants, each its own number, the same in both judges
            assert [float(exact_point[constant_symbol(c)]) for c in FILE_CONSTANTS] == list(
                numbers["constants"].reshape(-1))
            assert len(set(numbers["constants"].reshape(-1))) == len(FILE_CONSTANTS)

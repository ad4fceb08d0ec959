"""The grammar's commands (commands.py) on what students write: a fraction with one ∂ (issue
21)."""
from __future__ import annotations

import pytest

from derive.steps import check_text

NS = "naive-softmax"


def verdicts(text: str, **kw) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(v.status, v.reason) for v in check_text(text, **kw).verdicts]


@pytest.mark.parametrize(("written", "read"), [
    (r"\frac{J}{\partial v_c}", "∂J/∂v_c"),  # the ∂ above the line left out
    (r"\frac{\partial J}{v_c}", "∂J/∂v_c"),  # …or the one below it
])
def test_a_fraction_with_one_partial_is_the_derivative_and_says_so(written: str,
                                                                   read: str) -> None:
    text = f"$${written} = U(\\hat{{y}} - y)$$"
    [(status, reason)] = verdicts(text, problem=NS)
    assert status == "holds"
    assert reason.startswith(f"{read} read as a derivative: the ∂ ")
    assert reason.endswith("the line is missing in the file")
    [(status, _)] = verdicts(text.replace(r"U(\hat{y} - y)", r"U(y - \hat{y})"), problem=NS)
    assert status == "fails"


def test_a_fraction_with_no_partial_is_a_quotient_still() -> None:
    [(status, reason)] = verdicts(r"$$\frac{\hat{y}_o}{2} = \hat{y}_o / 2$$")
    assert (status, reason) == ("holds", "")

"""The text report of a derivation."""
from __future__ import annotations


def test_a_loss_file_s_results_say_what_y_hat_is() -> None:
    from pathlib import Path

    from derive.calculus import derive
    from derive.render import report
    from derive.steps.lossmath import read_loss

    path = Path(__file__).parent.parent / "data" / "losses" / "temperature.tex"
    d = derive(read_loss(path.read_text(encoding="utf-8"), "temperature").loss)
    results = report.text(d, "temperature.tex").split("Results\n")[1]
    assert "  where ŷ = softmax(1/τ Uᵀv_c)\n" in results

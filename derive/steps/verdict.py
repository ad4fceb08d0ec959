"""A step's verdict, the sizes and tolerance it is judged at, and the words it is given in —
shared by the fast numeric judge (check.py) and the exact one (exact.py), so that both say
the same thing in the same words."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .document import Step
from .indices import shape_text

# (V, d, K): all different, so a shape names its sizes unambiguously, and V ≠ d so that a
# transposed result cannot pass by accident.
SIZES: tuple[tuple[int, int, int], ...] = ((4, 3, 2), (3, 2, 4))
POINTS = 3
# Two sides agree when every entry differs by less than this, relative to the larger side (or to
# SCALE_FLOOR when both are about zero).
RTOL = 1e-9
SCALE_FLOOR = 1e-12


@dataclass(frozen=True)
class Verdict:
    step: Step
    status: str  # "holds", "fails", "layout", "definition", "unchecked", "unread"
    reason: str = ""
    max_rel_error: float | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("fails", "layout")


def sizes_of(V: int, d: int, K: int) -> dict[str, int]:
    return {"V": V, "d": d, "K": K}


def layout_reason(sizes: Mapping[str, int], layout: str, left: tuple[int, int],
                  right: tuple[int, int]) -> str:
    return (f"shape {shape_text(sizes, right)} where {shape_text(sizes, left)} is expected: "
            f"equal only up to a transpose. In the {layout} layout "
            + ("a gradient has the shape of its variable (∂/∂v_c of a scalar is a column); "
               "--layout numerator reads derivatives transposed"
               if layout == "denominator" else
               "a derivative is transposed (∂/∂v_c of a scalar is a row)"))


def shape_reason(sizes: Mapping[str, int], left: tuple[int, int], right: tuple[int, int]) -> str:
    return f"shape {shape_text(sizes, right)} where {shape_text(sizes, left)} is expected"


def differ_reason(indices: Mapping[str, tuple[int, str]], err: float) -> str:
    shown = [f"{i} = {v + 1}" for i, (v, _) in sorted(indices.items())]
    where = f" at {', '.join(shown)}" if shown else ""
    return f"the sides differ{where} (rel. error {err:.2g})"


NEVER_COMPARED = "its condition held at none of the points tried"

"""The problems derive knows, as data: a loss and its title. Adding one does not touch the engine:
each loss is a loss file shipped with the package (derive/steps/losses), as a course writes one.

Kept free of SymPy at import time, so `derive --help` and `derive list` stay fast.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .calculus.records import Loss


@dataclass(frozen=True)
class Problem:
    name: str
    title: str
    summary: str
    make_loss: Callable[[], Loss]

    def _repr_latex_(self) -> str:
        """Jupyter shows the problem as its derivation, typeset."""
        from .calculus import derive

        return derive(self.make_loss())._repr_latex_()


@dataclass(frozen=True)
class Part:
    """A rubric Part worth `points`: steps of chain `chain`, from the step whose rule is `start`
    (default: where this question's previous Part of the chain stopped, or the chain's start)
    through the step whose rule is `through` (default: the chain's end). Chains are named by
    `Gradient.key` ("v_c", "U", "u_w (w = o)", …) or "J" for the loss rewrite."""

    chain: str
    points: float
    through: str | None = None
    start: str | None = None


@dataclass(frozen=True)
class Question:
    """A written question of the handout. `prompt` is our own LaTeX prose (trusted; notation
    macros such as \\vc come from the generated preamble); its answer is the chains in `parts`."""

    label: str
    problem: str
    title: str
    prompt: str
    parts: tuple[Part, ...]
    remark: str = ""  # our LaTeX prose after the solution's results (trusted, like prompt)
    id: str = ""  # how a course spec names it (`derive list --questions`); "" for a spec's own

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)


def _shipped(name: str, *wrt: str, **handout: Any) -> Callable[[], Loss]:
    """The loss of the shipped loss file NAME.tex (derive/steps/losses), read when first asked."""
    def make() -> Loss:
        from .steps.lossmath import shipped

        return shipped(name, wrt, **handout)
    return make


_naive_softmax = _shipped("naive-softmax", "v_c", "U")
_cross_entropy = _shipped("cross-entropy", "v_c", "U")
_sigmoid = _shipped("sigmoid", column_cases=False)
_leaky_relu = _shipped("leaky-relu", column_cases=False)
_neg_sampling = _shipped("neg-sampling", "v_c", "u_o", "U_neg", column_cases=False)
_neg_sampling_repeated = _shipped("neg-sampling-repeated", "U")


_skip_gram = _shipped("skip-gram", "v_c", "U", "v_w", column_cases=False)


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem("naive-softmax", "Naive-softmax loss",
                "J = -log ŷ_o with ŷ = softmax(Uᵀv_c); gradients in v_c, U and u_w",
                _naive_softmax),
        Problem("cross-entropy", "Cross-entropy loss",
                "J = -Σ_w y_w log ŷ_w, which the one-hot y makes -log ŷ_o: the naive-softmax "
                "loss", _cross_entropy),
        Problem("sigmoid", "The sigmoid's derivative",
                "σ(x) = 1/(1 + exp(-x)) for a scalar x; dσ/dx in terms of σ", _sigmoid),
        Problem("leaky-relu", "The Leaky ReLU's derivative",
                "f(x) = max(αx, x) with 0 < α < 1, for a scalar x ≠ 0", _leaky_relu),
        Problem("neg-sampling", "Negative-sampling loss",
                "J = -log σ(u_oᵀv_c) - Σ_k log σ(-u_kᵀv_c) over K negative samples; gradients "
                "in v_c, u_o and the u_k", _neg_sampling),
        Problem("neg-sampling-repeated", "Negative sampling with repeated samples",
                "J = -log σ(u_oᵀv_c) - Σ_w n_w log σ(-u_wᵀv_c), n_w how often w is among the K "
                "samples; gradients in U and each u_w", _neg_sampling_repeated),
        Problem("skip-gram", "Skip-gram over a context window",
                "J = Σ_j J(v_c, w_{t+j}, U) over the window -m ≤ j ≤ m, j ≠ 0: gradients in U, "
                "v_c and any other centre vector v_w, for the naive-softmax pair loss",
                _skip_gram),
    )
}


# Where a prompt states its problem's loss: replaced by the loss as the derivation prints it.
LOSS = "<<loss>>"
# Where prose names another question: replaced by its label in the handout at hand, "(g)", or by its
# title when a course spec leaves it out, so a reordered handout never points at the wrong one.
REF = "<<ref:{}>>"

# The written questions, in handout order (CS224N A2, "Understanding word2vec"). Rubric points
# follow the graded seed: Parts end where the derivation reaches a recognisable milestone.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "a", "cross-entropy", "Naive softmax is cross-entropy",
        r"Let $\y$ be the one-hot vector of the true outside word $o$ and $\yhat$ the softmax "
        r"prediction. Show that the cross-entropy between them, $J = " + LOSS + r"$, is the "
        r"naive-softmax loss $-\log \hat{y}_o$.",
        (Part("J", 1.0, "one-hot vector"),),
        id="cross-entropy"),
    Question(
        "b", "naive-softmax", "Gradient with respect to the centre vector",
        r"Compute the partial derivative of $J_{\text{naive-softmax}}(\vc, o, \U)$ with respect "
        r"to $\vc$. Write your answer in terms of $\y$, $\yhat$ and $\U$, as a vector.",
        (Part("J", 0.5), Part("v_c", 0.5, "chain rule"), Part("v_c", 0.5, "derivative of exp"),
         Part("v_c", 1.0, "softmax definition"), Part("v_c", 0.5)),
        id="naive-softmax-vc"),
    Question(
        "c", "naive-softmax", "Gradient with respect to an outside vector",
        r"Compute the partial derivatives of $J_{\text{naive-softmax}}(\vc, o, \U)$ with "
        r"respect to each of the outside word vectors $\uw$. There are two cases: $w = o$, the "
        r"true outside word, and $w \neq o$, every other word. Write your answer in terms of "
        r"$\y$, $\yhat$ and $\vc$.",
        (Part("U", 0.5, "chain rule"), Part("U", 0.5, "derivative of exp"),
         Part("U", 0.5, "softmax definition"), Part("u_w (w = o)", 1.0),
         Part("u_w (w != o)", 0.5)),
        id="naive-softmax-uw"),
    Question(
        "d", "naive-softmax", "Gradient with respect to the outside matrix",
        r"Write the partial derivative of $J_{\text{naive-softmax}}(\vc, o, \U)$ with respect to "
        r"$\U$ in terms of $\vc$, $\y$ and $\yhat$.",
        (Part("U", 1.0, start="one-hot vector"),),
        id="naive-softmax-u-matrix"),
    Question(
        "e", "leaky-relu", "The Leaky ReLU's derivative",
        r"The Leaky ReLU of a scalar $x$ with slope $0 < \alpha < 1$ is $f(x) = " + LOSS
        + r"$. Compute its derivative with respect to $x$, for $x \neq 0$ (at $0$ it has none).",
        (Part("J", 0.5), Part("x", 0.5)),
        id="leaky-relu"),
    Question(
        "f", "sigmoid", "The sigmoid's derivative",
        r"Compute the derivative of the sigmoid $" + LOSS + r"$ with respect to a scalar $x$, "
        r"and write it in terms of $\sigma(x)$ alone.",
        (Part("J", 0.5), Part("x", 1.0, "derivative of exp"), Part("x", 1.0)),
        id="sigmoid"),
    Question(
        "g", "neg-sampling", "Negative sampling",
        r"Negative sampling replaces the softmax over the whole vocabulary by $K$ words drawn at "
        r"random, the negative samples, with outside vectors $\uk$ ($k = 1, \dots, K$), the "
        r"columns of the $d \times K$ matrix $\Uneg$. Assume for now that they are distinct and "
        r"that none of them is $o$. The loss is $J_{\text{neg-sample}}(\vc, o, \U) = "
        + LOSS + r"$. Compute its partial derivatives with respect to $\vc$, to $\uo$ and to "
        r"each $\uk$ (the columns of the derivative with respect to $\Uneg$), and say why this "
        r"loss is much cheaper to compute than naive softmax.",
        (Part("v_c", 1.0, "derivative of σ"), Part("v_c", 1.0), Part("u_o", 1.0),
         Part("U_neg", 1.0)),
        remark=r"Column $k$ of $\partial J / \partial \Uneg$ is $\partial J / \partial \uk$. "
        r"Every gradient above involves only the $K + 1$ vectors $\uo, \mathbf{u}_1, \dots, "
        r"\mathbf{u}_K$: the loss and its gradients cost $O(Kd)$ operations and touch $K + 1$ "
        r"rows of $\U$, where naive softmax needs all $V$ products $\uw^\top \vc$ and writes "
        r"every column of its gradient, $O(Vd)$. With $K = 10$ and $V = 50\,000$ that is a factor "
        r"of $V / (K + 1) \approx 4500$ in operations. When a word is sampled "
        r"more than once, its row of the gradient with respect to $\U$ sums the columns of every "
        r"occurrence.",
        id="neg-sampling"),
    Question(
        "h", "neg-sampling-repeated", "Negative sampling with repeated samples",
        r"Now drop the assumption that the $K$ negative samples are distinct: a word may be drawn "
        r"more than once. Write $n_w$ for the number of samples that are the word $w$ (so "
        r"$\sum_w n_w = K$), and $\mathbf{n}$ for the vector of these counts. Grouping the "
        r"samples by word, the loss is $J_{\text{neg-sample}}(\vc, o, \U) = " + LOSS + r"$. "
        r"Compute its partial derivative with respect to $\U$ (entry $\U_{j,k}$ belongs to the "
        r"word $k$, with count $n_k$), and with respect to each outside vector $\uw$: for "
        r"$w = o$, and for a sampled word $w \neq o$.",
        (Part("U", 1.0, "1 − σ(x) = σ(−x)"), Part("U", 0.5), Part("u_w (w = o)", 0.5),
         Part("u_w (w != o)", 1.0)),
        remark=r"A word sampled $n_w$ times gets $n_w$ times the gradient of one sample: the "
        r"gradient sums over every occurrence, as the kernel's \texttt{np.add.at} does. Words "
        r"never sampled ($n_w = 0$, $w \neq o$) get none.",
        id="neg-sampling-repeated"),
    Question(
        "i", "skip-gram", "Skip-gram over a context window",
        r"Suppose the centre word is $c = w_t$ and the context window is $[w_{t-m}, \dots, "
        r"w_{t-1}, w_t, w_{t+1}, \dots, w_{t+m}]$, where $m$ is the context window size. The loss "
        r"of the window is $J_{\text{skip-gram}}(\vc, w_{t-m}, \dots, w_{t+m}, \U) = " + LOSS
        + r"$, where $J(\vc, w_{t+j}, \U)$ is the loss of one pair of words: naive softmax or "
        r"negative sampling. Compute the partial derivatives of $J_{\text{skip-gram}}$ with "
        r"respect to $\U$, to $\vc$ and to $\vw$ for $w \neq c$, in terms of "
        r"$\partial J(\vc, w_{t+j}, \U) / \partial \U$ and $\partial J(\vc, w_{t+j}, \U) / "
        r"\partial \vc$. Then write the first two out for naive softmax, with "
        r"$\mathbf{y}_{w_{t+j}}$ the one-hot vector of $w_{t+j}$.",
        (Part("U", 1.0, "linearity"), Part("v_c", 1.0, "linearity"), Part("v_w (w != c)", 1.0),
         Part("U", 0.5), Part("v_c", 0.5)),
        remark=r"The derivative of a sum is the sum of the derivatives, whichever loss $J$ is. For "
        r"negative sampling, each term is the gradient of " + REF.format("neg-sampling")
        + r" for its own outside word and samples: column $w_{t+j}$ of "
        r"$\partial J / \partial \U$ gets $\partial J / \partial \uo$ and each sampled column "
        r"its $\partial J / \partial \uk$, summed over every occurrence. A word that appears "
        r"twice in the window counts twice.",
        id="skip-gram"),
)


class UnknownProblem(ValueError):
    """A problem name that is not in PROBLEMS: the caller's mistake (exit 2), not derive's."""


def get(name: str) -> Problem:
    """The problem called `name`; the error lists the known ones."""
    try:
        return PROBLEMS[name]
    except KeyError:
        known = ", ".join(sorted(PROBLEMS))
        raise UnknownProblem(f"unknown problem {name!r}; known problems: {known}") from None

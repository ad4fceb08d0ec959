"""The handout's objects, their SymPy symbols and their LaTeX: stated here and nowhere else.

Shape convention: the handout's U is d×V with the outside vectors u_w as *columns*; v_c is a column
vector in ℝ^d; ŷ = softmax(Uᵀv_c) and the one-hot y are columns in ℝ^V. (Kernels, a later stage,
take U as rows (V, d): that is the transpose of this U, without a copy.)

Each object has two faces: an IndexedBase for elementwise derivation (U[i, w] is the i-th entry of
u_w) and a MatrixSymbol for the matrix forms the derivation folds back into.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

V, d = sp.symbols("V d", integer=True, positive=True)
# K negative samples (negative sampling).
K = sp.Symbol("K", integer=True, positive=True)

# Row index over ℝ^d, vocabulary indices, and the outside word o.
i, j = sp.symbols("i j", integer=True, nonnegative=True)
w, w2, k = sp.symbols("w w2 k", integer=True, nonnegative=True)
o = sp.Symbol("o", integer=True, nonnegative=True)
# Negative samples: the column index of a K-column matrix, and the sum index over the samples.
kk, k2 = sp.symbols("kk k2", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Obj:
    """One named object of the handout: its text name, LaTeX and both SymPy faces."""

    name: str
    text: str
    latex: str
    indexed: sp.IndexedBase
    matrix: sp.MatrixSymbol


def _obj(name: str, text: str, latex: str, rows: sp.Expr, cols: sp.Expr | int) -> Obj:
    shape = (rows,) if cols == 1 else (rows, cols)
    return Obj(name, text, latex, sp.IndexedBase(name, shape=shape),
               sp.MatrixSymbol(name, rows, cols))


U = _obj("U", "U", r"\mathbf{U}", d, V)
v_c = _obj("v_c", "v_c", r"\mathbf{v}_c", d, 1)
y_hat = _obj("yhat", "ŷ", r"\hat{\mathbf{y}}", V, 1)
y = _obj("y", "y", r"\mathbf{y}", V, 1)
# Negative sampling: the outside word's vector u_o, and the d×K matrix whose column k is the
# vector u_k of the k-th negative sample.
u_o = _obj("u_o", "u_o", r"\mathbf{u}_o", d, 1)
U_neg = _obj("U_neg", "U_neg", r"\mathbf{U}_{\text{neg}}", d, K)
# Negative sampling with repeated samples: n_w, how many of the K samples are the word w.
counts = _obj("n", "n", r"\mathbf{n}", V, 1)
# Skip-gram: the centre vector v_w of a word w other than the centre word c.
v_w = _obj("v_w", "v_w", r"\mathbf{v}_w", d, 1)

# Skip-gram's context window: positions j with −m ≤ j ≤ m, j ≠ 0, and the word w_{t+j} at j.
m = sp.Symbol("m", integer=True, positive=True)
jw = sp.Symbol("jw", integer=True)
w_t = sp.IndexedBase("w_t")
WINDOW_LATEX = r"\sum_{{-m \le {0} \le m,\; {0} \neq 0}}"
WINDOW_TEXT = "Σ_{{-m≤{0}≤m, {0}≠0}}"
# The inner loss J(v_c, x, U) of one (centre, outside) pair, and the one-hot vector of word x.
PAIR_LOSS_LATEX = r"J\left(\mathbf{{v}}_c, {}, \mathbf{{U}}\right)"
PAIR_LOSS_TEXT = "J(v_c, {}, U)"
ONE_HOT_LATEX = r"\mathbf{{y}}_{{{}}}"
ONE_HOT_TEXT = "y_({})"

# A scalar argument (the σ and Leaky ReLU questions) and the Leaky ReLU slope α, 0 < α < 1.
x_scalar = sp.Symbol("x", real=True)
alpha = sp.Symbol("alpha", positive=True)
# Constants of a loss, as against its variables: printed before them (αx, as the rule states it).
PARAMETERS = (alpha,)
# The Greek letters a loss may name a constant by, as LaTeX spells them (without \) and as text
# prints them.
GREEK_TEXT = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
              "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "omega": "ω", "phi": "φ",
              "psi": "ψ", "rho": "ρ", "sigma": "σ", "tau": "τ", "xi": "ξ", "zeta": "ζ", "pi": "π",
              "ell": "ℓ"}
GREEK = frozenset(GREEK_TEXT)


def symbol_text(name: str) -> str:
    """How text output writes a constant: λ for lambda, as the handout typesets it."""
    return GREEK_TEXT.get(name, name)
x = Obj("x", "x", "x", sp.IndexedBase("x"), sp.MatrixSymbol("x", 1, 1))

OBJECTS: tuple[Obj, ...] = (U, v_c, y_hat, y, u_o, U_neg, counts, v_w, x)
BY_INDEXED = {obj.indexed: obj for obj in OBJECTS}

# Objects a user declares (b ∈ ℝ^V, W ∈ ℝ^{V×d}, …), by name: the printers name them as declared.
DECLARED: dict[str, Obj] = {}


def size(name: str) -> sp.Symbol:
    """A size letter (V, d, K, n, …): a positive integer, the same symbol wherever it is named."""
    return sp.Symbol(name, integer=True, positive=True)


def declare(name: str, rows: sp.Expr, cols: sp.Expr | int = 1, *, latex: str | None = None,
            text: str | None = None) -> Obj:
    """A vector (cols = 1) or matrix of any declared size, e.g. declare("b", V) for b ∈ ℝ^V or
    declare("W", V, d) for W ∈ ℝ^{V×d}. A name the handout already has gives its object."""
    known = next((o for o in OBJECTS if o.name == name), None)
    if known is not None and known.matrix.shape == (rows, cols):
        return known
    # Sizes are symbols (size("V")) or ints, never text: a string would be parsed by SymPy.
    rows, cols = (sp.Integer(x) if isinstance(x, int) else x for x in (rows, cols))
    if not all(isinstance(x, sp.Expr) for x in (rows, cols)):
        raise TypeError(f"declare({name!r}): a size is size('V') or an int; got {rows!r}, {cols!r}")
    shape = (rows,) if cols == 1 else (rows, cols)
    # Declared entries are real, so |x| and max differentiate as a reader expects.
    obj = Obj(name, text or name, latex or name, sp.IndexedBase(name, shape=shape, real=True),
              sp.MatrixSymbol(name, rows, cols))
    DECLARED[name] = obj
    return obj


class Scalar(sp.Symbol):
    """A declared scalar variable (a bias b ∈ ℝ): a real symbol with an object's faces — no axes,
    and itself as base and label — so the engine treats it as it treats b ∈ ℝ^V. (Not
    subscriptable: lambdify would take it for a tuple of arguments.)"""

    @property
    def shape(self) -> tuple[()]:
        return ()

    @property
    def base(self) -> Scalar:
        return self

    @property
    def label(self) -> Scalar:
        return self

    @property
    def indices(self) -> tuple[()]:
        return ()


def declare_scalar(name: str, *, latex: str | None = None, text: str | None = None) -> Obj:
    """A scalar variable of a loss, e.g. declare_scalar("b") for a bias b ∈ ℝ."""
    obj = Obj(name, text or name, latex or name, Scalar(name, real=True),  # type: ignore[arg-type]
              sp.MatrixSymbol(name, 1, 1))
    DECLARED[name] = obj
    return obj


def lookup(name: str, shape: tuple[sp.Expr, ...] | None = None) -> Obj | None:
    """The declared or the handout's object of this name (and matrix shape, when given: a vector
    x declared by a loss and the handout's scalar x are told apart by it)."""
    declared = DECLARED.get(name)
    if declared is not None and shape in (None, declared.matrix.shape):
        return declared
    return next((o for o in OBJECTS if o.name == name), None)


# The column u_w of U, and how each appears as an entry (ŷ_w, y_w) or column (u_w) in LaTeX.
COLUMN_LATEX = {U.indexed: r"\mathbf{{u}}_{{{}}}", U_neg.indexed: r"\mathbf{{u}}_{{{}}}"}
ENTRY_LATEX = {y_hat.indexed: r"\hat{{y}}_{{{}}}", y.indexed: "y_{{{}}}", w_t: "w_{{t+{}}}",
               counts.indexed: "n_{{{}}}"}
COLUMN_TEXT = {U.indexed: "u_{}", U_neg.indexed: "u_{}"}
ENTRY_TEXT = {y_hat.indexed: "ŷ_{}", y.indexed: "y_{}", w_t: "w_{{t+{}}}",
              counts.indexed: "n_{}"}

VOCAB_LATEX = r"\text{Vocab}"
STEP_LATEX = r"\mathbb{1}_{>0}"  # the step function, 1 above zero: the derivative of max(0, x)
INDEX_LATEX = {w: "w", w2: "w'", k: "k", o: "o", i: "i", j: "j", kk: "k", k2: "k'", jw: "j"}
# A primed summation index and its unprimed twin: a loss stated on its own, where the twin is not
# free, sums over the letter its prose uses (Σ_k over the samples u_k, not Σ_k').
UNPRIMED = {w2: w, k2: kk}

# The size each index runs over, and the index of a matrix's columns by its column count.
INDEX_SIZE = {i: d, j: d, w: V, w2: V, k: V, o: V, kk: K, k2: K}
COLUMN_INDEX = {V: k, K: kk}

# The default sizes for numeric checks: V ≠ d, both small, so a transposed result cannot pass.
CHECK_SIZES: tuple[tuple[int, int], ...] = ((5, 3), (1, 2), (4, 1))

# Macros the handout preamble defines, for our own prose (question prompts): name → LaTeX.
MACROS: dict[str, str] = {
    "vc": v_c.latex, "U": U.latex, "uw": COLUMN_LATEX[U.indexed].format("w"),
    "uo": COLUMN_LATEX[U.indexed].format("o"), "yhat": y_hat.latex, "y": y.latex,
    "uk": COLUMN_LATEX[U_neg.indexed].format("k"), "Uneg": U_neg.latex, "vw": v_w.latex,
}

# The shape convention above, as the questions handout states it to students (our prose, with the
# macros above; a template places it without typing a formula of its own).
CONVENTIONS_LATEX = (
    r"Vectors are columns: $\U \in \mathbb{R}^{d \times V}$ holds the outside vectors $\uw$ as its"
    "\n"
    r"columns, $\vc \in \mathbb{R}^{d}$ is the centre vector, "
    r"$\yhat = \operatorname{softmax}(\U^\top \vc)$"
    "\n"
    r"and the one-hot $\y$ are in $\mathbb{R}^{V}$, and $o$ is the true outside word.")

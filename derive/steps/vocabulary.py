"""What the step checker can read: the handout's names as students write them, mapped to the
objects of `derive.notation`, and the --alias table that maps a transcript's own spelling.

A written name is normalised to `base_sub`: `\\mathbf{u}_{w'}` → `u_w'`, `\\hat{\\mathbf{y}}_o` →
`\\hat{y}_o`, `(\\mathbf{U}_{\\text{neg}})` → `U_neg`. Bold and plain are the same object.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .lexer import ReadError

# Outside vectors: u_<index> is a column of U, or of U_neg when the index counts the K samples.
COLUMN_BASE = "u"
# Scalars that are constants of a problem, not variables: the Leaky ReLU slope.
CONSTANTS = frozenset({r"\alpha"})  # notation.alpha
# The constants a loss file may declare for check-steps (--problem LOSS.tex), each with a value
# of its own at every point (points.draw): never two constants with one number, so a step that
# swaps λ and μ fails. (δ is Kronecker's, α the handout's own.)
FILE_CONSTANTS = (r"\lambda", r"\mu", r"\beta", r"\gamma", r"\tau", r"\epsilon",
                  r"\varepsilon", r"\eta", r"\kappa", r"\rho", r"\nu")
# Sizes, usable as the upper bound of a sum.
SIZES = ("V", "d", "K")
# Index letters and the size each runs over unless its use says otherwise (U_{j,k}: k ∈ V).
# s counts the K negative samples w_1 … w_K (u_{w_s} is read as the column u_s of U_neg).
INDEX_LETTERS = {"w": "V", "o": "V", "k": "K", "i": "d", "j": "d", "s": "K"}
# Any other lowercase letter is an index where a Σ binds it (Σ_{x ∈ V} u_x): over V unless
# the sum says otherwise. These never are: c is the centre word, e Euler's number, d a size or
# a differential.
NEVER_INDEX = frozenset({"c", "e", "d"})
# The problems whose loss a J with this subscript is (letters only, lower case): J_{naive-softmax}.
LOSS_NAMES = {"naivesoftmax": "naive-softmax", "softmax": "naive-softmax",
              "negsample": "neg-sampling", "negsampling": "neg-sampling",
              "negativesampling": "neg-sampling", "ns": "neg-sampling",
              "crossentropy": "cross-entropy", "ce": "cross-entropy", "skipgram": "skip-gram",
              "sg": "skip-gram"}
# Problems without negative samples: there Σ_k runs over the vocabulary.
VOCABULARY_PROBLEMS = frozenset({"naive-softmax", "cross-entropy"})
# Functions students write without a backslash (or in \text, \mathrm, \operatorname).
WORD_FUNCTIONS = {"exp": "exp", "log": "log", "ln": "log", "softmax": "softmax",
                  "sigmoid": "sigma", "sigma": "sigma"}
# \text{...} words that open a condition (… \text{for } w = o) and that mean "in every other case".
CONDITION_WORDS = frozenset({"if", "for", "when", "where"})
OTHERWISE_WORDS = frozenset({"otherwise", "else", "elsewhere", "o.w.", "ow", "o.w"})
# \text{for all } w: a quantifier over what the formula leaves free, not a condition to check.
QUANTIFIER_WORDS = ("for all", "for every", "for each", "for any", "forall")
# Font and accent commands: the first is ignored, the second is part of the name.
FONTS = frozenset({"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "vec", "mathnormal", "pmb",
                   "textbf", "mathbb", "boldmath", "mathsf", "bold", "symbf"})
ACCENTS = frozenset({"hat", "widehat", "dot", "tilde", "bar", "check"})
# An accented index letter (\sum_{\hat{w}}, u_{\hat{w}}): the letter and its combining mark, ŵ.
INDEX_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "bar": "\u0304",
                 "dot": "\u0307", "check": "\u030c"}
# The letters notation.GREEK_TEXT prints, spelled as LaTeX writes them without \ (kept here, not
# imported: check-steps reads a warm cache without loading SymPy, which notation imports; a test
# keeps the two the same).
GREEK = frozenset({"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu",
                   "nu", "omega", "phi", "psi", "rho", "sigma", "tau", "xi", "zeta", "pi", "ell"})
# Names a message may suggest for a misspelt one.
KNOWN_NAMES = ("U", "u_o", "u_w", "u_k", "u_w'", "v_c", "y", "y_w", "y_o", r"\hat{y}",
               r"\hat{y}_w", r"\hat{y}_o", "U_neg", "n", "n_w", "x", r"\alpha", "J", "w", "o", "k",
               "j")


# Commands the reader knows, for suggesting one when a formula uses another.
KNOWN_MACROS = ("\\frac", "\\sum", "\\exp", "\\log", "\\sigma", "\\max", "\\partial",
                "\\hat", "\\mathbf", "\\boldsymbol", "\\left", "\\right", "\\cdot",
                "\\times", "\\circ", "\\top", "\\text", "\\delta", "\\alpha", "\\nabla", "\\mid",
                "\\in", "\\neq", "\\begin", "\\end", "\\quad", "\\operatorname")


def is_index(atom: str, bound: frozenset[str] | set[str] = frozenset()) -> bool:
    """`w`, `w'`, `k''`, `o`, `j`: an index letter with any number of primes — or any letter a
    Σ around it binds (`bound`)."""
    if atom in bound:
        return True
    return bool(re.fullmatch(r"[a-z](?:'*|[\u0302\u0303\u0304\u0307\u030c])", atom)) and \
        atom[0] in INDEX_LETTERS


def default_range(index: str) -> str:
    return INDEX_LETTERS.get(index[0], "V")


def loss_problem(subscript: str) -> str | None:
    """The problem a loss subscript names: `\\text{naive-softmax}` → naive-softmax; a long name
    misspelt by a letter or two (`negseample`) is the one it is closest to, if only one is."""
    key = re.sub(r"\\(?:text|mathrm|textrm|operatorname|mathit)|[^A-Za-z]", "", subscript).lower()
    if key in LOSS_NAMES or len(key) < 7:
        return LOSS_NAMES.get(key)
    close = difflib.get_close_matches(key, [k for k in LOSS_NAMES if len(k) >= 7], n=2,
                                      cutoff=0.85)
    problems = {LOSS_NAMES[k] for k in close}
    return problems.pop() if len(problems) == 1 else None


@dataclass(frozen=True)
class Aliases:
    """--alias FROM=TO: `uw=u_w`, `u_0=u_o`, `\\dot{y}=\\hat{y}`, `0=o` (an index)."""

    table: dict[str, str] = field(default_factory=dict)
    # U as the text declares it, |V|×d with the u_w as its rows (conventions.py): read as Uᵀ
    u_rows: bool = False
    # constants a loss file declares (--problem LOSS.tex): λ is that constant, not unknown
    constants: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, items: list[str] | tuple[str, ...]) -> Aliases:
        table: dict[str, str] = {}
        for item in items:
            old, sep, new = item.partition("=")
            old, new = normalise(old.strip()), normalise(new.strip())
            if not sep or not old or not new:
                raise ValueError(f"--alias {item!r}: expected NAME=NAME, e.g. --alias uw=u_w")
            table[old] = new
        return cls(table)

    def letter_keys(self) -> list[str]:
        """Keys spelt as plain letters (`uw`), longest first: the reader tries them at a letter."""
        return sorted((k for k in self.table if re.fullmatch(r"[A-Za-z]{2,}", k)), key=len,
                      reverse=True)

    def name(self, written: str) -> str:
        """The name after aliasing: the whole name, then its base, then each index."""
        if written in self.table:
            return self.table[written]
        base, sep, sub = written.partition("_")
        # A one-letter key maps only the bare name: `v=U` must leave v_c alone.
        if len(base) > 1:
            base = self.table.get(base, base)
        if not sep:
            return base
        atoms = [self.table.get(a, a) for a in sub.split(",")]
        return f"{base}_{','.join(atoms)}"

    def index(self, atom: str) -> str:
        return self.table.get(atom, atom)

    def with_index(self, old: str, new: str) -> Aliases:
        return Aliases({**self.table, old: new}, self.u_rows, self.constants)

    def with_u_rows(self) -> Aliases:
        return Aliases(self.table, True, self.constants)

    def with_constants(self, names: frozenset[str]) -> Aliases:
        return Aliases(self.table, self.u_rows, self.constants | names)


def normalise(written: str) -> str:
    """A name typed on the command line, in the reader's normal form: `\\mathbf{u}_{w}` → `u_w`."""
    s = re.sub(r"\\(?:" + "|".join(sorted(FONTS)) + r")\s*\{([^{}]*)\}", r"\1", written)
    s = re.sub(r"\\text\s*\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(" + "|".join(sorted(ACCENTS)) + r")\s*\{\s*([^{}]*?)\s*\}", r"\\\1{\2}", s)
    s = re.sub(r"_\{([^{}]*)\}", r"_\1", s)
    return re.sub(r"\s+", "", s)


def unknown(written: str, line: int, col: int, *, what: str = "name") -> ReadError:
    """The error for a name we do not know, with the closest known one and the --alias to use —
    only when it is a plausible reading: the same kind of thing (a vector for a vector, an
    index for an index), close in spelling, and not the name itself."""
    if what == "macro":
        close = _closest(written, [m for m in KNOWN_MACROS if m != written], 0.75)
        hint = f"; did you mean {close}?" if close else ""
        return ReadError(f"unknown macro {written}{hint} (a macro the file defines with "
                         "\\newcommand or \\def is read)", line, col)
    known = KNOWN_NAMES if what == "name" else tuple(INDEX_LETTERS)
    base, _, sub = written.partition("_")
    if re.fullmatch(r"[1-9][0-9]*", sub):
        return ReadError(f"unknown {what} {written} (a numbered column is not read; an index "
                         "such as u_w is)", line, col)

    def core(name: str) -> str:  # \dot{y} and \hat{y} are both a y
        return re.sub(r"\\[a-z]+\{([^{}]*)\}", r"\1", name.split("_")[0])
    # W is not U, \omega is not U_neg: a suggestion keeps the base letter, and a subscripted
    # name is suggested only for a subscripted one
    same = [k for k in known if core(k) == core(base) and ("_" in k or not sub)]
    spelt = written.replace("0", "o")
    close = _closest(spelt, same, 0.5) if same else None
    if close is None and "_" not in written and len(written) >= 2:
        close = _closest(spelt, known, 0.75)  # uw → u_w, yhat → \hat{y}
    hint = ""
    if close and close != written:
        hint = (f"; did you mean {close}? If {written} means {close} in this text, pass "
                f"--alias '{written}={close}'")
    return ReadError(f"unknown {what} {written}{hint}", line, col)


def _closest(written: str, known: tuple[str, ...] | list[str], cutoff: float) -> str | None:
    """The known spelling closest to `written` (the first listed among equals), if close."""
    scored = [(difflib.SequenceMatcher(None, written, k).ratio(), -at, k)
              for at, k in enumerate(known)]
    best = max(scored, default=None)
    return best[2] if best is not None and best[0] >= cutoff else None

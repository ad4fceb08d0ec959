"""A side as text for the report: Unicode, compact, parenthesised only where needed."""
from __future__ import annotations

from . import nodes as N  # the node classes, read as N.Sum, N.Deriv

# α and the constants a loss file may declare (vocabulary.FILE_CONSTANTS), as they are shown
_CONSTANTS = {r"\alpha": "α", r"\lambda": "λ", r"\mu": "μ", r"\beta": "β", r"\gamma": "γ",
              r"\tau": "τ", r"\epsilon": "ε", r"\varepsilon": "ε", r"\eta": "η", r"\kappa": "κ",
              r"\rho": "ρ", r"\nu": "ν"}

_OBJECTS = {"U": "U", "v_c": "v_c", "y": "y", r"\hat{y}": "ŷ", "U_neg": "U_neg", "x": "x",
            "n": "n", "v_w": "v_w", "x_vec": "x"}
_FUNCTIONS = {"exp": "exp", "log": "log", "sigma": "σ", "softmax": "softmax", "dsigma": "σ'"}
# Wrapped in parentheses as a numerator, denominator or base.
_PRODUCT = (N.Add, N.Mul, N.Neg, N.Div, N.Sum)
_GREEK = {"\\theta": "θ", "\\beta": "β", "\\gamma": "γ", "\\lambda": "λ", "\\mu": "μ",
          "\\phi": "φ", "\\psi": "ψ", "\\eta": "η", "\\xi": "ξ", "\\zeta": "ζ", "\\omega": "ω"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def text(node: N.Node) -> str:
    match node:
        case N.Num(value=v):
            return v
        case N.Obj(name=name, word=str(word)):
            return f"{_OBJECTS.get(name, name)}_{{w_{{{word}}}}}"
        case N.Obj(name=name):
            return _OBJECTS.get(name, name)
        case N.Const(name=name):  # α, or a loss file's λ
            return _CONSTANTS.get(name, name)
        case N.Size(name=name):
            return name
        case N.Column(index=i):
            return f"u_{i}"
        case N.Pick(of=N.Obj(name=name), indices=idx) if name in ("y", r"\hat{y}", "U", "n",
                                                                   "x_vec"):
            return f"{text(node.of)}_{''.join(idx) if len(idx) == 1 else ','.join(idx)}"
        case N.Pick(of=N.Ref() as of, indices=idx):
            return f"{text(of)}_{','.join(idx)}"
        case N.Pick(of=of, indices=idx):
            return f"({text(of)})_{','.join(idx)}"
        case N.Ref(name="J_cross-entropy"):  # CE(y, ŷ), as it was written
            return "CE(y, ŷ)"
        case N.Ref(name=name) if node.outside is not None:
            return f"J(v_c, w_{{{node.outside}}}, U)"
        case N.Ref(name=name):
            return "J" if name.startswith("J") else _GREEK.get(name, name)
        case N.Delta(a=a, b=b):
            return f"δ_{a}{b}"
        case N.Neg(a=a):
            return "-" + _wrap(a, (N.Add,))
        case N.Add(terms=terms):
            out = text(terms[0])
            for t in terms[1:]:
                out += f" - {_wrap(t.a, (N.Add,))}" if isinstance(t, N.Neg) else f" + {text(t)}"
            return out
        case N.Mul(factors=fs, ops=ops):
            out = _wrap(fs[0], (N.Add, N.Neg))
            for op, f in zip(ops, fs[1:], strict=True):
                out += (f" {op} " if op else " ") + _wrap(f, (N.Add, N.Neg))
            return out
        case N.Div(num=a, den=b):
            return f"{_wrap(a, _PRODUCT)}/{_wrap(b, _PRODUCT)}"
        case N.Pow(base=a, exp=N.Num(value=v)) if v.isdigit():
            return _wrap(a, (*_PRODUCT, N.Deriv)) + v.translate(_SUPERSCRIPT)
        case N.Pow(base=a, exp=b):
            return f"{_wrap(a, (N.Add, N.Mul, N.Neg, N.Div, N.Sum))}^({text(b)})"
        case N.Transpose(a=N.Stacked(index=i, size=size, body=N.Transpose(a=body))):
            return f"[{text(body)}]_{i}=1…{size} (as rows)"  # a_1 \\ ⋮ \\ a_{|V|}
        case N.Transpose(a=N.Transpose(a=a)):  # (Uᵀ)ᵀ, a U declared |V|×d transposed: U
            return text(a)
        case N.Transpose(a=a):
            return _wrap(a, (N.Add, N.Mul, N.Neg, N.Div, N.Sum, N.Deriv)) + "ᵀ"
        case N.Func(name="abs", arg=a):
            return f"|{text(a)}|"
        case N.Func(name="norm", arg=a):
            return f"‖{text(a)}‖"
        case N.Func(name=name, arg=a):
            return f"{_FUNCTIONS[name]}({text(a)})"
        case N.Max(args=args):
            return f"max({', '.join(text(a) for a in args)})"
        case N.Stacked(index=i, size=size, body=body):
            return f"[{text(body)}]_{i}=1…{size}"
        case N.Sum(index=i, body=body, window=True):
            j = i.removeprefix("t+")
            return f"Σ_{{-m≤{j}≤m, {j}≠0}} {_wrap(body, (N.Add,))}"
        case N.Sum(index=i, body=body, exclude=ex):
            under = (f"{i}={ex[1:]}" if ex.startswith("=") else f"{i}≠{ex}") if ex else i
            return f"Σ_{under} {_wrap(body, (N.Add,))}"
        case N.Deriv(body=body, var=var, operator=True):
            return f"∂/∂{text(var)} {_wrap(body, (N.Add, N.Mul, N.Neg, N.Sum))}"
        case N.Deriv(body=body, var=var):
            return f"∂{_wrap(body, (N.Add, N.Mul, N.Neg))}/∂{text(var)}"
        case N.Cases(pieces=pieces):
            parts = [f"{text(v)} if {text(c)}" if c is not None else f"{text(v)} otherwise"
                     for v, c in pieces]
            return "{" + "; ".join(parts) + "}"
        case N.IndexRel(a=a, op=op, b=b):
            return f"{a} {op} {b}"
        case N.ValueRel(a=a, op=op, b=b):
            return f"{text(a)} {op} {text(b)}"
    return type(node).__name__


def _wrap(node: N.Node, kinds: tuple[type, ...]) -> str:
    shown = text(node)
    return f"({shown})" if isinstance(node, kinds) else shown

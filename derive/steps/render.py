"""A side as text for the report: Unicode, compact, parenthesised only where needed."""
from __future__ import annotations

from .nodes import (
    Add,
    Cases,
    Column,
    Const,
    Delta,
    Deriv,
    Div,
    Func,
    IndexRel,
    Max,
    Mul,
    Neg,
    Node,
    Num,
    Obj,
    Pick,
    Pow,
    Ref,
    Size,
    Sum,
    Transpose,
    ValueRel,
)

_OBJECTS = {"U": "U", "v_c": "v_c", "y": "y", r"\hat{y}": "ŷ", "U_neg": "U_neg", "x": "x"}
_FUNCTIONS = {"exp": "exp", "log": "log", "sigma": "σ", "softmax": "softmax"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def text(node: Node) -> str:
    match node:
        case Num(value=v):
            return v
        case Obj(name=name):
            return _OBJECTS.get(name, name)
        case Const():
            return "α"
        case Size(name=name):
            return name
        case Column(index=i):
            return f"u_{i}"
        case Pick(of=Obj(name=name), indices=idx) if name in ("y", r"\hat{y}", "U"):
            return f"{text(node.of)}_{''.join(idx) if len(idx) == 1 else ','.join(idx)}"
        case Pick(of=of, indices=idx):
            return f"({text(of)})_{','.join(idx)}"
        case Ref(name=name):
            return "J" if name.startswith("J") else name
        case Delta(a=a, b=b):
            return f"δ_{a}{b}"
        case Neg(a=a):
            return "-" + _wrap(a, (Add,))
        case Add(terms=terms):
            out = text(terms[0])
            for t in terms[1:]:
                out += f" - {_wrap(t.a, (Add,))}" if isinstance(t, Neg) else f" + {text(t)}"
            return out
        case Mul(factors=fs, ops=ops):
            out = _wrap(fs[0], (Add, Neg))
            for op, f in zip(ops, fs[1:], strict=True):
                out += (f" {op} " if op else " ") + _wrap(f, (Add, Neg))
            return out
        case Div(num=a, den=b):
            return f"{_wrap(a, (Add, Mul, Neg, Div, Sum))}/{_wrap(b, (Add, Mul, Neg, Div, Sum))}"
        case Pow(base=a, exp=Num(value=v)) if v.isdigit():
            return _wrap(a, (Add, Mul, Neg, Div, Sum, Deriv)) + v.translate(_SUPERSCRIPT)
        case Pow(base=a, exp=b):
            return f"{_wrap(a, (Add, Mul, Neg, Div, Sum))}^({text(b)})"
        case Transpose(a=a):
            return _wrap(a, (Add, Mul, Neg, Div, Sum, Deriv)) + "ᵀ"
        case Func(name="abs", arg=a):
            return f"|{text(a)}|"
        case Func(name="norm", arg=a):
            return f"‖{text(a)}‖"
        case Func(name=name, arg=a):
            return f"{_FUNCTIONS[name]}({text(a)})"
        case Max(args=args):
            return f"max({', '.join(text(a) for a in args)})"
        case Sum(index=i, body=body, exclude=ex):
            under = f"{i}≠{ex}" if ex else i
            return f"Σ_{under} {_wrap(body, (Add,))}"
        case Deriv(body=body, var=var, operator=True):
            return f"∂/∂{text(var)} {_wrap(body, (Add, Mul, Neg, Sum))}"
        case Deriv(body=body, var=var):
            return f"∂{_wrap(body, (Add, Mul, Neg))}/∂{text(var)}"
        case Cases(pieces=pieces):
            parts = [f"{text(v)} if {text(c)}" if c is not None else f"{text(v)} otherwise"
                     for v, c in pieces]
            return "{" + "; ".join(parts) + "}"
        case IndexRel(a=a, op=op, b=b):
            return f"{a} {op} {b}"
        case ValueRel(a=a, op=op, b=b):
            return f"{text(a)} {op} {text(b)}"
    return type(node).__name__


def _wrap(node: Node, kinds: tuple[type, ...]) -> str:
    shown = text(node)
    return f"({shown})" if isinstance(node, kinds) else shown

"""The package is the pipeline: every package shipped, imports one way, a short top level."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "derive"
# The stages in pipeline order; a module may import only from its own stage or earlier ones.
STAGES = [
    {"derive.errors", "derive.notation", "derive.files"},
    {"derive.calculus", "derive.engine"},
    # the built-in problems are loss files, read by the step checker's grammar (steps)
    {"derive.printing", "derive.codegen", "derive.kernels", "derive.steps", "derive.problems"},
    {"derive.cs224n", "derive.verify", "derive.render"},
    {"derive.build"},
    {"derive.cli", "derive.__main__"},
]
# The documented imports against the direction, each inside one function: Jupyter's hook on a
# derivation record, and derive.compile (the top level's one function) loading the kernel printer.
HOOKS = {("derive.calculus.records", "derive.render.report"), ("derive", "derive.codegen.module")}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every derive module `path` imports, at the top or inside a function."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("derive")}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("derive"):
                continue
            # `from . import x` names a module x when there is one.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if _exists(sub, root) else target)
    return out - {name}


def _exists(module: str, root: Path) -> bool:
    path = root.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _stage(module: str) -> int:
    if module == "derive":  # its __init__ holds the version and derive.compile (a hook)
        return 0
    for number, stage in enumerate(STAGES):
        if any(module == s or module.startswith(s + ".") for s in stage):
            return number
    raise AssertionError(f"{module} is in no stage of the pipeline: add it to STAGES")


def test_every_package_is_shipped():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {_module_name(p) for p in PACKAGE.rglob("__init__.py")} | {"derive.templates"}
    assert listed == found


def test_imports_run_one_way_through_the_pipeline():
    backwards = sorted((m, t) for m, targets in _graph().items() for t in targets
                       if _stage(t) > _stage(m) and (m, t) not in HOOKS)
    assert backwards == []


def test_no_import_cycle():
    graph = {m: {t for t in ts if (m, t) not in HOOKS} for m, ts in _graph().items()}
    # A package imports its own modules, so a cycle through a package's __init__ counts too.
    seen: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> list[str] | None:
        seen[module] = 1
        for target in sorted(graph.get(module, ())):
            if seen.get(target) == 1:
                return path + [module, target]
            if target not in seen and (cycle := visit(target, path + [module])):
                return cycle
        seen[module] = 2
        return None

    cycles = [c for m in sorted(graph) if m not in seen and (c := visit(m, []))]
    assert cycles == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    for name in ("derive/__init__.py", "derive/notation.py", "derive/calculus/__init__.py",
                 "derive/calculus/rules.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    module = tmp_path / "derive" / "x.py"
    module.write_text("def f():\n    from . import notation\n    from .calculus import rules\n")
    assert _imports(module, tmp_path) == {"derive.notation", "derive.calculus.rules"}


def test_a_short_top_level():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 12, modules

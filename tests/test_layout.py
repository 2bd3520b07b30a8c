"""The layout holds: imports go one way (library <- pipeline <- apps <- cli), no cycles, no task
module imported by the library, function-level imports only for optional heavy packages."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LIBRARY = (
    "errors",
    "files",
    "outputs",
    "resources",
    "types",
    "costs",
    "models",
    "planners",
    "control",
    "data",
    "diagnostics",
    "training",
    "evaluation",
    "viz",
)
"""The library's units, lowest first: each may import only itself and the units before it."""
RANK = {
    **{unit: i for i, unit in enumerate(LIBRARY)},
    "pipeline": 100,
    "apps": 200,
    "cli": 300,
    "__main__": 300,
}
LAZY_OK = {"mbrl", "pytorch_mppi", "torch.utils.tensorboard", "dm_control", "gymnasium", "ogbench"}
"""Optional or heavy packages that may be imported inside a function."""


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = {**_modules("mpc_jepa"), **_modules("tasks")}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every import statement in ``path``."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:  # `from pkg import submodule` depends on the submodule
                sub = f"{node.module}.{a.name}"
                out.append((sub if sub in MODULES else node.module, id(node) in top))
    return out


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mpc_jepa" or len(parts) == 1:
        return None
    return parts[1]


def _edges() -> dict[str, set[str]]:
    return {m: {i for i, _ in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    path, unit = MODULES[module], _unit(module)
    for imported, top_level in _imports(path):
        if not top_level:
            assert any(imported == p or imported.startswith(p + ".") for p in LAZY_OK), (
                f"{module} imports {imported} inside a function: move it to the top of the module"
            )
        if module.startswith("tasks"):
            assert not imported.startswith("mpc_jepa"), (
                f"tasks must not import the toolkit: {module} -> {imported}"
            )
            continue
        if imported.startswith("tasks") and unit in LIBRARY:
            pytest.fail(
                "the library must ask the task object, not import a task module: "
                f"{module} -> "
                f"{imported}"
            )
        target = _unit(imported)
        if unit is None or target is None or target == unit:
            continue
        assert RANK[target] <= RANK[unit], (
            f"upward import: {module} ({unit}) -> {imported} ({target})"
        )


def test_no_circular_imports():
    edges, state, stack = _edges(), {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == "open":
                pytest.fail("circular import: " + " -> ".join(stack[stack.index(n) :] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_checker_sees_a_violation(tmp_path):
    """The rules are not vacuous: an upward import is found in a module's source."""
    bad = tmp_path / "bad.py"
    bad.write_text("from mpc_jepa.apps.demo import run_demo\n\ndef f():\n    import numpy\n")
    found = _imports(bad)
    assert ("mpc_jepa.apps.demo", True) in found and ("numpy", False) in found
    assert RANK[_unit("mpc_jepa.apps.demo")] > RANK["planners"]


MODULE_LINES, FUNCTION_LINES = 400, 80
"""Outliers only: the guidance (docs/ARCHITECTURE.md) is ~300 lines a module, ~60 a function,
split where the code asks for it; these bounds catch a module or function that grew unnoticed,
with no exemption."""


def test_no_module_or_function_grows_unnoticed():
    for module, path in MODULES.items():
        source = path.read_text()
        lines = len(source.splitlines())
        assert lines <= MODULE_LINES, f"{module} has {lines} lines: split it by purpose"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= FUNCTION_LINES, f"{module}.{node.name} has {length} lines"

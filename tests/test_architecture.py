"""The one-way data flow is enforced: no lower layer imports a higher one (import-linter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    exe = str(beside) if beside.exists() else shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (pip install -e .[dev])")
    return exe


def test_layers_contract_holds():
    r = subprocess.run([_tool("lint-imports"), "--config", str(REPO / "pyproject.toml")], capture_output=True,
                       text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "KEPT" in r.stdout


def test_ruff_passes_over_the_whole_tree():
    """``[tool.ruff]`` in pyproject.toml: the package, tests, benchmarks and scripts."""
    r = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_passes_over_the_package():
    """``[tool.mypy]`` in pyproject.toml: every module of ``src/harborwatch``."""
    r = subprocess.run([_tool("mypy")], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr


def test_heavy_dependencies_are_not_imported_by_the_core_path():
    code = ("import harborwatch.store, harborwatch.cli.main, sys; "
            "print(sorted(m for m in ('pyspark','rasterio','fastapi','torch') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "[]", r.stderr


def _import_graph():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (pip install -e .[dev])")
    return grimp.build_graph("harborwatch", include_external_packages=False)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    """No two modules import each other, directly or through others, counting imports inside
    functions and under ``TYPE_CHECKING`` (a package's ``__init__`` counts as a module)."""
    g = _import_graph()
    edges = {m: set(g.find_modules_directly_imported_by(m)) for m in g.modules}
    assert _cycles(edges) == []


def _long_functions(tree, max_lines: int) -> list[tuple[str, int]]:
    import ast

    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kernel = any("njit" in ast.unparse(d) or "vectorize" in ast.unparse(d) for d in node.decorator_list)
            n = node.end_lineno - node.lineno + 1
            if n > max_lines and not kernel:
                out.append((node.name, n))
    return out


def test_size_checker_finds_a_planted_long_function():
    import ast

    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    assert _long_functions(ast.parse(f"def f():\n{body}\n"), 80) == [("f", 82)]
    assert _long_functions(ast.parse(f"@njit(cache=True)\ndef f():\n{body}\n"), 80) == []


def test_no_source_file_over_600_lines_and_no_function_over_80_outside_numba_kernels():
    import ast

    big = []
    for p in sorted((REPO / "src" / "harborwatch").rglob("*.py")):
        text = p.read_text()
        rel = str(p.relative_to(REPO))
        if len(text.splitlines()) > 600:
            big.append(f"{rel}: {len(text.splitlines())} lines")
        big += [f"{rel}: {name}() {n} lines" for name, n in _long_functions(ast.parse(text), 80)]
    assert big == []


def test_design_layer_table_names_every_package():
    """DESIGN.md's layer table lists each top-level package and module of harborwatch, and no other."""
    import re

    src = REPO / "src" / "harborwatch"
    have = {p.name for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    have |= {p.stem for p in src.glob("*.py") if p.stem != "__init__"}
    text = (REPO / "DESIGN.md").read_text()
    table = text[text.index("| package | role | imports |"):]
    table = table[:table.index("\n\n")]
    listed = set(re.findall(r"^\| `harborwatch\.(\w+)` \|", table, flags=re.M))
    assert listed == have

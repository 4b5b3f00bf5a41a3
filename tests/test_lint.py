"""The code is linted and consistently formatted (ruff, configured in pyproject.toml), and mnlib keeps its shape:
short modules and functions, each module naming its chapter, no private names taken, no import cycle."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff():
    found = Path(sys.executable).with_name("ruff")
    if found.exists():
        return str(found)
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: pip install -r requirements.txt")
    return found


def test_ruff_finds_nothing_to_fix():
    result = subprocess.run([_ruff(), "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_code_is_formatted_by_ruff():
    result = subprocess.run([_ruff(), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "run `ruff format .`:\n" + result.stdout[-4000:] + result.stderr[-2000:]


# The shape of mnlib (../shared/STYLE.md): small modules and functions, each module saying which chapter
# introduces it, what is shared made public, and imports that go one way.

MNLIB = ROOT / "mnlib"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60  # a function's code, from its first statement after the docstring to its end
CHAPTER = re.compile(r"\b[Cc]hapters?\s+\d+")


def _modules() -> dict[str, Path]:
    """Every module of mnlib by dotted name (a package by its __init__)."""
    found = {}
    for path in sorted(MNLIB.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> list[tuple[str, list[str], int]]:
    """Each import of mnlib by module ``name``, anywhere in it (functions too): (module, names taken, line).

    ``from mnlib.data import pipeline`` imports the module mnlib.data.pipeline; ``from mnlib.data import
    splits`` takes the name ``splits`` from mnlib.data.
    """
    found = []
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names if alias.name.split(".")[0] == "mnlib"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "mnlib":
                continue
            taken = []
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    found.append((f"{source}.{alias.name}", [], node.lineno))
                else:
                    taken.append(alias.name)
            if taken:
                found.append((source, taken, node.lineno))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@pytest.mark.parametrize("name", MODULES)
def test_module_is_short(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines (at most {MAX_MODULE_LINES}): split it by concept"


@pytest.mark.parametrize("name", MODULES)
def test_functions_are_short(name):
    long = []
    for node in ast.walk(_tree(name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring does not count
            lines = node.end_lineno - body[0].lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{node.name} (line {node.lineno}): {lines} lines")
    assert not long, f"{name}: functions over {MAX_FUNCTION_LINES} lines of code: {long}"


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_names_the_chapter_that_introduces_it(name):
    docstring = ast.get_docstring(_tree(name)) or ""
    assert CHAPTER.search(docstring), f"{name}: its docstring should say which chapter introduces it (e.g. 'chapter 3')"


@pytest.mark.parametrize("name", MODULES)
def test_no_module_takes_another_modules_private_names(name):
    taken = [
        f"line {line}: {', '.join(n for n in names if _private(n))} from {source}"
        for source, names, line in _imports(name)
        if source != name and any(_private(n) for n in names)
    ]
    bound = {}  # the names under which this module holds other modules of mnlib
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            bound |= {alias.asname or alias.name: alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if _resolved(name, node, alias.name) in MODULES:
                    bound[alias.asname or alias.name] = _resolved(name, node, alias.name)
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            holder = _dotted(node.value)
            if holder in bound and bound[holder] != name:
                taken.append(f"line {node.lineno}: {holder}.{node.attr} of {bound[holder]}")
    assert not taken, f"{name} uses private names of other modules (make them public, documented, tested): {taken}"


def _resolved(name: str, node: ast.ImportFrom, alias: str) -> str:
    """The dotted name ``from ... import alias`` refers to, relative imports resolved."""
    if not node.level:
        return f"{node.module}.{alias}" if node.module else alias
    package = (name if _is_package(name) else name.rpartition(".")[0]).split(".")
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []) + [alias])


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` of an attribute chain of names, or None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _import_graph() -> dict[str, set[str]]:
    graph = {name: set() for name in MODULES}
    for name in MODULES:
        graph[name] |= {source for source, _, _ in _imports(name) if source in MODULES and source != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each a list of names."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_mnlib_modules():
    """Imports inside functions count: a cycle hidden in a function is still a knot."""
    graph = _import_graph()
    cycles = _cycles(graph)
    shown = [f"{' <-> '.join(group)} ({group[0]} imports {sorted(graph[group[0]] & set(group))})" for group in cycles]
    assert not cycles, "modules of mnlib that import each other (directly or through a chain):\n" + "\n".join(shown)

"""The package's shape: no import cycles, no private names imported across modules, no storage in
the CLI, benchmarks that use the library's parameters rather than patching its globals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "imgorg"
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
STORAGE_WRITERS = {"write_artifact", "write_parquet", "write_npy", "write_json", "atomic_write", "save_workspace",
                   "replace_clusterings", "workspace_lock"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports(name: str):
    """(imported module, imported names, line) for every import in a module, function-level ones too."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names], node.lineno


def dependencies(name: str) -> set[str]:
    """The package modules ``name`` imports: ``from pkg import sub`` is the submodule, any other name the
    package's ``__init__`` (which imports it)."""
    out = set()
    for target, names, _ in imports(name):
        if target not in MODULES:
            continue
        submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        out.update(submodules)
        if not names or len(submodules) < len(names):
            out.add(target)
    out.discard(name)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycles():
    graph = {name: dependencies(name) for name in MODULES}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def private_imports(name: str) -> list[str]:
    return [f"{MODULES[name].relative_to(SRC)}:{line}: {target}.{n}"
            for target, names, line in imports(name)
            for n in names if n.startswith("_") and not n.startswith("__") and target != name]


def test_no_module_imports_a_private_name_of_another():
    assert [hit for name in MODULES for hit in private_imports(name)] == []


def private_attributes(name: str) -> list[str]:
    """``module._name`` where ``module`` is another package module bound by an import."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) or isinstance(node, ast.Import):
            for target, names, _ in imports_of(node, name):
                for alias, module in names:
                    if module in MODULES and module != name:
                        bound[alias] = module
    return [f"{MODULES[name].relative_to(SRC)}:{node.lineno}: {bound[node.value.id]}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound
            and node.attr.startswith("_") and not node.attr.startswith("__")]


def imports_of(node, name: str):
    """(target, [(bound name, module)]) of one import statement."""
    if isinstance(node, ast.Import):
        yield node.names[0].name, [(a.asname or a.name, a.name) for a in node.names if a.asname], node.lineno
        return
    package = name if is_package(name) else name.rpartition(".")[0]
    base = package.split(".")
    target = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else [])) if node.level \
        else node.module or ""
    yield target, [(a.asname or a.name, f"{target}.{a.name}") for a in node.names], node.lineno


def test_no_module_uses_a_private_name_of_another_module():
    assert [hit for name in MODULES for hit in private_attributes(name)] == []


def test_cli_modules_hold_no_storage_logic():
    """The CLI parses, calls a library verb, prints: every workspace file is written by the library."""
    writers = [f"{name}: {n}" for name in MODULES if name.startswith("imgorg.cli")
               for _, names, _ in imports(name) for n in names if n in STORAGE_WRITERS]
    assert writers == []


@pytest.mark.parametrize("script", sorted(BENCHMARKS.rglob("*.py")), ids=lambda p: p.name)
def test_benchmarks_use_public_names_and_patch_no_globals(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imgorg_modules, problems = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("imgorg"):
            problems += [f"imports {node.module}.{a.name}" for a in node.names
                         if a.name.startswith("_") and not a.name.startswith("__")]
            imgorg_modules.update(a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in MODULES)
        elif isinstance(node, ast.Import):
            imgorg_modules.update(a.asname or a.name for a in node.names if a.name.startswith("imgorg"))
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and ast.unparse(target.value) in imgorg_modules:
                problems.append(f"line {node.lineno}: sets {ast.unparse(target)}")
    assert problems == []


STORE_MAY_IMPORT = {"imgorg.errors", "imgorg.fileio", "imgorg.constants", "imgorg.catalog"}


def test_the_workspace_store_imports_nothing_above_it():
    """workspace/ stores and only stores: names, scores, models and the vocabulary are the read model's."""
    above = [f"{name} imports {dep}" for name in MODULES if name.startswith("imgorg.workspace")
             for dep in dependencies(name)
             if not dep.startswith("imgorg.workspace") and dep not in STORE_MAY_IMPORT]
    assert above == []


def test_the_label_constants_live_in_a_module_that_imports_nothing():
    tree = ast.parse(MODULES["imgorg.constants"].read_text(encoding="utf-8"))
    imported = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imported == []
    users = [name for name in MODULES if any(t.endswith("clustering.estimators") and "NOISE" in names
                                              for t, names, _ in imports(name))]
    assert users == []  # NOISE comes from imgorg.constants, not from the module that loads scikit-learn


def private_assignments(name: str) -> list[str]:
    """``obj._name = ...`` outside ``self``/``cls``, for a private name no class of this module declares:
    another module's private state reset from outside (a cache, a flag)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    declared = {t.target.id for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                for t in n.body if isinstance(t, ast.AnnAssign) and isinstance(t.target, ast.Name)}
    declared |= {t.attr for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
                 for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                 for t in (t.elts if isinstance(t, ast.Tuple) else [t])
                 if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in ("self", "cls")}
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            continue
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (isinstance(t, ast.Attribute) and t.attr.startswith("_") and not t.attr.startswith("__")
                        and not (isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"))
                        and t.attr not in declared):
                    hits.append(f"{MODULES[name].relative_to(SRC)}:{node.lineno}: {ast.unparse(t)}")
    return hits


def test_no_module_assigns_another_modules_private_names():
    assert [hit for name in MODULES for hit in private_assignments(name)] == []


def test_the_private_assignment_check_finds_one(tmp_path, monkeypatch):
    module = tmp_path / "m.py"
    module.write_text("def f(ws):\n    ws._curated, ws._names = None, {}\n")
    monkeypatch.setitem(MODULES, "m", module)
    monkeypatch.setattr("tests.test_architecture.SRC", tmp_path)
    assert private_assignments("m") == ["m.py:2: ws._curated", "m.py:2: ws._names"]


def test_no_module_shadows_the_standard_library():
    """A module named like a standard one (inspect.py) is imported instead of it by scripts run beside it.
    The CLI's modules are named after the commands they hold, and only ever imported relatively."""
    import sys

    shadows = [name for name in MODULES if not name.startswith("imgorg.cli.")
               and name.rpartition(".")[2] in sys.stdlib_module_names]
    assert shadows == []


def test_no_exported_name_hides_a_module_of_its_package():
    """``from .run import run`` in a package's __init__ makes ``pkg.run`` the function, and the module
    reachable only through importlib."""
    hidden = []
    for name in MODULES:
        if not is_package(name):
            continue
        for _, names, _ in imports(name):
            hidden += [f"{name}.{n}" for n in names if f"{name}.{n}" in MODULES and not is_package(f"{name}.{n}")
                       and not _is_module_import(name, n)]
    assert hidden == []


def _is_module_import(package: str, name: str) -> bool:
    """Whether the package binds ``name`` to its submodule (``from . import name``), not to a function."""
    return any(target == package and name in names for target, names, _ in imports(package))

"""Imports run one way: every module of the package imports, and no two modules import each
other, directly or round a longer circle, whether the import sits at the top of the module or
inside a function (an import moved into a function to dodge a circle is still a circle: the two
modules still need each other, and which one loads first decides whether the program starts)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import glossapi_dagster

PACKAGE = Path(glossapi_dagster.__file__).parent
NAME = glossapi_dagster.__name__


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its __init__.py)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = [NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: dict) -> set[str]:
    """The package's modules that `name` imports anywhere in its text (top, functions, classes):
    `from .a import b` is module a.b where that is a module, else module a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" for alias in node.names]
            targets = [t for t in targets if t in known] or [origin]
        else:
            continue
        for target in targets:
            while target and target not in known:  # a name inside a module: that module
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))
    return found


def test_every_module_imports():
    failed = {}
    for name in modules():
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, by module
            failed[name] = f"{type(exc).__name__}: {exc}"
    assert not failed, failed


def test_no_import_circle():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert graph[f"{NAME}.runs"] >= {f"{NAME}.definitions"}  # the graph sees what it should
    assert not circles(graph), circles(graph)


def test_the_circle_finder_finds_a_circle_through_a_function_import(tmp_path):
    """The test above could pass by seeing nothing: a circle made of an import at the top of one
    module and one inside a function of the other is found."""
    (tmp_path / "a.py").write_text("from .b import g\n")
    (tmp_path / "b.py").write_text("def g():\n    from .a import x\n")
    known = {"p.a": tmp_path / "a.py", "p.b": tmp_path / "b.py"}
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert circles(graph) == [["p.a", "p.b"]]


def test_the_location_is_one_definitions_merged_from_its_domains():
    from glossapi_dagster.definitions import defs
    from glossapi_dagster.defs import download, export, extract, math, ocr, sections

    domains = [download.defs, extract.defs, ocr.defs, math.defs, export.defs, sections.defs]
    assets = {key for d in domains for a in d.assets for key in a.keys}
    assert assets == {key for a in defs.assets for key in a.keys}
    assert {j.name for d in domains for j in d.jobs} == {j.name for j in defs.jobs}

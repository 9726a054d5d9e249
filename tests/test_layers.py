"""The folders are the layers: imports only point down, and nothing imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coop_beancount"
#: Each layer may import the layers with a smaller rank (and itself).
RANK = {"core": 0, "books": 1, "importers": 2, "reports": 2, "fava_pages": 3, "cli": 3,
        "plugins": 2, "site": 2}


def module_name(path: Path) -> str:
    if path.is_relative_to(ROOT / "plugins"):
        return "coop_beancount.plugins." + path.stem
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every coop_beancount module `path` imports, even inside a function; not
    those imported only for type checking."""
    tree = ast.parse(path.read_text())
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and ast.unparse(block.test) == "TYPE_CHECKING"
                   for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "coop_beancount"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("coop_beancount"))
    return found


def modules() -> dict[str, set[str]]:
    paths = [*PACKAGE.rglob("*.py"), *(ROOT / "plugins").glob("*.py")]
    graph = {module_name(path): imports(path) for path in paths}
    return {name: {i for i in found if i in graph} for name, found in graph.items()}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def test_imports_only_point_down():
    wrong = []
    for module, found in modules().items():
        here = layer(module)
        if here is None:
            continue
        for target in found:
            there = layer(target)
            if there is None or there == here:
                continue
            if RANK[there] >= RANK[here]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_import_circles():
    graph = modules()
    # Drop the package-level edges (a package importing its own modules to assemble them).
    edges = {m: {t for t in found if t != m and not t.startswith(m + ".")}
             for m, found in graph.items()}
    state: dict[str, int] = {}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_every_layer_is_known():
    assert {layer(m) for m in modules()} - {None} <= set(RANK)


def test_core_loads_nothing_and_reads_no_files():
    for path in (PACKAGE / "core").glob("*.py"):
        text = path.read_text()
        for forbidden in ("beancount import loader", "beancount.loader", "open(",
                          "read_text(", "subprocess"):
            assert forbidden not in text, f"{path.name} uses {forbidden}"


#: Import names whose PyPI package is called otherwise.
PYPI_NAME = {"yaml": "pyyaml", "flask_babel": "flask-babel"}


def test_every_package_imported_is_declared():
    import configparser
    import sys

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    declared = set()
    # The optional extras' packages count too (WeasyPrint, of the pdf extra, is imported
    # only when a PDF is asked for: reports/pdf.py), but not the test tools.
    lines = config["options"]["install_requires"].splitlines()
    lines += [line for extra, text in config["options.extras_require"].items()
              if extra != "test" for line in text.splitlines()]
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            declared.add(line.split(">")[0].split("<")[0].split("=")[0].split("[")[0].lower())
    imported = set()
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "plugins").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {name for name in imported
                   if name not in sys.stdlib_module_names and name != "coop_beancount"}
    assert {PYPI_NAME.get(name, name) for name in third_party} - declared == set()

"""The package's design, checked: data flows one way, and Whoosh stays in its engine."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "seedindex"

# Lowest first: a module may import its own layer and the layers below it, never above.
LAYERS = [
    ["seedindex.errors", "seedindex._version", "seedindex._stopwords", "seedindex._fs"],
    ["seedindex._analysis"],
    ["seedindex.documents"],
    ["seedindex._config"],
    ["seedindex.sources", "seedindex.ranking"],
    ["seedindex.query"],
    ["seedindex.engine", "seedindex.store", "seedindex.semantic"],
    ["seedindex._results", "seedindex._spelling", "seedindex._searcher", "seedindex._sync"],
    ["seedindex._watch"],
    ["seedindex._index"],
    ["seedindex"],
    ["seedindex._cli", "seedindex._show", "seedindex.__main__", "seedindex.serving"],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at the top or inside functions, made absolute."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if not module_name(path).startswith(module + "."):  # its packages load anyway
                yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matched name, layer)
    for number, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > best[0]
            ):
                best = (len(name), number)
    return None if best is None else best[1]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_lower_layers_never_import_upper_ones(path: Path) -> None:
    own = layer(module_name(path))
    assert own is not None, f"{module_name(path)} belongs to no layer"
    for target in imports(path):
        theirs = layer(target)
        assert theirs is None or theirs <= own, f"{module_name(path)} imports {target}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
@pytest.mark.parametrize("library", ["whoosh", "xapian"])
def test_only_an_engine_imports_its_library(path: Path, library: str) -> None:
    inside = module_name(path).startswith(f"seedindex.engine.{library}")
    for target in imports(path):
        assert inside or not (target == library or target.startswith(library + ".")), target


SHELLS = [PACKAGE / "_cli.py", PACKAGE / "_show.py", *sorted((PACKAGE / "serving").glob("*.py"))]


@pytest.mark.parametrize("path", SHELLS, ids=lambda p: str(p.relative_to(REPO)))
def test_the_cli_and_the_servers_use_only_the_public_api(path: Path) -> None:
    for target in imports(path):
        shells = ("seedindex.serving", "seedindex._show", "seedindex._cli")
        if target.startswith("seedindex") and not target.startswith(shells):
            assert target.split(".")[:2] in (["seedindex"], ["seedindex", "errors"]) or (
                target.count(".") == 1 and not target.split(".")[1].startswith("_")
            ), target


def test_the_checks_see_real_imports() -> None:
    found = set(imports(PACKAGE / "_index.py"))
    assert {"seedindex._searcher", "seedindex.engine", "seedindex.store"} <= found
    assert layer("seedindex.engine.whoosh._read") == layer("seedindex.engine")

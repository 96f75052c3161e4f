"""The package as a user and a maintainer meet it: imports, docs, types and style."""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import seedindex
from seedindex import errors
from tests.conftest import REPO


def test_import_is_warning_free() -> None:
    subprocess.run([sys.executable, "-W", "error", "-c", "import seedindex"], check=True, cwd=REPO)


def test_a_plain_query_loads_no_parser_writer_or_highlighter(tmp_path: Path) -> None:
    """Start-up cost: a word query on an up-to-date index imports only what it needs."""
    opening = f"from seedindex import Index\nix = Index.open(index_dir={str(tmp_path)!r})\n"
    subprocess.run([sys.executable, "-c", opening], check=True)  # builds the index
    code = opening + (
        "import sys\n"
        "assert ix.search('aid convoys')\n"
        "heavy = {'whoosh.qparser', 'whoosh.highlight', 'whoosh.writing', 'multiprocessing',"
        " 'urllib.request', 'asyncio'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_modules_left_out_at_start_up_still_import_whole() -> None:
    code = (
        "import functools, seedindex, urllib.request, cached_property, whoosh.compat\n"
        "assert urllib.request.urlopen and urllib.request.urlretrieve\n"
        "assert cached_property.cached_property is not functools.cached_property\n"
        "assert whoosh.compat.urlretrieve\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_public_api_is_exported_and_sorted() -> None:
    assert seedindex.__all__ == sorted(seedindex.__all__)
    for name in seedindex.__all__:
        assert getattr(seedindex, name) is not None


def test_every_error_has_one_root_and_a_builtin() -> None:
    for name in errors.__all__:
        error = getattr(errors, name)
        assert issubclass(error, errors.SeedIndexError)
        if error is not errors.SeedIndexError:
            assert any(b.__module__ == "builtins" and b is not Exception for b in error.__mro__)
    assert issubclass(errors.IndexLockedError, TimeoutError)
    assert errors.QuerySyntaxError("bad", query="q", position=0).exit_code == 2


def readme_python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    first, *others = readme_python_blocks()
    exec(compile(first, "README.md", "exec"), {})
    assert "[[medical]]" in capsys.readouterr().out
    for block in others:  # the adapters' examples, when their framework is installed
        if "langchain" in block and importlib.util.find_spec("langchain_core") is None:
            continue
        exec(compile(block, "README.md", "exec"), {})
        assert "convoys" in capsys.readouterr().out


def test_readme_documents_every_cli_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    from seedindex._cli import _parser

    actions = _parser()._actions
    commands = next(a for a in actions if isinstance(a, argparse._SubParsersAction))
    for name in commands.choices:
        assert f"seedindex {name}" in readme


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python -m pip install ".[test]" && python -m pytest'
    assert command in readme
    assert command in ci


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_linters_pass(command: list[str]) -> None:
    # Run as modules of this Python: the test extra installs them, PATH may not hold them.
    assert importlib.util.find_spec(command[0]), f"{command[0]} is installed by the test extra"
    result = subprocess.run(
        [sys.executable, "-m", *command], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

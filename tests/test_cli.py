from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED_FILE, MakeCorpus


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedindex", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=60,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("seedindex: error: ")
    assert result.stderr.count("\n") == 1


def test_query_prints_place_score_and_highlighted_passage(index_dir: Path) -> None:
    result = run("query", "medical supplies", "--index-dir", str(index_dir))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    # The bundled seeds are under the current folder (the repo's): paths from here.
    assert first.startswith(f"seeds/{SEED_FILE.name}:5  ")
    text = SEED_FILE.read_text(encoding="utf-8").splitlines()[4]
    assert result.stdout.splitlines()[1] == "    " + text  # piped: as written, unmarked
    assert "\x1b[" not in result.stdout  # no colour when piped


def test_json_output_has_every_passage_field(index_dir: Path) -> None:
    result = run("query", "convoys", "--json", "-n", "1", "--index-dir", str(index_dir))
    assert result.returncode == 0
    (line, summary) = result.stdout.splitlines()
    passage = json.loads(line)
    assert json.loads(summary)["type"] == "summary"
    assert json.loads(summary)["passages"] == 1
    assert "[[convoys]]" in passage["highlights"]
    assert set(passage) == {
        "type",
        "path",
        "start",
        "end",
        "line",
        "end_line",
        "text",
        "score",
        "highlights",
        "terms",
        "section",
        "page",
    }
    text = SEED_FILE.read_text(encoding="utf-8")
    assert passage["text"] == text[passage["start"] : passage["end"]]
    assert passage["terms"] == ["convoys"]


def test_nothing_found_exits_1(index_dir: Path) -> None:
    result = run("query", "xylophone", "--index-dir", str(index_dir))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")


def test_strict_syntax_error_exits_2(index_dir: Path) -> None:
    assert_clean_failure(run("query", "(peace", "--strict", "--index-dir", str(index_dir)), 2)


def test_lenient_by_default(index_dir: Path) -> None:
    assert run("query", "what about (peace?", "--index-dir", str(index_dir)).returncode == 0


@pytest.mark.parametrize("args", [[], ["query"], ["query", "x", "--limit", "0"], ["nope"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_seeds_exit_3(tmp_path: Path) -> None:
    assert_clean_failure(run("query", "x", "--seeds", str(tmp_path / "none")), 3)


def test_foreign_index_dir_exits_4(make_corpus: MakeCorpus, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("keep")
    result = run(
        "query",
        "x",
        "--seeds",
        str(make_corpus({"a.txt": "x"})),
        "--index-dir",
        str(tmp_path / "mine"),
    )
    assert_clean_failure(result, 4)
    assert (tmp_path / "mine" / "keep.txt").read_text() == "keep"


def test_build_and_update_report_counts(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "one\n\ntwo", "b.bin.txt": b"\0\0"})
    built = run("build", "--seeds", str(root), "--index-dir", str(index_dir))
    assert built.returncode == 0
    assert built.stderr.count("skipped b.bin.txt") == 1  # built once, not twice
    assert built.stdout.startswith(
        "built: 1 added, 0 changed, 0 removed, 0 touched, 1 skipped; 2 passages"
    )
    assert "skipped b.bin.txt: binary" in built.stderr
    (root / "c.txt").write_text("three")
    updated = run("update", "--seeds", str(root), "--index-dir", str(index_dir), "--quiet")
    assert updated.stdout.startswith("updated: 1 added, 0 changed, 0 removed")
    assert updated.stderr == ""


def test_seeds_from_environment(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"env.txt": "from the environment"})
    result = run(
        "query", "environment", "--index-dir", str(index_dir), env={"SEEDINDEX_SEEDS": str(root)}
    )
    assert result.stdout.startswith("env.txt:1")


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("seedindex ")
    for command in ("query", "build", "update", "similar", "status"):
        assert run(command, "--help").returncode == 0


def test_similar_explain_per_file_and_did_you_mean(index_dir: Path) -> None:
    where = ["--index-dir", str(index_dir)]
    similar = run("similar", f"{SEED_FILE.name}:5", "-n", "2", "--json", *where)
    assert similar.returncode == 0, similar.stderr
    records = [json.loads(line) for line in similar.stdout.splitlines()]
    assert [r["type"] for r in records] == ["match", "match", "summary"]
    assert [r["line"] for r in records[:2]] != [5, 5]
    assert_clean_failure(run("similar", "missing.txt:1", *where), 1)
    explained = run("query", "medical supplies", "-n", "1", "--explain", *where)
    assert "supplies (suppli): 1 in passage" in explained.stdout
    assert "(lent by feedback): " in explained.stdout
    exact = run("query", "medical supplies", "-n", "1", "--explain", "--no-feedback", *where)
    assert "supplies (suppli): 1 in passage" in exact.stdout
    assert "lent by feedback" not in exact.stdout
    per_file = run("query", "aid", "--per-file", "1", "--json", *where)
    assert len(per_file.stdout.splitlines()) == 2  # the one passage, and the summary
    typo = run("query", "humanitarain convoyz", "-n", "1", *where)
    assert "Did you mean: humanitarian convoys" in typo.stderr


def test_status_and_colour(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples and pears", "b.txt": b"\0binary"})
    where = ["--seeds", str(root), "--index-dir", str(index_dir)]
    missing = run("status", *where)  # says so, and builds nothing
    assert missing.returncode == 0, missing.stderr
    assert "state:     not built (run: seedindex build)" in missing.stdout.splitlines()
    assert not index_dir.exists()
    assert run("build", *where).returncode == 0
    status = run("status", *where)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert "files:     1 indexed, 1 skipped" in lines
    assert "state:     up to date" in lines
    assert "skipped:   b.txt: binary file (contains NUL bytes)" in lines
    coloured = run("query", "apples", "--color", "always", *where)
    assert "\x1b[1;31mapples\x1b[0m" in coloured.stdout


def test_a_reader_that_goes_away_is_no_error(index_dir: Path) -> None:
    shell = f"{sys.executable} -m seedindex query aid -n 10 --index-dir '{index_dir}' | head -c 10"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr
    assert result.stderr == ""


def test_each_run_of_main_warns_once(
    make_corpus: MakeCorpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedindex._cli import main

    root = make_corpus({"a.txt": "apples", "b.txt": b"\0binary"})
    for run_number in range(3):  # each run builds a new index, which warns of b.txt
        where = ["--seeds", str(root), "--index-dir", str(tmp_path / f"index{run_number}")]
        assert main(["query", "apples", *where]) == 0
        assert capsys.readouterr().err.count("skipped b.txt") == 1


def test_control_characters_of_documents_never_reach_the_terminal(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    hostile = "apples \x1b]0;owned\x07 and \x1b[8mhidden\x1b[0m\tpears\x9b"
    root = make_corpus({"a.txt": hostile})
    where = ["--seeds", str(root), "--index-dir", str(index_dir)]
    plain = run("query", "apples", "--color", "always", *where)
    assert plain.returncode == 0, plain.stderr
    shown = re.sub(r"\x1b\[[0-9;]*m", "", plain.stdout)  # seedindex's own colours
    assert not any(c in shown for c in "\x1b\x07\x9b")
    assert "\\x1b]0;owned\\x07" in shown
    as_json = run("query", "apples", "--json", *where)
    assert json.loads(as_json.stdout.splitlines()[0])["text"] == hostile  # data kept exact


GREP_LIKE = {
    "notes/a.txt": "one\n\ntwo alpha\n\nthree\n\nfour\n\nfive alpha\n\nsix\n",
    "b.txt": "alpha here too\n",
}


def test_context_lines_around_each_passage_as_grep_marks_them(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(GREP_LIKE)
    where = ["--seeds", str(root), "--index-dir", str(index_dir), "--no-feedback"]
    around = run("query", '"two alpha"', "-C", "2", *where).stdout.splitlines()
    assert around[1:6] == ["    1- one", "    2- ", "    3: two alpha", "    4- ", "    5- three"]
    after = run("query", '"five alpha"', "-A", "2", *where).stdout.splitlines()
    assert after[1:4] == ["    9: five alpha", "    10- ", "    11- six"]
    before = run("query", '"five alpha"', "-B", "2", *where).stdout.splitlines()
    assert before[1:4] == ["    7- four", "    8- ", "    9: five alpha"]
    both = run("query", "alpha", "-C", "3", "-n", "2", *where, "--per-file", "2").stdout
    assert "--\n" in both or both.count(":") >= 2  # two blocks of one file, apart or joined
    assert both.count("    5- three") + both.count("    5: three") <= 1  # never shown twice
    as_json = run("query", '"five alpha"', "-C", "2", "--json", *where).stdout.splitlines()
    record = json.loads(as_json[0])
    assert (record["before"], record["after"]) == (["four", ""], ["", "six"])


def test_files_with_matches_and_counts(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus(GREP_LIKE)
    where = ["--seeds", str(root), "--index-dir", str(index_dir), "--no-feedback"]
    listed = run("query", "alpha", "-l", *where, cwd=root)
    assert sorted(listed.stdout.split()) == ["b.txt", "notes/a.txt"]
    counted = run("query", "alpha", "-c", *where, cwd=root)
    assert sorted(counted.stdout.split()) == ["b.txt:1", "notes/a.txt:2"]  # relative to here
    assert run("query", "-l", "-c", "alpha", *where).returncode == 2


def test_paths_are_shown_from_the_current_folder_when_the_seeds_are_under_it(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(GREP_LIKE)
    where = ["--seeds", str(root), "--index-dir", str(index_dir)]
    inside = run("query", "five", *where, cwd=root / "notes")
    assert inside.stdout.startswith("a.txt:9  ")
    elsewhere = index_dir.parent / "elsewhere"
    elsewhere.mkdir()
    outside = run("query", "five", *where, cwd=elsewhere)
    assert outside.stdout.startswith("notes/a.txt:9  ")  # relative to the seeds folder


def test_colour_on_every_command_that_shows_passages_and_no_color(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(GREP_LIKE)
    where = ["--seeds", str(root), "--index-dir", str(index_dir)]
    similar = run("similar", "notes/a.txt:3", "--color", "always", *where)
    assert "\x1b[35m" in similar.stdout  # the path in colour
    never = run("query", "alpha", "--color", "never", *where)
    assert "\x1b[" not in never.stdout
    assert "[[" not in never.stdout  # plain text: nothing added to the passage


def test_a_query_starting_with_a_dash_goes_after_a_double_dash(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "use --force with care"})
    where = ["--seeds", str(root), "--index-dir", str(index_dir)]
    found = run("query", *where, "--", "--force")
    assert found.returncode == 0, found.stderr
    assert "--force with care" in found.stdout
    unambiguous = run("query", "--force", *where)  # no option of the name, no other TEXT
    assert unambiguous.stdout == found.stdout
    assert run("query", *where).returncode == 2  # no query at all
    assert run("query", "--bogus", "--other", *where).returncode == 2


def test_the_readme_documents_every_command_and_flag() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    from seedindex._cli import _parser

    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert f"seedindex {name}" in readme
        for action in command._actions:
            for flag in action.option_strings:
                assert flag in readme, f"{name} {flag}"
                assert action.help, f"{name} {flag} has no --help text"


def test_windows_line_ends_are_line_ends_and_a_lone_carriage_return_an_escape(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": b"first apples line\r\nsecond line\r\n\r\nhidden\rapples shown"})
    where = ["--seeds", str(root), "--index-dir", str(index_dir), "--no-feedback"]
    shown = run("query", "apples", "-n", "5", *where).stdout
    assert "    first apples line\n    second line\n" in shown
    assert "hidden\\x0dapples shown" in shown
    context = run("query", '"second line"', "-A", "1", *where).stdout
    assert "\r" not in context

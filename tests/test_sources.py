from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedindex import Config
from seedindex.errors import SeedsError
from seedindex.sources import Loaded, Skipped, SourceFile, read, walk
from tests.conftest import MakeCorpus


def files(root: Path, config: Config | None = None) -> list[SourceFile]:
    return [item for item in walk(root, config or Config()) if isinstance(item, SourceFile)]


def paths(root: Path, config: Config | None = None) -> list[str]:
    return [f.path for f in files(root, config)]


def skipped(root: Path, config: Config | None = None) -> dict[str, str]:
    return {s.path: s.reason for s in walk(root, config or Config()) if isinstance(s, Skipped)}


def test_scan_lists_text_files_sorted_and_skips_hidden_and_other_types(
    make_corpus: MakeCorpus,
) -> None:
    root = make_corpus(
        {
            "b.txt": "b",
            "a/notes.MD": "a",
            "a/data.csv": "x,y",
            ".hidden.txt": "no",
            ".git/config.txt": "no",
            "c.rst": "c",
        }
    )
    assert paths(root) == ["a/notes.MD", "b.txt", "c.rst"]
    assert paths(root, Config(extensions=("csv",))) == ["a/data.csv"]


def test_walk_comes_in_whole_path_order(make_corpus: MakeCorpus) -> None:
    # Depth first by name would give a/, a-b/, a.txt, a0.txt: the manifest needs path order.
    names = ["a/x.txt", "a-b/c.txt", "a.txt", "a0.txt", "a/b/y.txt", "a/b.txt", "ab.txt"]
    root = make_corpus(dict.fromkeys(names, "x"))
    assert paths(root) == sorted(names)


def test_missing_seeds_folder_and_file_instead_of_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedsError, match="not found"):
        list(walk(tmp_path / "nope", Config()))
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SeedsError, match="not a folder"):
        list(walk(tmp_path / "file.txt", Config()))


def test_empty_folder_has_no_files(tmp_path: Path) -> None:
    assert list(walk(tmp_path, Config())) == []


def test_symlink_loop_is_skipped_not_followed_forever(make_corpus: MakeCorpus) -> None:
    root = make_corpus({"sub/a.txt": "a"})
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self.txt").symlink_to(root / "self.txt")
    assert paths(root) == ["sub/a.txt"]
    reasons = skipped(root)
    assert "loop" in reasons["sub/loop"]
    assert "cannot follow" in reasons["self.txt"]


def test_links_out_of_the_seeds_folder_only_when_allowed(
    make_corpus: MakeCorpus, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    root = make_corpus({"in.txt": "in"})
    (root / "out.txt").symlink_to(outside)
    (root / "alias.txt").symlink_to(root / "in.txt")
    assert paths(root) == ["alias.txt", "in.txt"]
    assert "outside the seeds folder" in skipped(root)["out.txt"]
    assert "out.txt" in paths(root, Config(follow_external_links=True))


def test_undecodable_file_name_is_skipped(make_corpus: MakeCorpus) -> None:
    root = make_corpus({"ok.txt": "ok"})
    try:
        with open(os.path.join(os.fsencode(root), b"bad\xff.txt"), "wb") as handle:
            handle.write(b"x")
    except OSError:
        pytest.skip("file system refuses undecodable names")
    assert paths(root) == ["ok.txt"]
    assert any("not valid UTF-8" in reason for reason in skipped(root).values())


def test_names_with_spaces_and_non_ascii_and_deep_trees(make_corpus: MakeCorpus) -> None:
    deep = "/".join(["d"] * 60) + "/deep.txt"
    root = make_corpus({"with space.txt": "a", "café/naïve.txt": "b", deep: "c"})
    assert paths(root) == ["café/naïve.txt", deep, "with space.txt"]


def test_file_removed_between_listing_and_reading(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").write_text("x")
    (source,) = files(tmp_path)
    (tmp_path / "gone.txt").unlink()
    result = read(source, Config().max_file_bytes)
    assert isinstance(result, Skipped)
    assert "cannot read" in result.reason


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked.txt").write_text("x")
    (source,) = files(tmp_path)

    def deny(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", deny)
    result = read(source, Config().max_file_bytes)
    assert isinstance(result, Skipped)
    assert result.reason == "cannot read: Permission denied"


def test_files_over_the_size_limit_are_skipped(make_corpus: MakeCorpus) -> None:
    root = make_corpus({"big.txt": "x" * 100, "small.txt": "x"})
    assert paths(root, Config(max_file_bytes=50)) == ["small.txt"]
    assert "larger than 50 bytes" in skipped(root, Config(max_file_bytes=50))["big.txt"]


# Races between the walk and the read, made deterministic: the file is swapped after
# the walk saw it and before it is read.


def test_a_file_swapped_for_a_link_after_the_walk_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the seeds")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("mine")
    (source,) = files(seeds)
    (seeds / "a.txt").unlink()
    (seeds / "a.txt").symlink_to(secret)
    result = read(source, 1000)
    assert isinstance(result, Skipped)
    assert "symbolic link" in result.reason


def test_a_file_swapped_for_another_file_after_the_walk_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("mine")
    (tmp_path / "b.txt").write_text("other")
    (source, _other) = files(tmp_path)
    os.replace(tmp_path / "b.txt", tmp_path / "a.txt")
    result = read(source, 1000)
    assert isinstance(result, Skipped)
    assert "replaced" in result.reason


def test_a_file_swapped_for_a_pipe_is_skipped_without_waiting(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("mine")
    (source,) = files(tmp_path)
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")  # no writer: a blocking open would wait for ever
    result = read(source, 1000)
    assert isinstance(result, Skipped)
    assert "not a regular file" in result.reason


def test_a_file_that_grows_past_the_cap_after_the_walk_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("small")
    (source,) = files(tmp_path)
    with open(tmp_path / "a.txt", "a") as handle:
        handle.write("x" * 5000)
    result = read(source, 1000)
    assert isinstance(result, Skipped)
    assert result.reason == "larger than 1000 bytes"


def test_a_file_read_records_the_stat_it_was_read_with(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("small")
    (source,) = files(tmp_path)
    with open(tmp_path / "a.txt", "a") as handle:
        handle.write(" and more")
    loaded = read(source, 1000)
    assert isinstance(loaded, Loaded)
    assert loaded.data == b"small and more"
    assert loaded.source.size == len("small and more")


def test_a_link_inside_the_seeds_is_read_through_its_target(make_corpus: MakeCorpus) -> None:
    root = make_corpus({"real.txt": "target text"})
    (root / "link.txt").symlink_to(root / "real.txt")
    by_path = {f.path: f for f in files(root)}
    loaded = read(by_path["link.txt"], 1000)
    assert isinstance(loaded, Loaded)
    assert loaded.data == b"target text"


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path: Path) -> None:
    import sys

    depth = sys.getrecursionlimit() + 50
    folder = str(tmp_path)
    for _ in range(depth):  # not Path.mkdir(parents=True), nor rmtree below: they recurse
        folder += "/d"
        os.mkdir(folder)
    Path(folder, "deep.txt").write_text("at the bottom")
    try:
        assert paths(tmp_path) == ["d/" * depth + "deep.txt"]
    finally:
        os.remove(Path(folder, "deep.txt"))
        for _ in range(depth):
            os.rmdir(folder)
            folder = os.path.dirname(folder)

"""Hostile folders and other people's data: a file swapped between the walk and the
read, files that become readable again, directories that are not wholly ours, a
read-only or full index directory, and text that would cost memory without bound."""

from __future__ import annotations

import builtins
import errno
import json
import logging
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import seedindex
from seedindex import Config, Index
from seedindex import sources as sources_package
from seedindex.documents import split
from seedindex.errors import ForeignIndexError, UnsafeIndexDirError
from seedindex.sources import Skipped, SourceFile
from tests.conftest import MakeCorpus


def _walk_then(swap: Any) -> Any:
    """A walk that calls ``swap(file)`` on each file it finds, after finding it: the
    race between the walk and the read, made to happen every time."""
    real_walk = sources_package.walk

    def walk(root: Path, config: Config, others: Any = None) -> Iterator[SourceFile | Skipped]:
        for item in real_walk(root, config, others):
            if isinstance(item, SourceFile):
                swap(item)
            yield item

    return walk


def test_a_file_swapped_for_a_link_out_of_the_seeds_is_never_indexed(
    make_corpus: MakeCorpus, index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:secretword:/root:/bin/sh")
    root = make_corpus({"notes.txt": "harmless notes"})

    def swap(item: SourceFile) -> None:
        os.unlink(item.location)
        os.symlink(secret, item.location)

    monkeypatch.setattr(sources_package, "walk", _walk_then(swap))
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.search("secretword") == []
        assert ix.stats().skipped == (
            ("notes.txt", "became a symbolic link after the folder was walked"),
        )


def test_a_file_swapped_for_a_pipe_does_not_hang_the_writer(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_corpus({"a.txt": "alpha", "b.txt": "beta"})

    def swap(item: SourceFile) -> None:
        if item.path == "a.txt":
            os.unlink(item.location)
            os.mkfifo(item.location)

    monkeypatch.setattr(sources_package, "walk", _walk_then(swap))
    with Index.open(root, index_dir=index_dir) as ix:
        assert [p.path for p in ix.search("beta")] == ["b.txt"]
        assert dict(ix.stats().skipped) == {"a.txt": "not a regular file when read"}


def test_a_file_unreadable_once_is_read_when_it_becomes_readable(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_corpus({"locked.txt": "unlocked words", "open.txt": "other"})
    locked = str(root / "locked.txt")
    real_open = os.open

    def deny_locked(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if path == locked:  # (tests run as root too, where chmod does not deny)
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_locked)
    with Index.open(root, index_dir=index_dir) as ix:
        assert dict(ix.stats().skipped) == {"locked.txt": "cannot read: Permission denied"}
        assert ix.update().changed_anything is False  # not read again while unchanged
    monkeypatch.setattr(os, "open", real_open)
    os.chmod(locked, 0o644)  # what makes a file readable: its size and mtime stay
    with Index.open(root, index_dir=index_dir) as ix:
        assert [p.path for p in ix.search("unlocked")] == ["locked.txt"]
        assert ix.stats().skipped == ()


def test_a_folder_holding_a_users_own_lock_file_is_refused_and_untouched(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    index_dir.mkdir()
    (index_dir / "write.lock").write_text("my shopping list\n")
    with pytest.raises(ForeignIndexError):
        Index.open(root, index_dir=index_dir)
    assert (index_dir / "write.lock").read_text() == "my shopping list\n"
    assert [p.name for p in index_dir.iterdir()] == ["write.lock"]


def test_a_users_own_marker_named_file_is_not_taken_for_ours(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    index_dir.mkdir()
    mine = json.dumps({"format": 1, "seeds": "/mine", "notes": "my own settings"})
    (index_dir / "seedindex.json").write_text(mine)
    (index_dir / "whoosh").mkdir()
    (index_dir / "whoosh" / "keep.txt").write_text("mine")
    (index_dir / "manifest.json").write_text("mine")
    with pytest.raises(ForeignIndexError):
        Index.open(root, index_dir=index_dir)
    assert (index_dir / "seedindex.json").read_text() == mine
    assert (index_dir / "whoosh" / "keep.txt").read_text() == "mine"
    assert (index_dir / "manifest.json").read_text() == "mine"


def test_an_index_to_rebuild_beside_files_not_ours_is_left_alone(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    seedindex.query("alpha", seeds=root, index_dir=index_dir)
    (index_dir / "thesis.tex").write_text("years of work")
    before = sorted(p.name for p in index_dir.rglob("*"))
    with pytest.raises(ForeignIndexError, match=r"thesis\.tex"):
        # other settings: the index must be built afresh, which would clear the folder
        Index.open(root, index_dir=index_dir, config=Config(max_passage_words=7))
    assert sorted(p.name for p in index_dir.rglob("*")) == before
    assert seedindex.query("alpha", seeds=root, index_dir=index_dir)  # still usable


def test_an_index_directory_others_may_write_is_refused_unless_trusted(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    seedindex.query("alpha", seeds=root, index_dir=index_dir)
    index_dir.chmod(0o777)
    with pytest.raises(UnsafeIndexDirError, match="every user may write"):
        Index.open(root, index_dir=index_dir)
    with pytest.raises(UnsafeIndexDirError):
        seedindex.stats(root, index_dir=index_dir)
    trusted = Config(trust_index_dir=True)
    assert seedindex.query("alpha", seeds=root, index_dir=index_dir, config=trusted)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")
def test_an_index_directory_of_another_user_is_refused(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    seedindex.query("alpha", seeds=root, index_dir=index_dir)
    os.chown(index_dir, 4242, 4242)
    with pytest.raises(UnsafeIndexDirError, match="another user"):
        Index.open(root, index_dir=index_dir)


def test_a_new_index_directory_is_private(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "alpha"})
    old_umask = os.umask(0o000)
    try:
        seedindex.query("alpha", seeds=root, index_dir=index_dir)
    finally:
        os.umask(old_umask)
    assert index_dir.stat().st_mode & 0o777 == 0o700


def test_a_read_only_index_answers_its_last_state_with_a_warning(
    make_corpus: MakeCorpus,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    seedindex.query("alpha", seeds=root, index_dir=index_dir)
    (root / "b.txt").write_text("alpha again")
    real_open = os.open
    lock = str(index_dir / "write.lock")

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) == lock:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with caplog.at_level(logging.WARNING, logger="seedindex"):
        found = seedindex.query("alpha", seeds=root, index_dir=index_dir)
    assert [p.path for p in found] == ["a.txt"]
    assert "index not updated, searching its last state" in caplog.text
    assert "Read-only file system" in caplog.text


@pytest.mark.parametrize("files", [30, 600])  # one process, and one per core
@pytest.mark.parametrize("fills_at", [3, 7])  # as the writer starts, or later
def test_a_full_disk_leaves_no_temporary_files_and_the_last_state(
    make_corpus: MakeCorpus,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    files: int,
    fills_at: int,
) -> None:
    root = make_corpus({f"old{i}.txt": f"alpha old{i}" for i in range(files)})
    seedindex.query("alpha", seeds=root, index_dir=index_dir)
    committed = sorted(p for p in index_dir.rglob("*"))
    for i in range(files):
        (root / f"new{i}.txt").write_text(f"beta new{i} " * 50)
    real_open = builtins.open
    engine_files = str(index_dir / "whoosh")
    opened = [0]

    def filling(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and str(file).startswith(engine_files):
            opened[0] += 1
            if opened[0] >= fills_at:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", filling)
    with caplog.at_level(logging.WARNING, logger="seedindex"):
        found = seedindex.query("alpha", seeds=root, index_dir=index_dir, limit=1000)
    assert opened[0] >= fills_at  # the disk did fill
    monkeypatch.setattr(builtins, "open", real_open)
    assert "No space left on device" in caplog.text
    assert len(found) == files  # the last committed state
    assert sorted(p for p in index_dir.rglob("*")) == committed
    assert len(seedindex.query("beta", seeds=root, index_dir=index_dir, limit=1000)) == files


def test_splitting_a_huge_hard_wrapped_paragraph_costs_memory_for_its_pieces_only() -> None:
    line = "word " * 15 + "and so on\n"  # about 85 characters, no blank line anywhere
    text = line * (4_000_000 // len(line))
    tracemalloc.start()
    try:
        spans = split(text, 500)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(spans) == len(text.split()) // 500 + 1
    # The line starts and the spans: a list of every word would cost 20x the text.
    assert peak < len(text)

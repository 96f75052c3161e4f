"""Index lifecycle under concurrency, crashes and faults (issue 4)."""

from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedindex import Index, query
from seedindex.engine.whoosh import WhooshWriter as EngineWriter
from seedindex.errors import IndexDirError, IndexLockedError
from tests.conftest import REPO, MakeCorpus


def python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.communicate()  # reaps it and closes its pipes


def hold_lock(index_dir: Path) -> subprocess.Popen[str]:
    """Another process that takes the index's write lock and keeps it until killed."""
    holder = python(
        f"""
        import sys, time
        from seedindex.store import WriteLock
        WriteLock(__import__("pathlib").Path({str(index_dir / "write.lock")!r}), 5).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    return holder


def test_second_writer_waits_then_names_the_holder(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "apples"})
    ix = Index.open(root, index_dir=index_dir)
    holder = hold_lock(index_dir)
    try:
        from seedindex import Config

        slow = Index.open(root, index_dir=index_dir, config=Config(lock_timeout=0.3))
        began = time.monotonic()
        with pytest.raises(IndexLockedError, match=f"pid {holder.pid}") as caught:
            slow.update()
        assert time.monotonic() - began >= 0.3
        assert caught.value.exit_code == 4
        slow.close()
    finally:
        stop(holder)
    assert ix.update().changed_anything is False  # the kernel dropped the dead holder's lock
    ix.close()


def test_readers_do_not_wait_for_a_writer(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    (root / "b.txt").write_text("apples too")
    holder = hold_lock(index_dir)
    try:
        began = time.monotonic()
        hits = query("apples", seeds=root, index_dir=index_dir)  # cannot update: old state
        assert time.monotonic() - began < 2
        assert [h.path for h in hits] == ["a.txt"]
    finally:
        stop(holder)
    assert [h.path for h in query("apples", seeds=root, index_dir=index_dir)] == ["a.txt", "b.txt"]


def write_state(root: Path, version: str, files: int) -> None:
    """State "alpha" or "beta": every file holds its version word; beta adds and drops files."""
    wanted = {f"f{n:03}.txt" for n in range(files)}
    wanted = (
        wanted
        if version == "alpha"
        else {n for n in wanted if not n.endswith("7.txt")} | {f"extra{n}.txt" for n in range(10)}
    )
    for stale in set(os.listdir(root)) - wanted:
        (root / stale).unlink()
    for name in sorted(wanted):
        body = "\n\n".join(f"{version} paragraph {i} of {name} with common words" for i in range(5))
        (root / name).write_text(body)


def index_state(root: Path, index_dir: Path) -> tuple[int, int]:
    with Index.open(root, index_dir=index_dir, auto_update=False) as ix:
        return len(ix.search("alpha", limit=10_000)), len(ix.search("beta", limit=10_000))


def test_killed_writer_leaves_the_old_or_the_new_state(tmp_path: Path) -> None:
    root = tmp_path / "seeds"
    root.mkdir()
    index_dir = tmp_path / "index"
    files, kills = 200, 16
    states = {"alpha": (files * 5, 0), "beta": (0, (files - 20 + 10) * 5)}
    write_state(root, "alpha", files)
    Index.open(root, index_dir=index_dir).close()
    updater = f"""
        from seedindex import Index
        Index.open({str(root)!r}, index_dir={str(index_dir)!r}).close()
        """
    # One whole run, alpha to beta, tells how long a run lasts on this machine.
    write_state(root, "beta", files)
    began = time.monotonic()
    python(updater).communicate()
    lifetime = time.monotonic() - began
    assert index_state(root, index_dir) == states["beta"]
    seen: set[tuple[int, int]] = set()
    # From late start-up, through reading and the commit, to just after the end; then,
    # until both states were seen (a busy machine may make runs slower or faster than
    # the measured one), kills spread wider. How many land in time is not asserted.
    delays = [0.3 + 0.9 * attempt / (kills - 1) for attempt in range(kills)]
    delays += [0.1, 3.0, 0.2, 2.0, 0.05, 4.0] * 4
    for attempt, delay in enumerate(delays):
        if attempt >= kills and len(seen) == 2:
            break
        current = "alpha" if index_state(root, index_dir) == states["alpha"] else "beta"
        write_state(root, "beta" if current == "alpha" else "alpha", files)
        process = python(updater)
        time.sleep(lifetime * delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        state = index_state(root, index_dir)
        assert state in states.values(), f"kill {attempt}: mixed state {state}"
        seen.add(state)
    assert len(seen) == 2, "kills should land both before and after a commit"
    with Index.open(root, index_dir=index_dir) as ix:  # the next update finishes the work
        final = "alpha" if (root / "f007.txt").exists() else "beta"
        found = (len(ix.search("alpha", limit=10_000)), len(ix.search("beta", limit=10_000)))
        assert found == states[final]


def test_manifest_behind_the_engine_means_a_rebuild(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    old_manifest = (index_dir / "manifest.json").read_text()
    (root / "a.txt").write_text("cherries")
    query("cherries", seeds=root, index_dir=index_dir)
    (index_dir / "manifest.json").write_text(old_manifest)  # as if killed before saving it
    (root / "a.txt").write_text("apples")
    assert [h.text for h in query("apples", seeds=root, index_dir=index_dir)] == ["apples"]
    assert query("cherries", seeds=root, index_dir=index_dir) == []


def test_files_a_killed_writer_left_are_cleared(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    left = [index_dir / ".manifest.json.999.lines", index_dir / ".manifest.json.999.tmp"]
    for path in left:
        path.write_text("half")
    (root / "b.txt").write_text("bananas")
    assert [h.path for h in query("bananas", seeds=root, index_dir=index_dir)] == ["b.txt"]
    assert not any(path.exists() for path in left)


def test_damaged_manifest_lines_mean_a_rebuild(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples", "b.txt": "bananas"})
    query("apples", seeds=root, index_dir=index_dir)
    manifest = index_dir / "manifest.json"
    header, *lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([header, lines[0], "[not json"]) + "\n")
    (root / "c.txt").write_text("cherries")
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.last_write is not None
        assert ix.last_write.full
        assert [h.path for h in ix.search("apples OR bananas OR cherries")] == [
            "a.txt",
            "b.txt",
            "c.txt",
        ]
    assert len(manifest.read_text().splitlines()) == 4  # the header and a line a file


@pytest.mark.parametrize(
    "damage",
    [
        lambda line: line.rsplit("\t", 1)[0] + "\tmany",  # the count of passages
        lambda line: line.rsplit("\t", 1)[0],  # a field short
        lambda line: line.replace("\t", "\t\t", 1),  # a field more
    ],
    ids=["passages", "short", "long"],
)
def test_a_damaged_line_of_an_unchanged_file_means_a_rebuild(
    make_corpus: MakeCorpus, index_dir: Path, damage: Callable[[str], str]
) -> None:
    root = make_corpus({"a.txt": "apples", "b.txt": "bananas"})
    query("apples", seeds=root, index_dir=index_dir)
    manifest = index_dir / "manifest.json"
    header, first, second = manifest.read_text().splitlines()
    manifest.write_text("\n".join([header, damage(first), second]) + "\n")
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.last_write is not None
        assert ix.last_write.full
        assert [h.path for h in ix.search("apples OR bananas")] == ["a.txt", "b.txt"]
    assert manifest.read_text().splitlines()[1:] == [first, second]


def fail_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(self: EngineWriter, *, replace_all: bool = False) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(EngineWriter, "commit", full_disk)


def test_full_disk_while_updating_keeps_the_old_index(
    make_corpus: MakeCorpus,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    (root / "a.txt").write_text("cherries")
    with monkeypatch.context() as patched:
        fail_commit(patched)
        with Index.open(root, index_dir=index_dir, auto_update=False) as ix:
            with pytest.raises(IndexDirError, match="No space left"):
                ix.update()
            assert [h.text for h in ix.search("apples")] == ["apples"]
        with caplog.at_level(logging.WARNING, logger="seedindex"):
            assert [h.text for h in query("apples", seeds=root, index_dir=index_dir)] == ["apples"]
        assert "not updated" in caplog.text
    assert [h.text for h in query("cherries", seeds=root, index_dir=index_dir)] == ["cherries"]


def test_read_only_index_directory(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    (root / "a.txt").write_text("cherries")

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(EngineWriter, "add", read_only)
    with Index.open(root, index_dir=index_dir, auto_update=False) as ix:
        with pytest.raises(IndexDirError, match="Read-only"):
            ix.update()
        assert [h.text for h in ix.search("apples")] == ["apples"]


@pytest.mark.parametrize(
    ("remembered", "chunk_bytes"),
    [(1000, 1 << 20), (1000, 1), (0, 1 << 20)],
    ids=["changes-remembered", "manifest-read-a-line-at-a-time", "walked-again"],
)
def test_update_applies_every_kind_of_change(
    make_corpus: MakeCorpus,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    remembered: int,
    chunk_bytes: int,
) -> None:
    from seedindex.store import manifest as _manifest

    monkeypatch.setattr(_manifest, "_REMEMBERED", remembered)
    monkeypatch.setattr(_manifest, "_CHUNK_BYTES", chunk_bytes)
    files = {f"f{n}.txt": f"apples {n}" for n in range(6)} | {"bin.txt": b"\0binary"}
    root = make_corpus(files)
    with Index.open(root, index_dir=index_dir) as ix:
        (root / "f1.txt").write_text("cherries")
        (root / "f2.txt").unlink()
        (root / "f22.txt").write_text("apples new")
        os.utime(root / "f3.txt", ns=(1, 1))
        (root / "f4.txt").write_bytes(b"\0now binary")
        report = ix.update()
        assert (report.added, report.changed, report.removed, report.touched) == (1, 1, 2, 1)
        assert report.skipped == 2
        assert sorted(h.path for h in ix.search("apples")) == [
            "f0.txt",
            "f22.txt",
            "f3.txt",
            "f5.txt",
        ]
        assert [h.path for h in ix.search("cherries")] == ["f1.txt"]
        assert ix.update().changed_anything is False
        stats = ix.stats()
        assert (stats.files, stats.passages, stats.stale) == (5, 5, False)
        assert [path for path, _reason in stats.skipped] == ["bin.txt", "f4.txt"]


def test_file_names_with_tabs_newlines_and_backslashes_stay_indexed(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    names = ["tab\there.txt", "new\nline.txt", "back\\slash\\t.txt", "cr\rname.txt", "plain.txt"]
    root = make_corpus(dict.fromkeys(names, "apples"))
    with Index.open(root, index_dir=index_dir) as ix:
        assert sorted(h.path for h in ix.search("apples")) == sorted(names)
        again = ix.update()  # the manifest gave every name back as it was written
        assert (again.changed_anything, again.touched) == (False, 0)
        (root / names[1]).unlink()
        assert ix.update().removed == 1
        assert sorted(h.path for h in ix.search("apples")) == sorted(set(names) - {names[1]})


@pytest.mark.parametrize(
    ("content", "passages"),
    [("", 0), ("  \n\t\n  ", 0), ("x" * 10_000_000, 1000), (b"\xef\xbb\xbf" + b"bom", 1)],
    ids=["empty", "whitespace", "10MB-one-line-no-spaces", "bom-only-word"],
)
def test_odd_files_index_without_fuss(
    make_corpus: MakeCorpus, index_dir: Path, content: str | bytes, passages: int
) -> None:
    root = make_corpus({"odd.txt": content, "ok.txt": "fine"})
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.stats().passages == passages + 1
        assert [h.path for h in ix.search("fine")] == ["ok.txt"]


def test_huge_file_keeps_memory_bounded(make_corpus: MakeCorpus, index_dir: Path) -> None:
    """A 50 MB file (mostly white space, so that the test stays fast) in a child process."""
    root = make_corpus({"ok.txt": "fine"})
    with open(root / "huge.txt", "w") as handle:
        handle.write("needle at the start\n")
        handle.write(" " * 50_000_000)
        handle.write("\nneedle at the end\n")
    child = python(
        f"""
        import resource
        from seedindex import Index
        with Index.open({str(root)!r}, index_dir={str(index_dir)!r}) as ix:
            print(len(ix.search("needle")))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """
    )
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    found, peak_mb = map(int, out.split())
    assert found == 2
    assert peak_mb < 400, f"peak RSS {peak_mb} MB for a 50 MB file"


def test_status_reports_counts_skips_and_staleness(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "one\n\ntwo", "b.txt": b"\0binary"})
    with Index.open(root, index_dir=index_dir) as ix:
        stats = ix.stats()
        assert (stats.files, stats.passages, stats.stale) == (1, 2, False)
        assert stats.skipped == (("b.txt", "binary file (contains NUL bytes)"),)
        assert stats.size_bytes > 0
        assert stats.updated is not None
        (root / "c.txt").write_text("three")
        assert ix.stats().stale is True
        ix.update()
        assert ix.stats().stale is False


def test_progress_is_reported_per_file(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({f"{n}.txt": f"file {n}" for n in range(5)})
    calls: list[tuple[int, int, int]] = []
    Index.open(root, index_dir=index_dir, progress=lambda *call: calls.append(call)).close()
    assert calls[0] == (0, 5, 0)
    assert calls[-1] == (5, 5, 5)


def test_many_updates_in_one_open_index_never_repeat_passages(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    """Each update writes a segment and merges small ones: the open index must follow."""
    root = make_corpus({"base.txt": "common base"})
    with Index.open(root, index_dir=index_dir) as ix:
        for number in range(12):
            (root / f"f{number}.txt").write_text(f"common word{number}")
            if number % 3 == 2:
                (root / f"f{number - 1}.txt").unlink()
            ix.update()
            expected = len(list(root.iterdir()))
            assert len(ix.search("common", limit=100)) == expected
            assert ix.stats().passages == expected


def test_parallel_build_gives_the_same_index(
    make_corpus: MakeCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {f"{n:02}.txt": f"Title {n}\n\nshared words and word{n} here" for n in range(40)}
    root = make_corpus(texts)
    with Index.open(root, index_dir=tmp_path / "serial") as serial:
        expected = [(h.path, h.line, h.score) for h in serial.search("shared word7", limit=100)]
    monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_FILES", 1)
    with Index.open(root, index_dir=tmp_path / "parallel") as parallel:
        found = [(h.path, h.line, h.score) for h in parallel.search("shared word7", limit=100)]
        assert found == expected
        parallel.build()  # again, replacing the parallel segments
        assert [(h.path, h.line, h.score) for h in parallel.search("shared word7", limit=100)] == (
            expected
        )


def writers_chosen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The Whoosh writers each write then chooses, on a machine of two cores."""
    from seedindex.engine.whoosh import WhooshEngine

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    chosen = []
    choose = WhooshEngine._whoosh_writer

    def spied(self: WhooshEngine, files: int, size: int) -> Any:
        chosen.append(choose(self, files, size))
        return chosen[-1]

    monkeypatch.setattr(WhooshEngine, "_whoosh_writer", spied)
    return chosen


def test_a_few_large_files_are_built_on_every_core(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Processes are chosen by the bytes to analyse as well as by the files: two large
    books are each a process's work."""
    from seedindex.engine.whoosh._parallel import FastMpWriter

    book = "\n\n".join(f"paragraph {n} of a long book" for n in range(300))
    root = make_corpus({"first.txt": book, "second.txt": book})
    monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_BYTES", 2 * len(book))
    chosen = writers_chosen(monkeypatch)
    with Index.open(root, index_dir=index_dir) as ix:
        assert [type(writer) for writer in chosen] == [FastMpWriter]
        assert len(ix.search("long book", limit=1000)) == 600
        (root / "first.txt").write_text(book + "\n\nmore")
        ix.update()  # one file changed: analysed here
    assert type(chosen[-1]) is not FastMpWriter


def test_a_large_file_is_split_between_processes_keeping_file_order(
    make_corpus: MakeCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One large file (an edited book) is a part of its passages for each process, the
    parts' segments in file order: the index a single process makes."""
    book = "\n\n".join(f"paragraph {n} of equal words" for n in range(400))
    root = make_corpus({"book.txt": book, "note.txt": "a note of equal words"})
    with Index.open(root, index_dir=tmp_path / "serial") as serial:
        expected = [(h.path, h.start, h.score) for h in serial.search("equal", limit=1000)]
    monkeypatch.setattr("seedindex.engine.whoosh._SPLIT_FROM_BYTES", 1)
    chosen = writers_chosen(monkeypatch)
    with Index.open(root, index_dir=tmp_path / "split") as ix:
        assert chosen[-1]._parts == 2
        hits = ix.search("equal", limit=1000)
        assert [(h.path, h.start, h.score) for h in hits] == expected
        ranked = [(-h.score, h.path, h.start) for h in hits]  # ties: path, then file order
        assert ranked == sorted(ranked)
        (root / "book.txt").write_text(book + "\n\nthe last paragraph of equal words")
        ix.update()  # the edited book alone, split again
        assert chosen[-1]._parts == 2
        hits = ix.search("equal", limit=1000)
        assert len(hits) == 402
        ranked = [(-h.score, h.path, h.start) for h in hits]
        assert ranked == sorted(ranked)


def test_a_parallel_build_keeps_each_files_passages_together_in_file_order(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ties break by path, then by the engine's order of a file's passages: a file whose
    passages went to two processes came out of file order (found on CISI)."""
    paragraphs = "\n\n".join(f"paragraph {n} of equal words" for n in range(7))
    root = make_corpus({f"{n:02}.txt": paragraphs for n in range(30)})  # 210 passages
    monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_FILES", 1)
    with Index.open(root, index_dir=index_dir) as ix:
        hits = ix.search("equal", limit=1000)  # every passage; most with the same score
        assert len(hits) == 210
        ranked = [(-h.score, h.path, h.start) for h in hits]
        assert ranked == sorted(ranked)


def test_a_failed_indexing_process_fails_the_commit(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine.whoosh import _parallel

    root = make_corpus({f"{n:02}.txt": f"apples {n}" for n in range(8)})
    with Index.open(root, index_dir=index_dir) as ix:
        for n in range(8):
            # More work than the job queue holds: Whoosh alone would wait for ever.
            (root / f"{n:02}.txt").write_text("\n\n".join(f"cherries {n}" for _ in range(300)))
        monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_FILES", 1)
        monkeypatch.setattr(_parallel._SubWriterTask, "_process_file", lambda *job: os._exit(3))
        with pytest.raises(IndexDirError, match="an indexing process failed"):
            ix.update()  # Whoosh alone would commit without the lost passages
        assert len(ix.search("apples", limit=100)) == 8  # the old state, whole
        monkeypatch.undo()
        assert ix.update().changed == 8
        assert len(ix.search("cherries", limit=10_000)) == 2400


def test_a_failed_process_of_a_split_file_fails_the_commit(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine.whoosh import _parallel

    book = "\n\n".join(f"paragraph {n} of a book" for n in range(300))
    root = make_corpus({"book.txt": book})
    with Index.open(root, index_dir=index_dir) as ix:
        (root / "book.txt").write_text(book.replace("book", "novel"))
        monkeypatch.setattr("seedindex.engine.whoosh._SPLIT_FROM_BYTES", 1)
        monkeypatch.setattr("os.cpu_count", lambda: 2)
        monkeypatch.setattr(_parallel._SubWriterTask, "_process_file", lambda *job: os._exit(3))
        with pytest.raises(IndexDirError, match="an indexing process failed"):
            ix.update()
        assert len(ix.search("book", limit=1000)) == 300  # the old state, whole
        monkeypatch.undo()
        assert ix.update().changed == 1
        assert len(ix.search("novel", limit=1000)) == 300


def test_an_interrupted_parallel_build_stops_its_workers(
    make_corpus: MakeCorpus,
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    root = make_corpus({f"{n:03}.txt": f"shared words and word{n}" for n in range(300)})
    monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_FILES", 1)

    def interrupt(done: int, total: int, passages: int) -> None:
        if done == 250:  # the workers have work queued and under way
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Index.open(root, index_dir=index_dir, progress=interrupt)
    assert multiprocessing.active_children() == []
    assert capfd.readouterr().err == ""  # no worker failed on the files it lost
    with Index.open(root, index_dir=index_dir) as ix:
        assert len(ix.search("shared", limit=1000)) == 300


def test_a_parallel_update_that_only_deletes(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_corpus({f"{n:02}.txt": f"shared words and word{n}" for n in range(20)})
    monkeypatch.setattr("seedindex.engine.whoosh._PARALLEL_FROM_FILES", 1)
    with Index.open(root, index_dir=index_dir) as ix:
        for n in range(10):
            (root / f"{n:02}.txt").unlink()
        assert ix.update().removed == 10
        assert len(ix.search("shared", limit=100)) == 10
    assert multiprocessing.active_children() == []


def test_parallel_build_from_an_unguarded_script_under_spawn(
    make_corpus: MakeCorpus, tmp_path: Path
) -> None:
    """Workers are forked whatever the default start method (spawn on macOS, forkserver
    on Linux from Python 3.14): a spawned worker would run the user's script again."""
    root = make_corpus({f"{n:02}.txt": f"shared words and word{n}" for n in range(20)})
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import multiprocessing
            multiprocessing.set_start_method("spawn")
            import seedindex.engine.whoosh
            seedindex.engine.whoosh._PARALLEL_FROM_FILES = 1
            print(len(seedindex.query("shared", seeds={str(root)!r},
                                      index_dir={str(tmp_path / "index")!r}, limit=100)))
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # a script's own folder comes first
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
    )
    assert (ran.returncode, ran.stdout) == (0, "20\n"), ran.stderr[-2000:]


def test_two_processes_opening_a_new_index_at_once(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({f"{n}.txt": f"words of file {n}" for n in range(50)})
    code = f"""
        from seedindex import query
        print(len(query("words", seeds={str(root)!r}, index_dir={str(index_dir)!r}, limit=100)))
        """
    first, second = python(code), python(code)
    for process in (first, second):
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out.strip() == "50"


def probe_texts(generation: int) -> dict[str, str]:
    return {f"probe{n}.txt": f"statetoken gen{generation:03}" for n in range(10)}


def test_threads_share_one_index_and_each_search_sees_one_commit(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(probe_texts(0) | {f"f{n}.txt": f"filler {n}" for n in range(50)})
    errors: list[BaseException] = []
    mixed: list[set[str]] = []
    searches = 0
    done = threading.Event()
    with Index.open(root, index_dir=index_dir) as ix:

        def search() -> None:
            nonlocal searches
            try:
                while not done.is_set():
                    hits = ix.search("statetoken", limit=100)
                    generations = {h.text.split()[1] for h in hits}
                    if len(generations) != 1 or len(hits) != 10:
                        mixed.append(generations)
                    searches += 1
                    # Eight threads that never pause starve the writer of the GIL.
                    time.sleep(0.001)
            except BaseException as exc:  # any error at all fails the test
                errors.append(exc)

        readers = [threading.Thread(target=search) for _ in range(8)]
        for reader in readers:
            reader.start()
        try:
            for generation in range(1, 9):
                for name, text in probe_texts(generation).items():
                    (root / name).write_text(text)
                ix.update()
        finally:
            done.set()
            for reader in readers:
                reader.join()
    assert errors == []
    assert mixed == []
    assert searches >= 8


def test_reader_processes_see_one_commit_at_a_time(tmp_path: Path) -> None:
    """Readers that open the index without updating it never index the folder
    themselves (a reader that did indexed the writer's half-rewritten files)."""
    root = tmp_path / "seeds"
    root.mkdir()
    for name, text in (probe_texts(0) | {f"f{n}.txt": f"filler {n}" for n in range(200)}).items():
        (root / name).write_text(text)
    index_dir = tmp_path / "index"
    Index.open(root, index_dir=index_dir).close()
    stop_file = tmp_path / "stop"
    reader = f"""
        import os
        from seedindex import Index
        while not os.path.exists({str(stop_file)!r}):
            with Index.open({str(root)!r}, index_dir={str(index_dir)!r}, auto_update=False) as ix:
                hits = ix.search("statetoken", limit=100)
                print(len(hits), *sorted({{h.text.split()[1] for h in hits}}), flush=True)
        """
    readers = [python(reader) for _ in range(2)]
    try:
        with Index.open(root, index_dir=index_dir) as ix:
            for generation in range(1, 16):
                for name, text in probe_texts(generation).items():
                    (root / name).write_text(text)
                    time.sleep(0.001)  # the readers see the folder half-rewritten
                ix.update()
    finally:
        stop_file.touch()
        outputs = [process.communicate(timeout=60) for process in readers]
    for out, err in outputs:
        assert err == ""
        observations = out.splitlines()
        assert observations
        for observation in observations:
            count, *generations = observation.split()
            assert (count, len(generations)) == ("10", 1), observation


def test_a_query_waits_for_the_first_build_by_another_process(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    from seedindex import Config
    from seedindex._version import __version__
    from seedindex.engine import ENGINES
    from seedindex.store import IndexDirectory

    root = make_corpus({"a.txt": "apples"})
    # As a process building the index would: the directory claimed, then locked.
    IndexDirectory(index_dir, "whoosh", ENGINES).claim(root, Config(), __version__, 5)
    holder = hold_lock(index_dir)
    found: list[list[str]] = []
    failed: list[BaseException] = []

    def search() -> None:
        try:
            hits = query("apples", seeds=root, index_dir=index_dir, config=Config(lock_timeout=0.1))
            found.append([h.path for h in hits])
        except BaseException as exc:
            failed.append(exc)

    waiting = threading.Thread(target=search)
    waiting.start()
    waiting.join(timeout=1.0)  # ten times the lock timeout: still waiting, not failed
    assert failed == []
    assert waiting.is_alive()
    stop(holder)
    waiting.join()
    assert failed == []
    assert found == [["a.txt"]]


def test_workers_die_with_a_killed_parent_and_free_the_lock(tmp_path: Path) -> None:
    from seedindex.store import WriteLock

    root = tmp_path / "seeds"
    root.mkdir()
    for n in range(600):
        (root / f"f{n:03}.txt").write_text(f"words of file {n}\n\nand more words {n}")
    index_dir = tmp_path / "index"
    builder = python(
        f"""
        import time
        import seedindex.engine.whoosh
        from seedindex import Index
        seedindex.engine.whoosh._PARALLEL_FROM_FILES = 1

        def progress(done, total, passages):
            if done == 300:
                print("building", flush=True)
                time.sleep(60)  # killed here, its workers running

        Index.open({str(root)!r}, index_dir={str(index_dir)!r}, progress=progress)
        """
    )
    assert builder.stdout is not None
    assert builder.stdout.readline() == "building\n"
    builder.kill()
    builder.wait()  # not its pipes: orphaned workers would hold them open
    builder.stdout.close()
    assert builder.stderr is not None
    builder.stderr.close()
    # The workers held the lock with the parent's files; they end with it.
    lock = WriteLock(index_dir / "write.lock", 30)
    assert lock.acquire()
    lock.release()
    with Index.open(root, index_dir=index_dir) as ix:  # the next writer builds it all
        assert len(ix.search("words", limit=2000)) == 1200


KILL_POINTS = {
    "while adding passages": (
        "import seedindex.engine.whoosh as w\n"
        "added = w.WhooshWriter.add\n"
        "calls = []\n"
        "def add(self, *args, **kwargs):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 200:\n"
        "        os._exit(9)\n"
        "    return added(self, *args, **kwargs)\n"
        "w.WhooshWriter.add = add\n"
    ),
    "before the engine commits": (
        "import seedindex.engine.whoosh as w\n"
        "w.WhooshWriter.commit = lambda self, **kwargs: os._exit(9)\n"
    ),
    "between the commit and the manifest": (
        "from seedindex.store import manifest\n"
        "manifest.ManifestWriter.save = lambda self, *args: os._exit(9)\n"
    ),
    "while the manifest replaces the old one": (
        "import seedindex._fs as fs\n"
        "fs.os = type('Os', (), {'replace': staticmethod(lambda *a: os._exit(9)),"
        " 'getpid': os.getpid, 'fsync': os.fsync})\n"
    ),
}


def normal_files(index_dir: Path) -> list[str]:
    """What is left in an index directory beside the files of a committed index."""
    kept = {"seedindex.json", "manifest.json", "write.lock", "whoosh", "whoosh/passages_WRITELOCK"}
    return [
        name
        for name in sorted(str(p.relative_to(index_dir)) for p in index_dir.rglob("*"))
        if name not in kept
        and not (name.startswith("whoosh/_passages_") and name.endswith(".toc"))
        and not (name.startswith("whoosh/passages_") and name.endswith(".seg"))
    ]


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_the_next_writer_clears_what_a_killed_one_left(tmp_path: Path, point: str) -> None:
    root = tmp_path / "seeds"
    root.mkdir()
    for n in range(600):
        (root / f"f{n:03}.txt").write_text(f"alpha {n}\n\nwords {n}")
    index_dir = tmp_path / "index"
    Index.open(root, index_dir=index_dir).close()
    for n in range(0, 600, 2):
        (root / f"f{n:03}.txt").write_text(f"beta {n}\n\nwords {n}")
    killed = python(
        "import os\nimport seedindex.engine.whoosh\n"
        "seedindex.engine.whoosh._PARALLEL_FROM_FILES = 1\n"
        + KILL_POINTS[point]
        + f"from seedindex import Index\nIndex.open({str(root)!r}, index_dir={str(index_dir)!r})\n"
    )
    killed.communicate()
    assert killed.returncode == 9  # it died at that point
    assert normal_files(index_dir) != []  # and left something behind
    with Index.open(root, index_dir=index_dir) as ix:  # the next writer
        found = {h.path for h in ix.search("beta", limit=1000)}
        assert found == {f"f{n:03}.txt" for n in range(0, 600, 2)}
    assert normal_files(index_dir) == []

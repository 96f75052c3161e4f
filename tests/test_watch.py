"""Following a folder: a batch of changes is one update (with a fake event source,
deterministic), and the real watcher picks up edits, new, renamed and deleted files."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedindex import Index, UpdateReport
from tests.conftest import MakeCorpus


def test_each_batch_of_changes_is_one_update_of_what_changed(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha", "b.txt": "beta"})
    reports: list[UpdateReport] = []

    def changes() -> Iterator[object]:
        (root / "a.txt").write_text("alpha edited")
        (root / "c.txt").write_text("gamma")
        yield "batch 1"
        yield "nothing changed"
        (root / "b.txt").unlink()
        yield "batch 2"

    with Index.open(root, index_dir=index_dir) as ix:
        ix.watch(events=changes(), on_update=reports.append)
        assert [(r.added, r.changed, r.removed) for r in reports] == [(1, 1, 0), (0, 0, 1)]
        assert {h.path for h in ix.search("alpha OR beta OR gamma")} == {"a.txt", "c.txt"}


def test_a_set_stop_ends_the_watch_before_the_next_batch(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha"})
    stop = threading.Event()
    stop.set()
    with Index.open(root, index_dir=index_dir) as ix:
        (root / "b.txt").write_text("beta")
        ix.watch(stop=stop, events=["batch"])
        assert ix.search("beta") == []


def wait_for(found: queue.Queue[UpdateReport], what: str) -> UpdateReport:
    try:
        return found.get(timeout=60)  # a busy machine may be slow: wait for the state
    except queue.Empty:
        pytest.fail(f"the watcher never saw {what}")


@pytest.mark.skipif(sys.platform != "linux", reason="inotify")
def test_the_real_watcher_sees_edits_new_renamed_and_deleted_files(
    make_corpus: MakeCorpus, tmp_path: Path
) -> None:
    pytest.importorskip("watchfiles")
    root = make_corpus({"a.txt": "alpha"})
    reports: queue.Queue[UpdateReport] = queue.Queue()
    stop = threading.Event()
    with Index.open(root, index_dir=root / ".index") as ix:  # inside the folder: ignored
        watcher = threading.Thread(target=ix.watch, kwargs={"stop": stop, "on_update": reports.put})
        watcher.start()
        try:
            # The watcher is ready once it reports a change: write until it does.
            sentinel = root / "sentinel.txt"
            while reports.empty():
                sentinel.write_text(
                    f"sentinel {sentinel.stat().st_mtime_ns if sentinel.exists() else 0}"
                )
                stop.wait(0.2)
            while not reports.empty():
                reports.get()
            (root / "a.txt").write_text("alpha edited")
            assert wait_for(reports, "an edit").changed == 1
            (root / "new.txt").write_text("brand new words")
            assert wait_for(reports, "a new file").added == 1
            (root / "new.txt").rename(root / "renamed.txt")
            renamed = wait_for(reports, "a rename")
            assert (renamed.added, renamed.removed) == (1, 1)
            (root / "renamed.txt").unlink()
            assert wait_for(reports, "a deletion").removed == 1
        finally:
            stop.set()
            watcher.join(timeout=60)
        assert not watcher.is_alive()
        assert {h.path for h in ix.search("alpha OR words")} == {"a.txt"}

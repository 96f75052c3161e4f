"""The Whoosh engine: an index in a local folder, searched through ``_local``.

The only package of seedindex that imports Whoosh. Each thread reads through a
Whoosh reader of its own (Whoosh's readers share file positions), made anew when a
commit is seen; writers analyse in one process, or one per core for large batches.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _compat  # isort: skip  (before any of Whoosh's own imports)
from whoosh import index

from ..._config import Config
from .. import CorruptEngineError, EngineWriteError, NewDocument
from .._local import LocalSnapshot
from . import _stored
from ._compat import scoped
from ._read import WhooshPostings
from ._schema import schema

__all__ = ["WhooshEngine", "create", "open"]

logger = logging.getLogger("seedindex")

_INDEX_NAME = "passages"
# Memory a build's postings may take before they spill to disk (shared by its
# processes): the build's size stays flat as the corpus grows. Each spill costs time
# to write and to join again (SciFact: a build 10-15% faster at 128 than at 32, its
# peak RSS 102 MB instead of 72).
_WRITER_MB = 128
# Batches of this many files or bytes or more are analysed by one process per core
# (starting the processes costs about what analysing this much takes).
_PARALLEL_FROM_FILES = 500
_PARALLEL_FROM_BYTES = 4_000_000
# Fewer files of this many bytes (an edited book, a few large files) are split into
# parts of their passages, a part a process; up to the most a part may hold in memory.
_SPLIT_FROM_BYTES = 1_000_000
_SPLIT_UP_TO_BYTES = 32_000_000


def open(folder: Path, config: Config) -> WhooshEngine | None:
    """The index in ``folder``; None when there is none; CorruptEngineError when damaged."""
    if not folder.exists():
        return None
    # Whoosh leaves files open when it fails on a damaged index; they are closed
    # (quietly) when its exception is dropped.
    with warnings.catch_warnings(), _compat.ours():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return WhooshEngine(index.open_dir(str(folder), indexname=_INDEX_NAME))
        except Exception as exc:  # Whoosh raises many kinds on damaged files
            problem = f"{type(exc).__name__}: {exc}"
        gc.collect()
    raise CorruptEngineError(problem)


@scoped
def create(folder: Path, config: Config) -> WhooshEngine:
    """An empty index in ``folder``, which is removed and made anew."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return WhooshEngine(index.create_in(str(folder), schema(), indexname=_INDEX_NAME))


class _View:
    """One thread's reader, with the commit count it was made at."""

    def __init__(self, postings: WhooshPostings, snapshot: LocalSnapshot, epoch: int) -> None:
        self.postings = postings
        self.snapshot = snapshot
        self.epoch = epoch


class WhooshEngine:
    """An open Whoosh index (see ``seedindex.engine.Engine``)."""

    def __init__(self, whoosh_index: Any) -> None:
        self._index = whoosh_index
        self._epoch = 0  # raised by refresh(): views made before it are stale
        self._local = threading.local()
        self._views: set[_View] = set()
        self._lock = threading.Lock()

    @_compat.reads
    def snapshot(self) -> LocalSnapshot:
        view: _View | None = getattr(self._local, "view", None)
        if view is not None and view.epoch == self._epoch:
            return view.snapshot
        if view is not None:
            self._drop(view)
        epoch = self._epoch
        reader = self._index.reader()
        postings = WhooshPostings(reader, self._index)
        view = _View(postings, LocalSnapshot(postings, reader.generation()), epoch)
        with self._lock:
            self._views.add(view)
        self._local.view = view
        return view.snapshot

    def generation(self) -> int:
        generation: int = self._index.latest_generation()
        return generation

    @_compat.writes
    def writer(self, *, files: int, size: int = 0) -> WhooshWriter:
        # Whoosh's own write lock is not taken (_lk=False): the caller holds the index
        # directory's, and Whoosh's would outlive a writer that fails while it starts.
        try:
            return WhooshWriter(self._whoosh_writer(files, size), self._clear_leftovers)
        except Exception as exc:
            problem = str(exc)
            _compat.drop_quietly(exc)  # closes the files of the half-made writer
        self._clear_leftovers()
        raise EngineWriteError(f"cannot start writing: {problem}")

    def _whoosh_writer(self, files: int, size: int) -> Any:
        from ._write import FastSegmentWriter

        processes = os.cpu_count() or 1
        few = files < _PARALLEL_FROM_FILES
        split = few and _SPLIT_FROM_BYTES <= size <= _SPLIT_UP_TO_BYTES
        large = not few or size >= _PARALLEL_FROM_BYTES
        if processes > 1 and (split or (large and files > 1)):
            from ._parallel import FastMpWriter

            # Each process writes a segment of its own; merging them would cost more
            # than the parallel work saves, so they stay apart (multisegment).
            return FastMpWriter(
                self._index,
                procs=processes,
                multisegment=True,
                limitmb=_WRITER_MB / processes,
                split_bytes=size // processes if split else None,
                _lk=False,
            )
        return FastSegmentWriter(self._index, limitmb=_WRITER_MB, _lk=False)

    def _clear_leftovers(self) -> None:
        """Remove what a writer that did not commit left: its segments' files and its
        temporary folder (after a full disk, they would keep it full)."""
        storage = self._index.storage
        try:
            toc = self._index._read_toc()
            index.clean_files(storage, _INDEX_NAME, toc.generation, toc.segments)
        except Exception as exc:  # nothing to clear is no reason to fail a cancel
            logger.debug("clearing a cancelled writer's files: %s", exc)
        shutil.rmtree(Path(storage.folder, f"{_INDEX_NAME}.tmp"), ignore_errors=True)

    def refresh(self) -> None:
        """See the last commit. (Not Whoosh's ``Searcher.refresh()``: whoosh-reloaded
        2.7.5's reader reuse keeps segments that a merge removed, so passages repeat.)"""
        self._epoch += 1

    def close(self) -> None:
        with self._lock:
            views, self._views = self._views, set()
        for view in views:
            view.postings.close()
        self._local = threading.local()
        self._index.close()

    def _drop(self, view: _View) -> None:
        with self._lock:
            self._views.discard(view)
        view.postings.close()


class WhooshWriter:
    """Deletes and adds passages through a Whoosh writer (see ``engine.EngineWriter``)."""

    def __init__(self, whoosh_writer: Any, clear_leftovers: Callable[[], None]) -> None:
        self._writer = whoosh_writer
        self._clear_leftovers = clear_leftovers

    @_compat.writes
    def delete(self, path: str) -> None:
        self._writer.delete_by_term("path", path)

    @scoped
    def add(self, document: NewDocument) -> None:
        tags = " ".join(document.tags)
        for number, passage in enumerate(document.passages):
            first = number == 0  # what is said of the whole file is on its first passage
            self._writer.add_document(
                word=document.text if first else None,
                text=passage.text,
                context=passage.context,
                title=document.title if first else None,
                section=passage.section,
                tag=tags if first else None,
                path=document.path,
                passage=_stored.pack(passage),
            )
        self._writer.end_file()

    @scoped
    def commit(self, *, replace_all: bool = False) -> None:
        from whoosh.writing import CLEAR

        from ._write import merge_small_dropping_dead

        self._writer.commit(mergetype=CLEAR if replace_all else merge_small_dropping_dead)

    @scoped
    def cancel(self) -> None:
        try:
            self._writer.cancel()
        except Exception as exc:  # a commit that failed half-way leaves Whoosh's state odd
            logger.debug("cancelling the Whoosh writer: %s", exc)
            _compat.close_files(self._writer)
        self._clear_leftovers()

"""A build on every core: one process per core, each writing a segment of its own.

Whoosh's multi-process writer, with each process a ``FastSegmentWriter``, and the
two Whoosh bugs this found mended: a worker that dies no longer loses its segment
without a word, and a full job queue no longer waits for ever.

Processes are handed whole files, or, for a few large files (``split_bytes``), parts
of the passages in order, one part a process, their segments kept in that order: the
passages of a file are numbered in file order either way.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
from multiprocessing.context import ForkProcess
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from .. import EngineWriteError
from ._compat import ours
from ._write import FastSegmentWriter, TermPoolWriting

_FORK = multiprocessing.get_context("fork")
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
_WORDS_COST = 0.2


def _failed(tasks: list[Any]) -> EngineWriteError:
    codes = ", ".join(str(task.exitcode) for task in tasks)
    return EngineWriteError(f"an indexing process failed (exit codes {codes})")


class _Jobs:
    """The workers' job queue, as the writer fills it: a worker that ended before its
    work was done fails the write (Whoosh would wait for ever on a full queue)."""

    def __init__(self, jobs: Any, tasks: list[Any]) -> None:
        self._jobs = jobs
        self._tasks = tasks

    def put(self, job: Any) -> None:
        while True:
            # (Exit code 0: a worker that was told its work is done, as the commit does.)
            if any(task.exitcode for task in self._tasks):
                raise _failed(self._tasks)
            try:
                self._jobs.put(job, timeout=1)
            except queue.Full:
                continue
            return

    def cancel_join_thread(self) -> None:
        self._jobs.cancel_join_thread()


class _Results:
    """The workers' result queue, as the committing writer reads it: a worker that
    ended without its result fails the commit, and the segments of parts come in the
    parts' order (the others as they came)."""

    def __init__(self, results: Any, tasks: list[Any]) -> None:
        self._results = results
        self._tasks = tasks
        self._sorted: list[Any] | None = None

    def get(self, timeout: float) -> Any:
        if self._sorted is None:
            try:
                came = [self._results.get(timeout=timeout) for _task in self._tasks]
            except queue.Empty:
                raise _failed(self._tasks) from None
            self._sorted = sorted(came, key=lambda result: -1 if result[0] is None else result[0])
        return self._sorted.pop(0)


class _SubWriterTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's worker process of a multi-process writer, with a ``FastSegmentWriter``.

    Always forked, whatever the default start method (spawn on macOS, forkserver on
    Linux from Python 3.14): a spawned worker would import the user's main module
    again, and a script without a ``__main__`` guard would run twice.
    """

    _start_method = "fork"
    _Popen = staticmethod(ForkProcess._Popen)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent = os.getpid()

    def run(self) -> None:
        # Ctrl-C reaches the whole process group: the parent stops the workers itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(self._parent)
        with ours():
            self._write()

    def _write(self) -> None:
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = FastSegmentWriter(ix, **{**self.kwargs, "_lk": False})
        part = None
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            filename, count, *numbered = job
            self._process_file(filename, count)
            if numbered:  # a part of split files: its segment holds it alone
                part = numbered[0]
                break
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        self.resultqueue.put((part, writer.pool.fieldnames, segment), timeout=5)


def _die_with(parent: int) -> None:
    """End this worker when its parent dies (killed, say): an orphan would hold the
    index's write lock, inherited with the parent's files, for ever."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # no prctl: the check below still runs
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


class FastMpWriter(TermPoolWriting, MpWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer (one segment per process), each a ``FastSegmentWriter``.

    With ``split_bytes``, the passages are handed on in parts of about that much text
    each, one part a process (at most one a process: the last takes the rest)."""

    def __init__(self, ix: Any, *, split_bytes: int | None = None, **kwargs: Any) -> None:
        self._split_bytes: int | None = split_bytes
        self._parts = 0  # parts handed on, when split
        self._buffered = 0  # text gathered since the last part
        self.docbuffer: list[tuple[int, dict[str, Any]]]
        super().__init__(ix, **kwargs)
        self._jobs = _FORK.Queue(self.procs * 4)  # what the workers read
        self.resultqueue: Any = _FORK.Queue()
        # Started now, before the parent reads the folder: a worker forked later would
        # hold a copy of every page the parent has since changed (its folder listings).
        for _process in range(self.procs):
            self._new_task()
        self.jobqueue: Any = _Jobs(self._jobs, self.tasks)

    def add_document(self, **fields: Any) -> None:
        self.docbuffer.append((0, fields))
        self._added_sub = True
        if self._split_bytes is not None:
            # A file's written words (read from its text, on its first passage) are each
            # a term of their own to write: they cost about a fifth of the text's own
            # indexing (measured: the parts then take as long).
            words = int(_WORDS_COST * len(fields.get("word") or ""))
            self._split_bytes += words // self.procs
            self._buffered += len(fields["text"]) + words
            if self._buffered >= self._split_bytes and self._parts < self.procs - 1:
                self._enqueue()

    def end_file(self) -> None:
        """Hand the passages gathered to a process, whole files only (unless split): a
        file's passages in two segments in no set order would not be in file order."""
        if self._split_bytes is None and len(self.docbuffer) >= self.batchsize:
            self._enqueue()

    def _enqueue(self) -> None:
        """The passages gathered, written to a job file for the next free process."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as jobs:
            for item in self.docbuffer:
                pickle.dump(item, jobs, 2)
        job: tuple[Any, ...] = (filename, len(self.docbuffer))
        if self._split_bytes is not None:
            job, self._parts = (*job, self._parts), self._parts + 1
        self.jobqueue.put(job)
        self.docbuffer, self._buffered = [], 0

    def _enqueue_rest(self) -> None:
        """The last passages to a process; split, when no part was handed on yet (there
        was less text than expected), in parts of an even share of what there is."""
        if self._split_bytes is None or self._parts:
            self._enqueue()
            return
        gathered, self.docbuffer, self._buffered = self.docbuffer, [], 0
        self._split_bytes = sum(len(fields["text"]) for _code, fields in gathered) // self.procs
        for _code, fields in gathered:
            self.add_document(**fields)
        if self.docbuffer:
            self._enqueue()

    def cancel(self) -> None:
        """Stop the workers at once (what they wrote is dropped), then this writer.

        (Whoosh only marks its own copies of the workers as cancelled: the workers go
        on, and fail loudly when the writer's files are gone, or wait for work forever.)
        """
        self._stop_workers()
        SegmentWriter.cancel(self)

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        if not self._added_sub:  # only deletions: the workers have nothing to write
            self._stop_workers()
        super().commit(mergetype, optimize, merge)

    def _stop_workers(self) -> None:
        for task in self.tasks:
            task.terminate()
        for task in self.tasks:
            task.join()
        self.jobqueue.cancel_join_thread()  # nobody is left to read what is queued

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if self.docbuffer:  # the last documents to a worker
            self._enqueue_rest()
        # Whoosh commits without the segment of a worker that ended without one (killed,
        # out of memory, failed): its passages would be lost without a word.
        self.resultqueue = _Results(self.resultqueue, self.tasks)
        super()._commit(mergetype, optimize, merge)

    def _new_task(self) -> Any:
        task = _SubWriterTask(
            self.storage,
            self.indexname,
            self._jobs,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        # A forked worker's garbage collector would touch (and so copy) every object it
        # inherits: the parent's objects stay out of its sight. Unless the program froze
        # objects of its own: unfreezing would undo that too.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            task.start()
        finally:
            if freeze:
                gc.unfreeze()
        return task

"""A build on every core: one process per core, each writing a segment of its own.

Whoosh's multi-process writer, with each process a ``FastSegmentWriter``, and the
two Whoosh bugs this found mended: a worker that dies no longer loses its segment
without a word, and a full job queue no longer waits for ever.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import sys
from multiprocessing.context import ForkProcess
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from .. import EngineWriteError
from ._compat import ours
from ._write import FastSegmentWriter, TermPoolWriting

_FORK = multiprocessing.get_context("fork")
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


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
    ended without its result fails the commit."""

    def __init__(self, results: Any, tasks: list[Any]) -> None:
        self._results = results
        self._tasks = tasks

    def get(self, timeout: float) -> Any:
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            raise _failed(self._tasks) from None


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
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


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
    """Whoosh's multi-process writer (one segment per process), each a ``FastSegmentWriter``."""

    def add_document(self, **fields: Any) -> None:
        self.docbuffer.append((0, fields))
        self._added_sub = True

    def end_file(self) -> None:
        """Hand the passages gathered to a process, whole files only: a file's passages
        split between two segments would no longer be numbered in file order."""
        if len(self.docbuffer) >= self.batchsize:
            self._enqueue()

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._jobs = _FORK.Queue(self.procs * 4)  # what the workers read
        self.resultqueue: Any = _FORK.Queue()
        # Started now, before the parent reads the folder: a worker forked later would
        # hold a copy of every page the parent has since changed (its folder listings).
        for _process in range(self.procs):
            self._new_task()
        self.jobqueue: Any = _Jobs(self._jobs, self.tasks)

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
            self._enqueue()
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

"""Writing Whoosh segments a term at a time, in bounded memory.

Whoosh's own writer sends every posting through a sorting pool as a tuple, sorts
them all, then hands them one call each to its block writer. Here a pool keeps
each term's postings together (documents arrive in number order, so they are
sorted already), spills them to a run file sorted by term when its memory budget
is spent, and the segment's postings are written a block at a time with Whoosh's
own block writer: the same index files, a fraction of the Python calls.
"""

from __future__ import annotations

import gc
import heapq
import marshal
import multiprocessing
import pickle
import queue
import signal
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from itertools import groupby
from multiprocessing.context import ForkProcess
from operator import itemgetter
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter
from whoosh.filedb.structfile import StructFile
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from ._engine import WriterProcessError, column_lengths

# (field, term, document numbers, weights, value strings): a run's record, at most
# _RECORD_POSTINGS postings of one term. Terms are kept as text: its order is that of
# their UTF-8 bytes, which Whoosh writes.
Record = tuple[str, str, "array[int]", "array[float]", list[bytes]]
_Postings = tuple["array[int]", "array[float]", list[bytes]]
# A term and its postings in document order, in parts (a part a run's record).
TermParts = tuple[str, str, Iterator[_Postings]]

# What a posting and a new term cost the pool in memory, roughly: a posting is two
# array items, a list slot and a small bytes object; a term a key and three containers.
_POSTING_BYTES = 64
_TERM_BYTES = 400
# Spilled runs are joined into one when there are this many.
_MAX_RUNS = 32
# Joining runs holds a record of each at once: records are kept small (four blocks),
# so a common word's postings (as many as the passages) are never in memory whole,
# and joining 16 runs holds about 0.5 MB of them, not 4 MB.
_RECORD_POSTINGS = 512
_RECORD_LENGTH = struct.Struct("<I")
# Blocks of fewer postings are written uncompressed: zlib's set-up costs more than a
# few bytes are worth (most terms are in one or two passages).
_COMPRESS_FROM_POSTINGS = 16

_FORK = multiprocessing.get_context("fork")


class TermPool:
    """Postings grouped by field and term: the pool Whoosh's segment writer fills."""

    def __init__(self, tempstore: Any, limitmb: float) -> None:
        self._tempstore = tempstore
        self._limit = int(limitmb * 1024 * 1024)
        self._size = 0
        self._fields: dict[str, dict[str, _Postings]] = {}
        self._runs: list[str] = []

    @property
    def fieldnames(self) -> set[str]:
        return set(self._fields)

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting: (field, term bytes, document number, weight, value string)."""
        fieldname, text, docnum, weight, value = item
        self.add_document_terms(fieldname, docnum, [(text.decode("utf-8"), 0, weight, value)])

    def add_document_terms(
        self, fieldname: str, docnum: int, postings: Iterable[tuple[str, int, float, bytes | None]]
    ) -> None:
        """A document's postings in one field, as a format's ``word_values`` gives them:
        (term, frequency, weight, value string) each."""
        terms = self._fields.setdefault(fieldname, {})
        added = 0
        for text, _frequency, weight, value in postings:
            found = terms.get(text)
            if found is None:
                found = terms[text] = (array("I"), array("f"), [])
                self._size += _TERM_BYTES
            found[0].append(docnum)
            found[1].append(weight)
            if value:  # formats without values (Existence) keep none, as Whoosh does
                found[2].append(value)
            added += 1
        self._size += added * _POSTING_BYTES
        if self._size > self._limit:
            self._spill()

    def terms(self) -> Iterator[TermParts]:
        """Every term in (field, term) order, its postings from all runs in document order."""
        return _joined([*(self._read_run(name) for name in self._runs), self._in_memory()])

    def cleanup(self) -> None:
        self._delete_runs()
        self._fields = {}

    def _delete_runs(self) -> None:
        for name in self._runs:
            if self._tempstore.file_exists(name):
                self._tempstore.delete_file(name)
        self._runs = []

    def _in_memory(self) -> Iterator[Record]:
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for text in sorted(terms):
                yield (fieldname, text, *terms[text])

    def _spill(self) -> None:
        self._runs.append(self._write_run(_joined([self._in_memory()])))
        self._fields = {}
        self._size = 0
        if len(self._runs) >= _MAX_RUNS:  # each is an open file when they are joined
            joined = self._write_run(_joined([self._read_run(name) for name in self._runs]))
            self._delete_runs()
            self._runs = [joined]

    def _write_run(self, terms: Iterable[TermParts]) -> str:
        """A run file: records of a length, then the marshalled record (read in two calls)."""
        name = f"{random_name()}.terms"
        with self._tempstore.create_file(name).raw_file() as run:
            for fieldname, text, parts in terms:
                for ids, weights, values in parts:
                    for start in range(0, len(ids), _RECORD_POSTINGS):
                        end = start + _RECORD_POSTINGS
                        record = (
                            fieldname,
                            text,
                            ids[start:end].tobytes(),
                            weights[start:end].tobytes(),
                            values[start:end],
                        )
                        packed = marshal.dumps(record)
                        run.write(_RECORD_LENGTH.pack(len(packed)))
                        run.write(packed)
        return name

    def _read_run(self, name: str) -> Iterator[Record]:
        with self._tempstore.open_file(name).raw_file() as run:
            while header := run.read(_RECORD_LENGTH.size):
                (length,) = _RECORD_LENGTH.unpack(header)
                fieldname, text, ids, weights, values = marshal.loads(run.read(length))
                yield fieldname, text, array("I", ids), array("f", weights), values


def _joined(sources: list[Iterator[Record]]) -> Iterator[TermParts]:
    """Sources of records sorted by (field, term), each term's records in source order:
    read one at a time, as the term's parts are consumed (before the next term)."""
    # merge() keeps equal keys in source order: runs were written in document order.
    merged = sources[0] if len(sources) == 1 else heapq.merge(*sources, key=itemgetter(0, 1))
    for (fieldname, text), records in groupby(merged, key=itemgetter(0, 1)):
        yield fieldname, text, (record[2:] for record in records)


def write_postings(
    fieldwriter: Any, schema: Any, perdoc_reader: Any, terms: Iterable[TermParts]
) -> None:
    """Write every term's postings through a segment's field writer, a block at a time."""
    current = None
    lengths: array[int] | None = None
    compression = fieldwriter._codec._compression
    for fieldname, text, parts in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            fieldwriter._postwriter.__class__ = _BlockWriter
            current = fieldname
            lengths = column_lengths(perdoc_reader, fieldname)
        fieldwriter.start_term(text.encode("utf-8"))
        _fill_blocks(fieldwriter._postwriter, parts, lengths, compression)
        fieldwriter.finish_term()  # writes the last block
    if current is not None:
        fieldwriter.finish_field()


def _fill_blocks(
    writer: Any, parts: Iterator[_Postings], lengths: array[int] | None, compression: int
) -> None:
    """Set the block writer's buffer as ``add_posting`` would, one full block at a time."""
    first = True
    for ids, weights, values in _blocks(parts, writer._blocklimit):
        if not first:
            writer._write_block()
        first = False
        writer._ids = ids
        writer._compression = compression if len(ids) >= _COMPRESS_FROM_POSTINGS else 0
        writer._weights = weights
        writer._values = values
        writer._maxweight = max(0, max(weights))
        found = [lengths[doc] for doc in ids if lengths[doc]] if lengths else []
        writer._minlength = min(found) if found else None
        writer._maxlength = max(found) if found else 0


def _blocks(parts: Iterator[_Postings], limit: int) -> Iterator[_Postings]:
    """The parts' postings in blocks of ``limit`` (the last one shorter). A term of one
    part shorter than a block (most terms) is passed on as it is, not copied."""
    alone: _Postings | None = None
    ids, weights, values = array("I"), array("f"), []
    for part in parts:
        if alone is None and not ids and 0 < len(part[0]) < limit:
            alone = part
            continue
        for more_ids, more_weights, more_values in (alone, part) if alone else (part,):
            start = 0
            while start < len(more_ids):
                end = start + limit - len(ids)
                ids.extend(more_ids[start:end])
                weights.extend(more_weights[start:end])
                values.extend(more_values[start:end])
                start = end
                if len(ids) == limit:
                    yield ids, weights, values
                    ids, weights, values = array("I"), array("f"), []
        alone = None
    if alone is not None:
        yield alone
    elif ids:
        yield ids, weights, values


class _BlockWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings block writer, pickling a block's postings with protocol 5.

    Whoosh pickles them with protocol 2, which has no opcode for bytes: each
    posting's value (its positions) is pickled as a call that decodes it to text and
    encodes it back, twice the size and several times the time to write and to read.
    Any protocol reads back the same (Whoosh reads blocks with ``pickle.loads``).
    """

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 5)
        if self._compression:
            data = zlib.compress(data, self._compression)
        ids = self._ids
        info = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                self._compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,  # no bytes in it: protocol 2 is the shortest
        )
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)  # negative: the last block
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class _CountingFile(StructFile):  # type: ignore[misc]
    """A segment file being written that counts where it is.

    Whoosh asks the postings and terms files where they are about four times a term,
    and a buffered file asks the system each time (a seek call: about 2% of a build).
    Writes that bypass ``write`` make it ask once more.
    """

    _position: int | None = None

    def write(self, data: Any) -> int:
        written: int = self.file.write(data)
        if self._position is not None:
            self._position += written
        return written

    def tell(self) -> int:
        if self._position is None:
            self._position = self.file.tell()
        return self._position

    def seek(self, *args: Any) -> Any:
        self._position = None
        return self.file.seek(*args)

    def write_pickle(self, obj: Any, protocol: int = -1) -> None:
        self._position = None
        super().write_pickle(obj, protocol)

    def write_array(self, arry: Any) -> None:
        self._position = None
        super().write_array(arry)


class _Pairs:
    """A bucket of Whoosh's terms table: (hash, place) pairs, which Whoosh keeps in
    memory until the segment is written, as two arrays (12 bytes a term, not 100)."""

    __slots__ = ("_hashes", "_places")

    def __init__(self) -> None:
        self._hashes = array("I")
        self._places = array("Q")

    def append(self, pair: tuple[int, int]) -> None:
        self._hashes.append(pair[0])
        self._places.append(pair[1])

    def __len__(self) -> int:
        return len(self._hashes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._hashes, self._places, strict=True)


class _TermPoolWriting:
    """A Whoosh segment writer with a ``TermPool`` and block-at-a-time postings."""

    pool: TermPool

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)  # type: ignore[call-arg]
        self.pool = TermPool(self._tempstorage, kwargs.get("limitmb", 128))  # type: ignore[attr-defined]
        terms_table = self.fieldwriter._tindex  # type: ignore[attr-defined]
        terms_table.buckets = [_Pairs() for _bucket in terms_table.buckets]
        for written in (self.fieldwriter._postfile, terms_table.dbfile):  # type: ignore[attr-defined]
            written.__class__ = _CountingFile

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``add_document`` for schemas without vectors, spelling or boosts
        (seedindex's), handing the pool each field's postings at once."""
        self._check_state()  # type: ignore[attr-defined]
        perdoc = self.perdocwriter  # type: ignore[attr-defined]
        docnum = self.docnum  # type: ignore[has-type]
        perdoc.start_doc(docnum)
        try:
            for name in sorted(n for n in fields if not n.startswith("_")):
                if fields[name] is not None:
                    stored = fields.get(f"_stored_{name}", fields[name])
                    self._add_field(docnum, name, fields[name], stored)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum = docnum + 1

    def _add_field(self, docnum: int, name: str, value: Any, stored: Any) -> None:
        field = self.schema[name]  # type: ignore[attr-defined]
        length = 0
        if field.indexed:
            found = list(field.format.word_values(value, field.analyzer, mode="index"))
            self.pool.add_document_terms(name, docnum, found)
            if field.scorable:
                length = sum(frequency for _w, frequency, _wt, _v in found)
        self.perdocwriter.add_field(name, field, stored if field.stored else None, length)  # type: ignore[attr-defined]
        if field.column_type and stored is not None:
            column_value = field.to_column_value(stored)
            self.perdocwriter.add_column_value(name, field.column_type, column_value)  # type: ignore[attr-defined]

    def _flush_segment(self) -> None:
        self.perdocwriter.close()  # type: ignore[attr-defined]
        lengths = self.per_document_reader()  # type: ignore[attr-defined]
        try:
            write_postings(self.fieldwriter, self.schema, lengths, self.pool.terms())  # type: ignore[attr-defined]
        finally:
            lengths.close()
        self.fieldwriter.close()  # type: ignore[attr-defined]


class FastSegmentWriter(_TermPoolWriting, SegmentWriter):  # type: ignore[misc]
    """Whoosh's ``SegmentWriter``, writing its postings through a ``TermPool``."""


def _failed(tasks: list[Any]) -> WriterProcessError:
    codes = ", ".join(str(task.exitcode) for task in tasks)
    return WriterProcessError(f"an indexing process failed (exit codes {codes})")


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

    def run(self) -> None:
        # Ctrl-C reaches the whole process group: the parent stops the workers itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = FastSegmentWriter(ix, _lk=False, **self.kwargs)
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


class FastMpWriter(_TermPoolWriting, MpWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer (one segment per process), each a ``FastSegmentWriter``."""

    add_document = MpWriter.add_document  # hands documents to the processes

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
        # inherits: the parent's objects stay out of its sight.
        gc.freeze()
        try:
            task.start()
        finally:
            gc.unfreeze()
        return task

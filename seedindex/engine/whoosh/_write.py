"""Writing Whoosh segments a term at a time, in bounded memory.

Whoosh's own writer sends every posting through a sorting pool as a tuple, sorts
them all, then hands them one call each to its block writer. Here a pool keeps
each term's postings together (documents arrive in number order, so they are
sorted already), spills them to a run file sorted by term when its memory budget
is spent, and the segment's postings are written a block at a time with Whoosh's
own block writer (``_schema.BlockWriter``, through the index's codec): the same index
files, a fraction of the Python calls. The multi-process writer is in ``_parallel``.
"""

from __future__ import annotations

import heapq
import marshal
import struct
from array import array
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, groupby
from operator import itemgetter, methodcaller
from typing import Any

from whoosh.util import random_name
from whoosh.writing import MERGE_SMALL, SegmentWriter

from ... import _analysis
from ._schema import Codec, WrittenWords, column_lengths, inlined_term_info

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
_WORD_POSTING_BYTES = 8  # an item of an array, as it grows
_FREQUENCY = itemgetter(1)  # of a posting as ``word_values`` gives it
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


_ONE = array("f", [1.0])


def _new_ids() -> array[int]:
    return array("I")


class TermPool:
    """Postings grouped by field and term: the pool Whoosh's segment writer fills."""

    def __init__(self, tempstore: Any, limitmb: float, word_fields: frozenset[str]) -> None:
        self._tempstore = tempstore
        self.word_fields = word_fields  # of WrittenWords (see add_document_words)
        self._limit = int(limitmb * 1024 * 1024)
        self._size = 0
        self._fields: dict[str, dict[str, _Postings]] = {}
        self._words: dict[str, defaultdict[str, array[int]]] = {}  # see add_document_words
        self._runs: list[str] = []

    @property
    def fieldnames(self) -> set[str]:
        return {*self._fields, *self._words}

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting: (field, term bytes, document number, weight, value string)."""
        fieldname, text, docnum, weight, value = item
        if fieldname in self.word_fields:  # a word, as merged segments give them
            self.add_document_words(fieldname, docnum, [text.decode("utf-8")])
            return
        self.add_document_terms(fieldname, docnum, [(text.decode("utf-8"), 0, weight, value)])

    def add_document_terms(
        self, fieldname: str, docnum: int, postings: Sequence[tuple[str, int, float, bytes | None]]
    ) -> None:
        """A document's postings in one field, as a format's ``word_values`` gives them:
        (term, frequency, weight, value string) each."""
        terms = self._fields.setdefault(fieldname, {})
        known = len(terms)
        for text, _frequency, weight, value in postings:
            found = terms.get(text)
            if found is None:
                found = terms[text] = (array("I"), array("f"), [])
            found[0].append(docnum)
            found[1].append(weight)
            if value:  # formats without values (Existence) keep none, as Whoosh does
                found[2].append(value)
        self._size += len(postings) * _POSTING_BYTES + (len(terms) - known) * _TERM_BYTES
        if self._size > self._limit:
            self._spill()

    def add_document_words(self, fieldname: str, docnum: int, words: list[str]) -> None:
        """A document's terms in a field of terms without values or weights
        (``WrittenWords``), each once: only their document numbers are kept, appended
        without a Python step a term (a file's words are as many as its passages')."""
        terms = self._words.setdefault(fieldname, defaultdict(_new_ids))
        known = len(terms)
        deque(map(methodcaller("append", docnum), map(terms.__getitem__, words)), maxlen=0)
        self._size += len(words) * _WORD_POSTING_BYTES + (len(terms) - known) * _TERM_BYTES
        if self._size > self._limit:
            self._spill()

    def terms(self) -> Iterator[TermParts]:
        """Every term in (field, term) order, its postings from all runs in document order."""
        return _joined([*(self._read_run(name) for name in self._runs), self._in_memory()])

    def cleanup(self) -> None:
        self._delete_runs()
        self._fields, self._words = {}, {}

    def _delete_runs(self) -> None:
        for name in self._runs:
            if self._tempstore.file_exists(name):
                self._tempstore.delete_file(name)
        self._runs = []

    def _in_memory(self) -> Iterator[Record]:
        for fieldname in sorted(self.fieldnames):
            if fieldname in self._words:
                words = self._words[fieldname]
                for text in sorted(words):
                    ids = words[text]
                    yield fieldname, text, ids, _ONE * len(ids), []
            else:
                terms = self._fields[fieldname]
                for text in sorted(terms):
                    yield (fieldname, text, *terms[text])

    def _spill(self) -> None:
        self._runs.append(self._write_run(_joined([self._in_memory()])))
        self._fields, self._words = {}, {}
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
    """Write every term's postings through a segment's field writer, a block at a time;
    the postings of a rare term straight into the terms table."""
    current = None
    lengths: array[int] | None = None
    compression = fieldwriter._codec._compression
    inline_below = fieldwriter._codec._inlinelimit
    for fieldname, text, parts in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            lengths = column_lengths(perdoc_reader, fieldname)
        first = next(parts)
        second = next(parts, None)
        if second is None and len(first[0]) < inline_below:
            entry = inlined_term_info(*first, *_length_range(first[0], lengths))
            fieldwriter.add_inlined(text.encode("utf-8"), entry)
            continue
        fieldwriter.start_term(text.encode("utf-8"))
        more = chain([first, second], parts) if second is not None else iter([first])
        _fill_blocks(fieldwriter._postwriter, more, lengths, compression)
        fieldwriter.finish_term()  # writes the last block
    if current is not None:
        fieldwriter.finish_field()


def _length_range(ids: array[int], lengths: array[int] | None) -> tuple[int | None, int]:
    """The shortest and longest of these passages in the field (None, 0 when unscored)."""
    found = [lengths[doc] for doc in ids if lengths[doc]] if lengths else []
    return (min(found), max(found)) if found else (None, 0)


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
        writer._minlength, writer._maxlength = _length_range(ids, lengths)


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


def merge_small_dropping_dead(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh's ``MERGE_SMALL``, after leaving out the segments whose every passage is
    deleted. (Whoosh keeps those for ever: each edit of a large file would leave its
    old segment behind, on disk and in every search.)"""
    live = [segment for segment in segments if segment.deleted_count() < segment.doc_count_all()]
    kept: list[Any] = MERGE_SMALL(writer, live)
    return kept


class TermPoolWriting:
    """A Whoosh segment writer with a ``TermPool`` and block-at-a-time postings."""

    pool: TermPool

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        kwargs.setdefault("codec", Codec())
        super().__init__(ix, **kwargs)  # type: ignore[call-arg]
        schema = self.schema  # type: ignore[attr-defined]
        self.pool = TermPool(
            self._tempstorage,  # type: ignore[attr-defined]
            kwargs.get("limitmb", 128),
            frozenset(
                name for name in schema.names() if isinstance(schema[name].format, WrittenWords)
            ),
        )

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

    def end_file(self) -> None:
        """A file's passages are all added (they are numbered together, in file order)."""

    def _add_field(self, docnum: int, name: str, value: Any, stored: Any) -> None:
        field = self.schema[name]  # type: ignore[attr-defined]
        length = 0
        if name in self.pool.word_fields:
            self.pool.add_document_words(name, docnum, _analysis.written_words(value))
        elif field.indexed:
            found = list(field.format.word_values(value, field.analyzer, mode="index"))
            self.pool.add_document_terms(name, docnum, found)
            if field.scorable:
                length = sum(map(_FREQUENCY, found))
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


class FastSegmentWriter(TermPoolWriting, SegmentWriter):  # type: ignore[misc]
    """Whoosh's ``SegmentWriter``, writing its postings through a ``TermPool``."""

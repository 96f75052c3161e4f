"""The Whoosh storage behind an index: schema, analyzer, opening, writing.

Everything that knows Whoosh's storage lives here (with its segment writing in
``_segments``, loaded only to write, and its query language in ``_syntax``), so
another engine can stand beside it under the same ``Index``.
"""

from __future__ import annotations

import gc
import os
import shutil
import struct
import warnings
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _lean_whoosh  # noqa: F401  # isort: skip  (before any of Whoosh's imports)
from whoosh import fields, formats, index
from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.structfile import BufferFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.support.levenshtein import distance as edits

from . import _analysis
from ._ranking import Corpus

if TYPE_CHECKING:
    from ._passages import Span

_INDEX_NAME = "passages"
# Memory a build's postings may take before they spill to disk (shared by its
# processes): the build's size stays flat as the corpus grows, at no cost in speed.
_WRITER_MB = 32


class Analyzer(Tokenizer):  # type: ignore[misc]
    """Whoosh's analyzer protocol over ``_analysis``; pickled into the index schema."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[WhooshToken]:
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        if not tokenize:
            # Wildcard and prefix patterns: normalised, never stemmed.
            token.text = _analysis.normalize(value)
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for position, (term, start, end) in enumerate(_analysis.spans(value), start_pos):
            token.text = term
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class PassagePositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's positions format, fed straight from ``_analysis`` and packed as an array.

    The same postings Whoosh's Positions writes, without a Token object per word or
    a pickle per (term, passage). Pickled into the index schema.
    """

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> list[Any]:
        boost, encode = self.field_boost, self.encode
        return [
            (term, len(found), len(found) * boost, encode(found))
            for term, found in _positions(value).items()
        ]

    def encode(self, poslist: list[int]) -> bytes:
        """The count (which Whoosh reads as the frequency), then the gaps between positions."""
        if len(poslist) == 1:  # most words are once in a passage
            return _ONCE.pack(1, poslist[0])
        gaps = [b - a for a, b in zip([0, *poslist], poslist, strict=False)]
        return struct.pack(f">{len(gaps) + 1}I", len(gaps), *gaps)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        count = (len(valuestring) - 4) // 4
        return list(accumulate(struct.unpack_from(f">{count}I", valuestring, 4)))


_ONCE = struct.Struct(">II")


class PassageFrequency(formats.Frequency):  # type: ignore[misc]
    """Whoosh's frequency format (for titles), fed straight from ``_analysis``."""

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        for term, found in _positions(value).items():
            yield term, len(found), len(found) * self.field_boost, _COUNT.pack(len(found))


_COUNT = struct.Struct(">I")


def _positions(text: str) -> dict[str, list[int]]:
    """Each index term of ``text`` with the word positions it is at."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, term in enumerate(_analysis.terms(text)):
        positions[term].append(position)
    return positions


def _schema() -> fields.Schema:
    text = fields.TEXT(analyzer=Analyzer(), phrase=True, stored=True, multitoken_query="phrase")
    text.format = PassagePositions()
    title = fields.TEXT(analyzer=Analyzer(), phrase=False)
    title.format = PassageFrequency()
    return fields.Schema(
        text=text,
        path=fields.ID(stored=True, sortable=True),
        title=title,
        start=fields.STORED(),
        end=fields.STORED(),
        line=fields.STORED(),
        end_line=fields.STORED(),
    )


_LENGTHS = [whoosh3.byte_to_length(b) for b in range(256)]


def column_lengths(perdoc_reader: Any, fieldname: str) -> array[int] | None:
    """Every document's length in ``fieldname``, read from the segment's column at once
    (4 bytes a document)."""
    loaded = perdoc_reader.__dict__.setdefault("_seedindex_lengths", {})
    if fieldname not in loaded:
        column = perdoc_reader._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        loaded[fieldname] = (
            None if column is None else array("I", map(_LENGTHS.__getitem__, column.load()))
        )
    lengths: array[int] | None = loaded[fieldname]
    return lengths


def _whole_column_lengths() -> None:
    """Make Whoosh read a segment's passage lengths once, not once per posting.

    Whoosh 2.7 looks up a document's length in the segment's column file for every
    length asked, a seek and an unpack each time. The lengths are a byte per
    document; reading the column whole gives the same numbers.
    """

    def doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
        lengths = column_lengths(self, fieldname)
        return default if lengths is None else (lengths[docnum] or None)

    whoosh3.W3PerDocReader.doc_field_length = doc_field_length


_whole_column_lengths()


class _BufferStream:
    """A read-only stream over a buffer that copies only what is read."""

    __slots__ = ("_buffer", "_position")

    def __init__(self, buffer: Any) -> None:
        self._buffer = buffer
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = len(self._buffer) if size is None or size < 0 else start + size
        self._position = max(start, min(end, len(self._buffer)))
        return bytes(self._buffer[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        start = end = self._position
        limit = (
            len(self._buffer) if size is None or size < 0 else min(start + size, len(self._buffer))
        )
        while end < limit:
            chunk = bytes(self._buffer[end : min(end + 256, limit)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                end += newline + 1
                break
            end += len(chunk)
        self._position = end
        return bytes(self._buffer[start:end])

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._position, len(self._buffer))[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        """Nothing to free: the buffer belongs to the segment."""

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def _buffers_read_in_place() -> None:
    """Make Whoosh open a segment's files without copying them.

    Whoosh 2.7 wraps each file of a segment (a slice of the memory-mapped segment)
    in a ``BytesIO``, which copies the file whole, on every reader it opens:
    postings, terms, stored passages. Read in place instead, opening an index (each
    query process, each update's deletes) no longer costs a copy of it.
    """

    def init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf, self._name, self.onclose = buf, name, onclose
        self.file = _BufferStream(buf)
        self.is_real = self.is_closed = False

    BufferFile.__init__ = init


_buffers_read_in_place()


class Postings:
    """Fast reads of an open index for ranking: term postings, lengths, paths.

    Whoosh's matcher objects cost microseconds per posting; reading whole
    blocks of its W3 postings format costs a fraction of that. Made per reader
    (a fixed view of the index) and kept with it until the next write.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._leaves = list(reader.leaf_readers())
        self._cache: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self._paths: list[Any] = []
        lengths = [
            leaf.doc_field_length(doc, "text", 0) or 0
            for leaf, _base in self._leaves
            for doc in range(leaf.doc_count_all())
        ]
        self.corpus = Corpus(lengths, reader.doc_count())

    def terms(self, field: str, term: str) -> tuple[list[int], list[float]]:
        """(passage numbers, frequencies) of ``term``, without deleted passages."""
        key = (field, term)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) > _POSTINGS_CACHE:
                self._cache.clear()
            cached = self._cache[key] = self._read(field, term)
        return cached

    def frequency(self, term: str) -> int:
        """How many live passages hold ``term``."""
        return len(self.terms("text", term)[0])

    def near(self, term: str, distance: int) -> list[str]:
        """Index terms within ``distance`` edits of ``term``, sharing its first letter."""
        # Typos rarely touch the first letter; requiring it keeps the search fast.
        found = []
        for raw in self._reader.expand_prefix("text", term[:1]):
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            # An edit changes the length by one at most: most words need no closer look
            # (Whoosh's ``terms_within`` measures every one).
            if abs(len(word) - len(term)) <= distance and edits(word, term, distance) <= distance:
                found.append(word)
        return found

    def path(self, doc: int) -> str:
        """The file a passage belongs to, from the path column (no stored fields read)."""
        if not self._paths:
            self._paths = [
                (base, leaf.column_reader("path")) for leaf, base in reversed(self._leaves)
            ]
        for base, column in self._paths:
            if doc >= base:
                value = column[doc - base]
                return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        raise IndexError(doc)

    def _read(self, field: str, term: str) -> tuple[list[int], list[float]]:
        ids: list[int] = []
        frequencies: list[float] = []
        for leaf, base in self._leaves:
            if (field, term) not in leaf:
                continue
            matcher = leaf.postings(field, term)
            deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
            if isinstance(matcher, FilterMatcher):
                matcher = matcher.child
            for doc, frequency in _blocks(matcher):
                if doc not in deleted:
                    ids.append(base + doc)
                    frequencies.append(frequency)
        return ids, frequencies


# Distinct terms whose postings a searcher keeps (each a few kilobytes at most).
_POSTINGS_CACHE = 20_000
# Passages whose stored fields a searcher keeps: a query reads its best ones twice
# (feedback, then the hits), and the next query often wants them again.
_STORED_CACHE = 2_000


def _blocks(matcher: Any) -> Iterator[tuple[int, float]]:
    """(doc, weight) of every posting, a block at a time where the format allows."""
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            yield matcher.id(), matcher.weight()
            matcher.next()
        return
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield from zip(matcher._ids, matcher._weights, strict=True)
        matcher._next_block()


class CorruptEngineError(Exception):
    """The engine files cannot be opened (missing, damaged or of another version)."""


class WriterProcessError(Exception):
    """A process writing part of a commit ended without its part: nothing is committed."""


class Engine:
    """An open Whoosh index: one reader (and postings) for queries, writers for changes."""

    def __init__(self, whoosh_index: Any) -> None:
        self._index = whoosh_index
        self._reader: Any = None
        self._searcher: Any = None
        self._postings: Postings | None = None
        self._stored: dict[int, dict[str, Any]] = {}

    @classmethod
    def open(cls, folder: Path) -> Engine:
        # Whoosh leaves files open when it fails on a damaged index; they are closed
        # (quietly) when its exception is dropped.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                whoosh_index = index.open_dir(str(folder), indexname=_INDEX_NAME)
            except Exception as exc:  # Whoosh raises many kinds on damaged files
                problem = f"{type(exc).__name__}: {exc}"
            else:
                return cls(whoosh_index)
            gc.collect()
        raise CorruptEngineError(problem)

    @classmethod
    def create(cls, folder: Path) -> Engine:
        """An empty index in ``folder``, which is removed and made anew."""
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return cls(index.create_in(str(folder), _schema(), indexname=_INDEX_NAME))

    def generation(self) -> int:
        """The number of the last commit, which every commit raises."""
        generation: int = self._index.latest_generation()
        return generation

    def reader(self) -> Any:
        """One reader kept open for every query, brought up to date after writes."""
        if self._reader is None:
            self._reader = self._index.reader()
        return self._reader

    def searcher(self) -> Any:
        """A searcher over the same reader (for Whoosh's own matching)."""
        if self._searcher is None:
            from whoosh.searching import Searcher

            self._searcher = Searcher(self.reader(), fromindex=self._index)
        return self._searcher

    def stored(self, doc: int) -> dict[str, Any]:
        """A passage's stored fields (not to be changed: recent ones are shared)."""
        fields = self._stored.get(doc)
        if fields is None:
            if len(self._stored) >= _STORED_CACHE:
                self._stored.clear()
            fields = self._stored[doc] = self.reader().stored_fields(doc)
        return fields

    def passages_of(self, path: str) -> list[tuple[int, dict[str, Any]]]:
        """(passage number, stored fields) of every passage of the file at ``path``."""
        postings = self.postings()
        return [(n, self.stored(n)) for n in postings.terms("path", path)[0]]

    def postings(self) -> Postings:
        """Fast reads for ranking, over the current reader."""
        if self._postings is None:
            self._postings = Postings(self.reader())
        return self._postings

    def refresh(self) -> None:
        """See the last commit. (Not Whoosh's ``Searcher.refresh()``: whoosh-reloaded
        2.7.5's reader reuse keeps segments that a merge removed, so passages repeat.)"""
        self._close_reader()

    def _close_reader(self) -> None:
        if self._searcher is not None:
            self._searcher.close()  # closes the reader too
        elif self._reader is not None:
            self._reader.close()
        self._searcher = self._reader = self._postings = None
        self._stored = {}

    def writer(self, *, parallel: bool = False) -> EngineWriter:
        """A writer; ``parallel`` analyses in one process per core (for large batches)."""
        from ._segments import FastMpWriter, FastSegmentWriter

        processes = os.cpu_count() or 1
        if parallel and processes > 1:
            # Each process writes a segment of its own; merging them would cost more
            # than the parallel work saves, so they stay apart (multisegment).
            whoosh_writer = FastMpWriter(
                self._index, procs=processes, multisegment=True, limitmb=_WRITER_MB / processes
            )
        else:
            whoosh_writer = FastSegmentWriter(self._index, limitmb=_WRITER_MB)
        return EngineWriter(whoosh_writer)

    def close(self) -> None:
        self._close_reader()
        self._index.close()


class EngineWriter:
    """Deletes and adds passages; nothing is visible to readers before ``commit``."""

    def __init__(self, whoosh_writer: Any) -> None:
        self._writer = whoosh_writer

    def delete(self, path: str) -> None:
        self._writer.delete_by_term("path", path)

    def add(self, path: str, text: str, passages: Iterable[tuple[Span, str]], title: str) -> None:
        """Add a file's passages, each with words it is also found by (its ``context``)."""
        for span, context in passages:
            passage = text[span.start : span.end]
            self._writer.add_document(
                text=f"{passage}\n{context}" if context else passage,
                _stored_text=passage,
                title=title,
                path=path,
                start=span.start,
                end=span.end,
                line=span.line,
                end_line=span.end_line,
            )

    def commit(self, *, replace_all: bool = False) -> None:
        """Publish the changes in one step; ``replace_all`` drops what was there before."""
        from whoosh.writing import CLEAR

        self._writer.commit(mergetype=CLEAR if replace_all else None)

    def cancel(self) -> None:
        """Drop what was written; safe after a commit that failed half-way."""
        try:
            self._writer.cancel()
        except Exception:
            lock = self._writer.writelock
            if lock is not None and getattr(lock, "fd", None) is not None:
                lock.release()

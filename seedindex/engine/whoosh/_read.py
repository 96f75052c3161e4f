"""Reading a Whoosh index for ranking: postings a block at a time, lengths, paths.

Whoosh's matcher objects cost microseconds per posting; reading whole blocks of its
W3 postings format costs a fraction of that. ``WhooshPostings`` is made per reader (a
fixed view of the index) and kept with it until the next write.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterator, Sequence
from itertools import accumulate
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.structfile import BufferFile
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from ...ranking import Corpus
from .. import PassageKey, StoredPassage
from .._local import holding_all, in_order
from . import _stored
from ._compat import PATCHED, reading_ours, reads
from ._schema import column_lengths

# Distinct terms whose postings a reader keeps (each a few kilobytes at most).
_POSTINGS_CACHE = 20_000
# What BufferStream.peek shows at most: enough for a small pickle (pickle asks for more).
_PEEK_BYTES = 512
# Passages whose stored fields a reader keeps: a query reads its best ones twice
# (feedback, then the hits), and the next query often wants them again.
_STORED_CACHE = 2_000


class WhooshPostings:
    """The ``_local.Postings`` of one Whoosh reader."""

    def __init__(self, reader: Any, whoosh_index: Any) -> None:
        self._reader = reader
        self._index = whoosh_index
        self._leaves = list(reader.leaf_readers())
        self._cache: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self._stored: dict[int, StoredPassage] = {}
        self._columns: dict[str, list[tuple[int, Any]]] = {}  # each leaf's reader a field
        self._live: frozenset[int] | None = None
        self._deletions = any(leaf.has_deletions() for leaf, _base in self._leaves)
        self.corpus = Corpus(self._lengths("text"), reader.doc_count(), self._lengths("context"))

    def _lengths(self, field: str) -> list[int]:
        """Every passage's length in ``field``, read from each segment's column at once
        when we can."""
        lengths: list[int] = []
        for leaf, _base in self._leaves:
            perdoc = getattr(leaf, "_perdoc", None)  # none in an index without passages
            column = column_lengths(perdoc, field) if PATCHED and perdoc is not None else None
            if column is not None:
                lengths.extend(column[: leaf.doc_count_all()])
            else:
                lengths.extend(
                    leaf.doc_field_length(doc, field, 0) or 0 for doc in range(leaf.doc_count_all())
                )
        return lengths

    def terms(self, field: str, term: str) -> tuple[list[int], list[float]]:
        cached = self._cache.get((field, term))
        return self._read(field, term) if cached is None else cached

    @reads
    def count(self, field: str, term: str) -> int:
        cached = self._cache.get((field, term))
        if cached is not None:
            return len(cached[0])
        if self._deletions:  # Whoosh's counts hold deleted passages
            return len(self._read(field, term)[0])
        return int(self._reader.doc_frequency(field, term))

    @reads
    def live(self) -> frozenset[int]:
        if self._live is None:
            self._live = frozenset(self._reader.all_doc_ids())
        return self._live

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        for fieldname, raw in self._reader.terms_from(field, start):
            if fieldname != field:
                return
            yield raw.decode("utf-8") if isinstance(raw, bytes) else raw

    @reads
    def phrase(
        self, field: str, terms: tuple[str, ...], slop: int, within: Collection[int] | None
    ) -> set[int]:
        postings = [self.terms(field, term)[0] for term in set(terms)]
        candidates = holding_all([*postings, *([] if within is None else [sorted(within)])])
        if not candidates:
            return set()
        places = {term: self._positions(field, term, candidates) for term in set(terms)}
        return {doc for doc in candidates if in_order([places[t][doc] for t in terms], slop)}

    def _positions(self, field: str, term: str, docs: set[int]) -> dict[int, list[int]]:
        """The positions of ``term`` in each of ``docs`` (which all hold it)."""
        found: dict[int, list[int]] = {}
        decode = self._reader.schema[field].format.decode_positions
        wanted = sorted(docs)
        for leaf, base in self._leaves:
            local = [doc - base for doc in wanted if base <= doc < base + leaf.doc_count_all()]
            matcher = _postings(leaf, field, term) if local else None
            if matcher is None:
                continue
            for doc, value in _values(matcher, local):
                found[base + doc] = decode(value)
        return found

    @reads
    def path(self, doc: int) -> str:
        """The file a passage belongs to, from the path column."""
        return self._path(doc)

    @reads
    def keys(self, docs: Sequence[int]) -> list[PassageKey]:
        # The passages themselves, read and kept: the keys asked for are of the best
        # passages, which are fetched next.
        return [self.stored(doc).key for doc in docs]

    def stored(self, doc: int) -> StoredPassage:
        found = self._stored.get(doc)
        return self._read_stored(doc) if found is None else found

    @reads
    def _read_stored(self, doc: int) -> StoredPassage:
        if len(self._stored) >= _STORED_CACHE:
            self._stored.clear()
        passage = _stored.unpack(self._path(doc), self._column_value("passage", doc))
        self._stored[doc] = passage
        return passage

    def _path(self, doc: int) -> str:
        known = self._stored.get(doc)
        return known.path if known else self._column_value("path", doc).decode("utf-8")

    def _column_value(self, field: str, doc: int) -> bytes:
        readers = self._columns.get(field)
        if readers is None:
            readers = self._columns[field] = [
                (base, leaf.column_reader(field, translate=False))
                for leaf, base in reversed(self._leaves)
            ]
        for base, column in readers:
            if doc >= base:
                value: bytes = column[doc - base]
                return value
        raise IndexError(doc)

    def close(self) -> None:
        self._reader.close()

    @reads
    def _read(self, field: str, term: str) -> tuple[list[int], list[float]]:
        if len(self._cache) > _POSTINGS_CACHE:
            self._cache.clear()
        ids: list[int] = []
        frequencies: list[float] = []
        for leaf, base in self._leaves:
            matcher = _postings(leaf, field, term)
            if matcher is None:
                continue
            deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
            for block_ids, block_weights in _blocks(matcher):
                if deleted:
                    kept = [at for at, doc in enumerate(block_ids) if doc not in deleted]
                    block_ids = [block_ids[at] for at in kept]
                    block_weights = [block_weights[at] for at in kept]
                ids.extend(map(base.__add__, block_ids) if base else block_ids)
                frequencies.extend(block_weights)
        self._cache[(field, term)] = (ids, frequencies)
        return ids, frequencies


def _postings(leaf: Any, field: str, term: str) -> Any:
    """A segment's postings of ``term``, deleted passages left in (the caller drops
    them), or None when it has none: one look-up of the term, not two."""
    try:
        matcher = leaf.postings(field, term)
    except TermNotFound:
        return None
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _values(matcher: Any, docs: list[int]) -> Iterator[tuple[int, bytes]]:
    """(doc, encoded positions) of the postings of ``docs`` (sorted), a block at a time
    where we can, the blocks that hold none of them skipped unread."""
    wanted = set(docs)
    if not PATCHED or not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher.id() in wanted:
                yield matcher.id(), matcher.value()
            matcher.next()
        return
    at = 0
    while matcher.is_active() and at < len(docs):
        last = matcher.block_max_id()
        if docs[at] <= last:
            ids = _block_ids(matcher)
            matcher._read_values()
            for doc, value in zip(ids, matcher._values, strict=True):
                if doc in wanted:
                    yield doc, value
            at = bisect.bisect_right(docs, last, at)
        matcher._next_block()


def _blocks(matcher: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, weights) of the postings, a block at a time where the format
    allows, decoded without a Python step a posting (Whoosh's matcher takes several)."""
    if not PATCHED or not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while matcher.is_active():
        ids = _block_ids(matcher)
        weights = matcher._data[1]
        count = matcher._blocklength
        if weights is None or isinstance(weights, float):  # all 1, or all the same
            weights = [1.0 if weights is None else weights] * count
        if not len(ids) == len(weights) == count:
            raise ValueError("a postings block holds other counts than it says")
        yield ids, weights
        matcher._next_block()


def _block_ids(matcher: Any) -> list[int]:
    """The document numbers of the matcher's block, summed from their gaps at once
    (Whoosh's ``_read_ids`` takes a generator step each)."""
    if matcher._data is None:
        matcher._read_data()
    stored = matcher._data[0]
    return list(stored) if matcher._byteids else list(accumulate(stored))


class InPlaceBufferFile(BufferFile):  # type: ignore[misc]
    """A segment's file read in place while seedindex reads.

    Whoosh 2.7 wraps each file of a segment (a slice of the memory-mapped segment)
    in a ``BytesIO``, which copies the file whole, on every reader it opens: postings,
    terms, stored passages. Read in place instead, opening an index (each query
    process, each update's deletes) no longer costs a copy of it.
    """

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        if not reading_ours():
            super().__init__(buf, name=name, onclose=onclose)
            return
        self._buf, self._name, self.onclose = buf, name, onclose
        self.file = BufferStream(buf)
        self.is_real = self.is_closed = False


class BufferStream:
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

    def peek(self, size: int = 0) -> bytes:
        """What comes next, without moving on, up to ``_PEEK_BYTES``: a pickle is read
        from the stream in two calls (peek, then read what it took), not one a field of
        it (postings block headers are such pickles)."""
        start = self._position
        return bytes(self._buffer[start : start + min(max(size, 1), _PEEK_BYTES)])

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

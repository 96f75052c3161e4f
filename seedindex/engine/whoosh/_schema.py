"""The Whoosh schema of an index: its fields, analyzer and postings formats.

The analyzer and formats are pickled into every index's TOC by their class path:
moving this module makes existing indexes unreadable (the index format says so).
"""

from __future__ import annotations

import operator
import pickle
import struct
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import accumulate, chain
from typing import Any

from whoosh import columns, fields, formats
from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import GrowableArray

from ... import _analysis


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
        boost, encode, once = self.field_boost, self.encode, _ONCE.pack
        return [
            # Most words are once in a passage: encoded here, without a call a word.
            (term, 1, boost, once(1, found[0]))
            if len(found) == 1
            else (term, len(found), len(found) * boost, encode(found))
            for term, found in _positions(value).items()
        ]

    def encode(self, poslist: list[int]) -> bytes:
        """The count (which Whoosh reads as the frequency), then the gaps between positions."""
        if len(poslist) == 1:
            return _ONCE.pack(1, poslist[0])
        gaps = [b - a for a, b in zip([0, *poslist], poslist, strict=False)]
        return struct.pack(f">{len(gaps) + 1}I", len(gaps), *gaps)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        count = (len(valuestring) - 4) // 4
        return list(accumulate(struct.unpack_from(f">{count}I", valuestring, 4)))


_ONCE = struct.Struct(">II")


class PassageFrequency(formats.Frequency):  # type: ignore[misc]
    """Whoosh's frequency format (for contexts, titles ...), fed straight from ``_analysis``."""

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        for term, found in _positions(value).items():
            yield term, len(found), len(found) * self.field_boost, _COUNT.pack(len(found))


_COUNT = struct.Struct(">I")


class WrittenWords(formats.Existence):  # type: ignore[misc]
    """A text's distinct words as written (``_analysis.written_words``), once each, with
    no value (a passage's words are counted, never scored); pickled into the index schema."""

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        for word in _analysis.written_words(value):
            yield word, 1, self.field_boost, b""


def _positions(text: str) -> dict[str, list[int]]:
    """Each index term of ``text`` with the word positions it is at."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, term in enumerate(_analysis.terms(text)):
        positions[term].append(position)
    return positions


def schema() -> fields.Schema:
    text = fields.TEXT(analyzer=Analyzer(), phrase=True, multitoken_query="phrase")
    text.format = PassagePositions()
    return fields.Schema(
        text=text,
        context=_counted(scorable=True),
        title=_positioned(),
        section=_counted(),
        tag=_counted(),
        word=_written(),
        path=fields.ID(sortable=True),
        # Each passage as ``_stored`` packs it, with its offsets written (none to work
        # out when a reader opens).
        passage=fields.COLUMN(columns.VarBytesColumn(write_offsets_cutoff=0)),
    )


def _positioned() -> fields.TEXT:
    """A field with positions (for phrases), not scored: titles."""
    field = fields.TEXT(analyzer=Analyzer(), phrase=True)
    field.format = PassagePositions()
    field.scorable = False
    return field


def _written() -> fields.TEXT:
    """A file's words as written, on its first passage: near spellings are found among
    them (and never among the words of deleted files)."""
    field = fields.TEXT(analyzer=Analyzer(), phrase=False)
    field.format = WrittenWords()
    field.scorable = False
    return field


def _counted(*, scorable: bool = False) -> fields.TEXT:
    """A field of term counts without positions (contexts, sections, tags)."""
    field = fields.TEXT(analyzer=Analyzer(), phrase=False)
    field.format = PassageFrequency()
    field.scorable = scorable
    return field


_LENGTHS = [whoosh3.byte_to_length(b) for b in range(256)]
# The segment attribute (pickled with it in the TOC) holding each lengths column's CRC.
_CHECKSUMS = "_seedindex_length_crcs"


class PerDocWriter(whoosh3.W3PerDocWriter):  # type: ignore[misc]
    """Whoosh's per-document writer, which also puts a CRC of each field's lengths
    column into the segment: a damaged column (a zeroed block, a flipped byte) would
    otherwise change scores without a word. (Each segment file as a whole has a CRC
    too, see ``_compat``; this one is checked without reading the file.)"""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._length_bytes: dict[str, bytearray] = defaultdict(bytearray)

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        super().add_field(fieldname, fieldobj, value, length)
        if length:
            column = self._length_bytes[fieldname]
            column.extend(bytes(self._docnum + 1 - len(column)))
            column[self._docnum] = length_to_byte(length)

    def close(self) -> None:
        count = self._doccount  # (start_doc counts a document)
        checksums = {}
        for fieldname, column in self._length_bytes.items():
            column.extend(bytes(max(0, count - len(column))))
            checksums[fieldname] = zlib.crc32(bytes(column[:count]))
        setattr(self._segment, _CHECKSUMS, checksums)
        super().close()


def column_lengths(perdoc_reader: Any, fieldname: str) -> array[int] | None:
    """Every document's length in ``fieldname``, read from the segment's column at once
    (4 bytes a document); ValueError when the column does not match its checksum."""
    loaded = perdoc_reader.__dict__.setdefault("_seedindex_lengths", {})
    if fieldname not in loaded:
        column = perdoc_reader._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        raw = None if column is None else _one_byte_values(column)
        expected = getattr(perdoc_reader._segment, _CHECKSUMS, {}).get(fieldname)
        if raw is not None and expected is not None and zlib.crc32(raw) != expected:
            raise ValueError(f"the lengths of field {fieldname} do not match their checksum")
        loaded[fieldname] = None if raw is None else array("I", map(_LENGTHS.__getitem__, raw))
    lengths: array[int] | None = loaded[fieldname]
    return lengths


def _one_byte_values(column: Any) -> bytes:
    """The values of a column of one-byte numbers, read at once (Whoosh's ``load`` reads
    them a call each: a third of a second a reader at 100,000 passages)."""
    if not isinstance(column, columns.NumericColumn.Reader) or column._typecode != "B":
        return bytes(column.load())
    written = min(column._count, column._doccount)  # the passages after it have 0
    values: bytes = column._dbfile.get(column._basepos, written)
    return values + bytes(column._doccount - written)


# Terms in fewer passages than this keep their postings in the terms table, not in a
# block of the postings file (Whoosh's "inlined" postings): four terms in five, each
# then costs no block to write and no second place to read.
_INLINE_BELOW = 8


class Codec(whoosh3.W3Codec):  # type: ignore[misc]
    """Whoosh's W3 codec, writing postings blocks with ``BlockWriter``, the postings of
    rare terms inlined, and lengths with their checksums (``PerDocWriter``); pickled
    into the segments of the TOC.

    Blocks of 512 postings, not Whoosh's 128: a query reads a block at a time, and at
    SciFact x10 a query's first reading of its words took a tenth longer at 128 (each
    block costs a header and a decompression); the index is a tenth smaller."""

    def __init__(self, blocklimit: int = 512, compression: int = 3) -> None:
        super().__init__(blocklimit, compression, inlinelimit=_INLINE_BELOW)

    def field_writer(self, storage: Any, segment: Any) -> FieldWriter:
        return FieldWriter(self, storage, segment)

    def per_document_writer(self, storage: Any, segment: Any) -> PerDocWriter:
        return PerDocWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> BlockWriter:
        return BlockWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class BlockWriter(whoosh3.W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's postings block writer, pickling a block's postings with protocol 5.

    Whoosh pickles them with protocol 2, which has no opcode for bytes: each
    posting's value (its positions) is pickled as a call that decodes it to text and
    encodes it back, twice the size and several times the time to write and to read.
    Any protocol reads back the same (Whoosh reads blocks with ``pickle.loads``).
    """

    def finish_postings(self) -> Any:
        """Whoosh's, mended: with an ``inlinelimit`` above 1 it calls a method its term
        infos do not have."""
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo: Any = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo: Any = None  # between terms
        return terminfo

    def _mini_ids(self) -> tuple[int, ...]:
        """Whoosh's: the gaps between document numbers (unless they are bytes), worked
        out without a Python step a posting."""
        ids = self._ids
        return tuple(ids) if self._byteids else tuple(map(operator.sub, ids, chain((0,), ids)))

    def _mini_weights(self) -> float | tuple[float, ...] | None:
        """Whoosh's: None when every weight is 1, the weight when they are all one, else
        them all (counted, not compared a Python step a posting)."""
        weights = self._weights
        if weights.count(1.0) == len(weights):
            return None
        if weights.count(weights[0]) == len(weights):
            first: float = weights[0]
            return first
        return tuple(weights)

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
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


class FieldWriter(whoosh3.W3FieldWriter):  # type: ignore[misc]
    """Whoosh's terms writer, with ``TermInfo`` for each term, rare terms' postings
    written into the terms table at once (``add_inlined``), and a ``TermsTable``."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        # Whoosh's, with the terms table made here (Whoosh writes its header at once).
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname = self._fieldid = self._btext = self._fieldobj = self._format = None
        self._tindex = TermsTable(self._create_file(whoosh3.W3Codec.TERMS_EXT))
        self._fieldmap: dict[str, int] = {}
        self._tindex.extras["fieldmap"] = self._fieldmap
        self._postfile = self._create_file(whoosh3.W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def add_inlined(self, btext: bytes, entry: bytes) -> None:
        """A term whose entry (``inlined_term_info``) holds its postings: no block, no
        term info object. Keyed as ``finish_term`` keys a term."""
        self._tindex.add(pack_ushort(self._fieldid) + btext, entry)

    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise ValueError("start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, TermInfo())


class TermsTable(filetables.OrderedHashWriter):  # type: ignore[misc]
    """Whoosh's ordered hash file of terms, the same file for the same keys, written
    with a few calls a term: keys hashed by CRC-32 (Whoosh's hash type 1, which the
    file records: Whoosh's default MD5 made a hex string and parsed it a term), an
    entry written at once, the hashes kept in arrays (12 bytes a term, not 100) and
    each bucket's table written at once."""

    def __init__(self, dbfile: Any) -> None:
        filetables.HashWriter.__init__(self, dbfile, hashtype=_CRC32_HASH)
        self.index = GrowableArray("H")
        self.lastkey = b""
        self.buckets = [(array("I"), array("q")) for _bucket in range(256)]
        self._write = dbfile.raw_file().write
        self._place = dbfile.tell()

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        place = self._place
        self.index.append(place)
        self._write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        self._place = place + _KEY_VALUE_LENGTHS.size + len(key) + len(value)
        hashed = zlib.crc32(key)
        hashes, places = self.buckets[hashed & 255]
        hashes.append(hashed)
        places.append(place)
        self.lastkey = key

    def _write_hashes(self) -> None:
        """Whoosh's tables of (hash, place) pairs, slot for slot."""
        dbfile = self.dbfile
        for hashes, places in self.buckets:
            slots = 2 * len(hashes)
            self.directory.append((dbfile.tell(), slots))
            table_hashes, table_places = array("I", bytes(4 * slots)), array("q", bytes(8 * slots))
            for hashed, place in zip(hashes, places, strict=True):
                slot = (hashed >> 8) % slots
                while table_places[slot]:  # no entry is at place 0 (the header is)
                    slot = (slot + 1) % slots
                table_hashes[slot], table_places[slot] = hashed, place
            pairs = chain.from_iterable(zip(table_hashes, table_places, strict=True))
            dbfile.write(struct.pack(f"!{'Iq' * slots}", *pairs))


_CRC32_HASH = 1  # Whoosh's number for it (filetables._hash_functions)
_KEY_VALUE_LENGTHS = struct.Struct("!ii")


class TermInfo(whoosh3.W3TermInfo):  # type: ignore[misc]
    """Whoosh's term info, whose inlined postings are written by ``inlined_term_info``."""

    def to_bytes(self) -> bytes:
        if not self.is_inlined():
            data: bytes = super().to_bytes()
            return data
        ids, weights, values = self._inlined
        return inlined_term_info(ids, weights, values, self._minlength, self._maxlength)


def inlined_term_info(
    ids: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    minlength: int | None,
    maxlength: int,
) -> bytes:
    """A term's entry in the terms table, its postings inlined: what Whoosh's
    ``W3TermInfo.to_bytes`` writes (and ``from_bytes`` reads), with the postings
    pickled with protocol 5 (see ``BlockWriter``)."""
    head: bytes = whoosh3.W3TermInfo._struct.pack(
        True,
        sum(weights),
        len(ids),
        0 if minlength is None else length_to_byte(minlength),
        length_to_byte(maxlength),
        max(0, max(weights)),
        ids[0],
        ids[-1],
    )
    return head + pickle.dumps((tuple(ids), tuple(weights), tuple(values)), 5)

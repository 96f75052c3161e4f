from __future__ import annotations

import queue
from array import array
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index
from whoosh.filedb import filetables
from whoosh.filedb.structfile import StructFile
from whoosh.util.numlists import GrowableArray
from whoosh.writing import SegmentWriter

from seedindex.engine import NewPassage
from seedindex.engine.whoosh import _stored
from seedindex.engine.whoosh import _write as _segments
from seedindex.engine.whoosh._parallel import FastMpWriter
from seedindex.engine.whoosh._schema import Codec, TermsTable
from seedindex.engine.whoosh._schema import schema as _schema
from seedindex.engine.whoosh._write import FastSegmentWriter

WORDS = ["aid", "convoy", "gaza", "border", "crossing", "fuel", "water", "night", "x" * 70]


def _documents(texts: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "text": text,
            "title": texts[0][:30],
            "word": text,
            "path": f"doc{n % 7}.txt",
            "passage": _stored.pack(NewPassage(n, n + len(text), n, n, text, "")),
        }
        for n, text in enumerate(texts)
    ]


def _write(folder: Path, writer_class: Any, documents: list[dict[str, Any]], **kwargs: Any) -> Any:
    folder.mkdir()
    ix = index.create_in(str(folder), _schema(), indexname="t")
    writer = writer_class(ix, **kwargs)
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    return ix.reader()


def _contents(reader: Any) -> tuple[Any, ...]:
    """Every posting, term statistic, length and column value (the stored passages)."""
    postings = {}
    for field, term in reader.all_terms():
        matcher = reader.postings(field, term)
        found = []
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        info = reader.term_info(field, term)
        stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
        postings[(field, term)] = (found, stats, info.max_weight(), info.min_id(), info.max_id())
    documents = range(reader.doc_count_all())
    lengths = [
        (reader.doc_field_length(d, "text"), reader.doc_field_length(d, "title")) for d in documents
    ]
    paths = list(reader.column_reader("path"))
    passages = list(reader.column_reader("passage"))
    return postings, lengths, paths, passages


texts = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
    min_size=1,
    max_size=300,
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=texts)
def test_fast_writer_writes_what_whoosh_writes(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    """Same postings (many over a block of 16 postings, many inlined), statistics,
    lengths, passages, as Whoosh's own writer with the same codec."""
    documents = _documents(texts)
    whoosh_reader = _write(
        tmp_path_factory.mktemp("w") / "ix", SegmentWriter, documents, codec=Codec(blocklimit=16)
    )
    ours = _write(
        tmp_path_factory.mktemp("f") / "ix",
        FastSegmentWriter,
        documents,
        codec=Codec(blocklimit=16),
    )
    try:
        assert _contents(ours) == _contents(whoosh_reader)
    finally:
        ours.close()
        whoosh_reader.close()


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir())


def test_fast_writer_pickles_positions_as_bytes(tmp_path: Path) -> None:
    """Whoosh's protocol 2 pickles each posting's positions as a call (decode, encode):
    the same postings pickled as bytes take a fifth less room, all of it compressed."""
    documents = _documents([" ".join(WORDS[(n + k) % 8] for k in range(40)) for n in range(500)])
    for folder, writer_class in (("w", SegmentWriter), ("f", FastSegmentWriter)):
        _write(tmp_path / folder, writer_class, documents).close()
    assert _size(tmp_path / "f") < 0.9 * _size(tmp_path / "w")


@pytest.mark.parametrize("record_postings", [4096, 7])  # a term split across records
@pytest.mark.parametrize("limitmb", [0.01, 0.0005])  # tens of runs; hundreds, joined
def test_spilled_runs_join_in_document_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limitmb: float, record_postings: int
) -> None:
    """A pool over its memory budget spills sorted runs; reading them back loses nothing."""
    monkeypatch.setattr(_segments, "_RECORD_POSTINGS", record_postings)
    documents = _documents([" ".join(WORDS[: 1 + n % 8]) for n in range(400)])
    whole = _write(tmp_path / "whole", FastSegmentWriter, documents, limitmb=64)
    spilled = _write(tmp_path / "spilled", FastSegmentWriter, documents, limitmb=limitmb)
    try:
        assert _contents(spilled) == _contents(whole)
        assert whole.doc_frequency("text", "aid") == 400
    finally:
        whole.close()
        spilled.close()


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=300), max_size=8),
    limit=st.sampled_from([1, 3, 128]),
)
def test_blocks_keep_every_posting_in_order(sizes: list[int], limit: int) -> None:
    numbers = iter(range(10_000))
    parts = []
    for size in sizes:
        ids = array("I", [next(numbers) for _ in range(size)])
        parts.append((ids, array("f", map(float, ids)), [str(n).encode() for n in ids]))
    blocks = list(_segments._blocks(iter(parts), limit))
    assert all(len(ids) == limit for ids, _w, _v in blocks[:-1])
    assert all(0 < len(ids) <= limit for ids, _w, _v in blocks)
    for column in range(3):
        assert [x for block in blocks for x in block[column]] == [
            x for part in parts for x in part[column]
        ]


def _by_document(reader: Any) -> tuple[list[Any], dict[Any, list[int]]]:
    """Passages' starts, and each term's documents (by their start), whatever the numbering."""
    starts = [_stored.unpack("", value).start for value in reader.column_reader("passage")]
    terms = {
        key: sorted(starts[d] for d in reader.postings(*key).all_ids())
        for key in reader.all_terms()
    }
    return sorted(starts), terms


def test_multiprocess_writer_indexes_in_its_processes(tmp_path: Path) -> None:
    documents = _documents([" ".join(WORDS[n % 8 :]) for n in range(60)])
    serial = _write(tmp_path / "serial", FastSegmentWriter, documents)
    parallel = _write(
        tmp_path / "parallel", FastMpWriter, documents, procs=2, batchsize=10, multisegment=True
    )
    try:
        assert len(parallel.leaf_readers()) == 2  # a segment from each process, none from ours
        assert _by_document(parallel) == _by_document(serial)
    finally:
        serial.close()
        parallel.close()


def test_merged_segments_keep_every_posting(tmp_path: Path) -> None:
    """Small segments merged into a new one go through the pool term by term."""
    documents = _documents([" ".join(WORDS[n % 8 :]) for n in range(90)])
    whole = _write(tmp_path / "whole", SegmentWriter, documents)
    (tmp_path / "merged").mkdir()
    ix = index.create_in(str(tmp_path / "merged"), _schema(), indexname="t")
    for part in range(3):
        writer = FastSegmentWriter(ix)
        for document in documents[part * 30 : (part + 1) * 30]:
            writer.add_document(**document)
        writer.commit(optimize=part == 2)  # the last commit merges all into one segment
    merged = ix.reader()
    try:
        assert len(merged.leaf_readers()) == 1
        assert _by_document(merged) == _by_document(whole)
    finally:
        merged.close()
        whole.close()


def test_the_segments_of_parts_come_in_the_parts_order() -> None:
    """A split batch's parts may end in any order; their segments are taken in the
    parts' order (the passages of a file then stay in file order), the others first."""
    from seedindex.engine.whoosh._parallel import _Results

    came: queue.Queue[tuple[int | None, list[str], str]] = queue.Queue()
    came.put((1, [], "second part"))
    came.put((None, [], "whole files"))
    came.put((0, [], "first part"))
    results = _Results(came, [object(), object(), object()])
    taken = [results.get(timeout=1)[2] for _result in range(3)]
    assert taken == ["whole files", "first part", "second part"]


def test_a_lengths_column_is_read_at_once_as_whoosh_reads_it(tmp_path: Path) -> None:
    """Passages past the last one with a length have none written: read as 0."""
    from whoosh.codec import whoosh3

    from seedindex.engine.whoosh._schema import _one_byte_values

    texts = [" ".join(WORDS[: n % 9 + 1]) for n in range(200)]
    documents = [*_documents(texts), {"path": "empty.txt", "title": "only a title"}]
    reader = _write(tmp_path / "ix", FastSegmentWriter, documents)
    try:
        lengths = whoosh3._lenfield("text")
        column = reader._perdoc._cached_reader(lengths, whoosh3.LENGTHS_COLUMN)
        assert _one_byte_values(column) == bytes(column.load())
        assert len(_one_byte_values(column)) == reader.doc_count_all()
        assert _one_byte_values(column)[-1] == 0
    finally:
        reader.close()


class _KeptOpen(BytesIO):
    def close(self) -> None:  # a hash writer closes its file: its bytes are still wanted
        pass


@given(st.dictionaries(st.binary(min_size=1, max_size=12), st.binary(max_size=20), max_size=600))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_the_terms_table_is_the_file_whoosh_writes(entries: dict[bytes, bytes]) -> None:
    ours_file, theirs_file = _KeptOpen(), _KeptOpen()
    ours = TermsTable(StructFile(ours_file))
    theirs = filetables.OrderedHashWriter.__new__(filetables.OrderedHashWriter)
    filetables.HashWriter.__init__(theirs, StructFile(theirs_file), hashtype=1)
    theirs.index, theirs.lastkey = GrowableArray("H"), b""
    for key in sorted(entries):
        ours.add(key, entries[key])
        theirs.add(key, entries[key])
    ours.close()
    theirs.close()
    assert ours_file.getvalue() == theirs_file.getvalue()
    table = filetables.OrderedHashReader(
        StructFile(BytesIO(ours_file.getvalue())), len(ours_file.getvalue())
    )
    assert {key: table[key] for key in entries} == entries
    assert list(table.keys()) == sorted(entries)

from __future__ import annotations

import os
import pickle
import types
import zlib
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import formats

from seedindex import Config, Index, query
from seedindex.engine.whoosh._read import BufferStream as _BufferStream
from seedindex.engine.whoosh._schema import PassagePositions
from seedindex.engine.whoosh._schema import schema as _schema
from tests.conftest import MakeCorpus


@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=50, unique=True).map(sorted))
def test_positions_round_trip_and_whoosh_reads_the_frequency(positions: list[int]) -> None:
    encoded = PassagePositions().encode(positions)
    assert PassagePositions().decode_positions(encoded) == positions
    assert PassagePositions().decode_frequency(encoded) == len(positions)


def test_positions_match_whoosh_for_the_same_text() -> None:
    text = "Aid convoys and aid workers: aid, aid's convoy"
    schema = _schema()
    ours = list(schema["text"].format.word_values(text, schema["text"].analyzer))
    theirs = list(formats.Positions().word_values(text, schema["text"].analyzer))
    assert [(t, n, w) for t, n, w, _ in ours] == [(t, n, w) for t, n, w, _ in theirs]
    decode = formats.Positions().decode_positions
    ours_positions = [PassagePositions().decode_positions(v) for *_, v in ours]
    assert ours_positions == [decode(v) for *_, v in theirs]


def test_opening_and_searching_copies_no_segment_file(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [f"word{n}" for n in range(500)]
    root = make_corpus({f"{n}.txt": " ".join(words[n:] + words[:n]) for n in range(200)})
    Index.open(root, index_dir=index_dir).close()
    copied: list[int] = []

    def counting(buffer: bytes) -> BytesIO:
        copied.append(len(buffer))
        return BytesIO(buffer)

    # Whoosh alone copies every file of every segment it opens into a BytesIO.
    monkeypatch.setattr("whoosh.filedb.structfile.BytesIO", counting)
    with Index.open(root, index_dir=index_dir) as ix:
        hits = ix.search("word7 word300", limit=200)
        assert len(hits) == 200
        assert hits[0].text == (root / hits[0].path).read_text()
        assert "word77" in ix.similar(hits[0])[0].text
    assert copied == []


operations = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 600)),
        st.tuples(st.just("readline"), st.integers(-1, 600)),
        st.tuples(st.just("seek"), st.integers(0, 700)),
        st.tuples(st.just("tell"), st.just(0)),
    ),
    max_size=20,
)


@given(data=st.binary(max_size=600).map(lambda b: b.replace(b"x", b"\n")), steps=operations)
def test_buffer_stream_reads_as_bytesio_does(data: bytes, steps: list[tuple[str, int]]) -> None:
    ours, theirs = _BufferStream(memoryview(data)), BytesIO(data)
    for name, argument in steps:
        arguments = () if name == "tell" else (argument,)
        assert getattr(ours, name)(*arguments) == getattr(theirs, name)(*arguments)
    assert list(ours) == list(theirs)


@given(values=st.lists(st.lists(st.integers() | st.floats(allow_nan=False) | st.binary())))
def test_pickles_are_read_from_a_buffer_stream_one_after_another(values: list[list[Any]]) -> None:
    """Whatever their size beside what ``peek`` shows, each pickle is read whole and the
    stream is left where the next begins."""
    pickles = [pickle.dumps(value, 2) for value in values]
    stream = _BufferStream(memoryview(b"".join(pickles)))
    end = 0
    for value, pickled in zip(values, pickles, strict=True):
        assert pickle.load(stream) == value
        end += len(pickled)
        assert stream.tell() == end


class _Payload:
    """Pickles as a call that leaves a file behind: what a crafted index could hold."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.proof,))

    def clean(self) -> None:
        """What Whoosh asks of a schema's fields before pickling them."""


def test_a_crafted_index_runs_no_code(make_corpus: MakeCorpus, index_dir: Path) -> None:
    from whoosh import index
    from whoosh.filedb.filestore import FileStorage

    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    proof = index_dir.parent / "code-ran"
    storage = FileStorage(str(index_dir / "whoosh"))
    current = index.open_dir(str(index_dir / "whoosh"), indexname="passages")
    schema = current.schema
    schema._fields["payload"] = _Payload(proof)
    generation = current.latest_generation() + 1
    index.TOC(schema, current._segments(), generation).write(storage, "passages")
    current.close()
    assert [h.path for h in query("apples", seeds=root, index_dir=index_dir)] == ["a.txt"]
    assert not proof.exists()
    rebuilt = index.open_dir(str(index_dir / "whoosh"), indexname="passages")
    assert "payload" not in rebuilt.schema.names()  # rebuilt from the seeds
    rebuilt.close()


def test_whoosh_keeps_its_own_behaviour_outside_seedindex(tmp_path: Path) -> None:
    """A program using Whoosh beside seedindex unpickles and buffers as Whoosh does."""
    from whoosh import columns
    from whoosh.filedb import compound

    import seedindex.engine.whoosh  # noqa: F401  (installs the scoped changes)

    assert columns.loads(pickle.dumps(_Payload(tmp_path / "made"))) is None
    assert (tmp_path / "made").exists()
    assert isinstance(compound.BufferFile(b"abc").file, BytesIO)


@pytest.mark.parametrize("field", ["text", "context"])
def test_a_zeroed_lengths_column_is_found_by_its_checksum_and_rebuilt(
    make_corpus: MakeCorpus, index_dir: Path, field: str
) -> None:
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    root = make_corpus(
        {f"doc{n}.txt": f"Title {n}\n\napples and pears {n}\n\nmore words {n}" for n in range(30)}
    )
    expected = [(h.path, h.score) for h in query("apples", seeds=root, index_dir=index_dir)]
    (segment,) = (index_dir / "whoosh").glob("*.seg")
    with FileStorage(str(segment.parent)).open_file(segment.name) as handle:
        parts = CompoundStorage(handle, use_mmap=False)._dir
        where = next(info for name, info in parts.items() if name.endswith(f"_{field}_len.col"))
    data = bytearray(segment.read_bytes())
    data[where["offset"] : where["offset"] + where["length"]] = bytes(where["length"])
    segment.write_bytes(bytes(data))
    found = [(h.path, h.score) for h in query("apples", seeds=root, index_dir=index_dir)]
    assert found == expected  # the damage was seen (and the index rebuilt), not searched


def test_a_settled_segment_is_read_through_once_until_its_stat_changes(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine.whoosh import _compat

    monkeypatch.setattr(_compat, "_SETTLED_SECONDS", -1.0)  # every file is settled
    monkeypatch.setattr(_compat, "_checked", {})
    root = make_corpus({f"doc{n}.txt": f"apples and pears {n}\n\nmore words {n}" for n in range(9)})
    expected = [(h.path, h.score) for h in query("apples", seeds=root, index_dir=index_dir)]
    read: list[bytes] = []

    def crc32(data: bytes, value: int = 0) -> int:
        read.append(data)
        return zlib.crc32(data, value)

    monkeypatch.setattr(_compat, "zlib", types.SimpleNamespace(crc32=crc32))
    assert [(h.path, h.score) for h in query("apples", seeds=root, index_dir=index_dir)] == expected
    assert read == []
    (segment,) = (index_dir / "whoosh").glob("*.seg")
    data = bytearray(segment.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    before = segment.stat()
    segment.write_bytes(bytes(data))  # the same size; its times are then set apart too
    os.utime(segment, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    assert [(h.path, h.score) for h in query("apples", seeds=root, index_dir=index_dir)] == expected
    assert read  # the damaged file was read through again (and the index rebuilt)


def test_a_terms_count_is_its_live_passages_with_and_without_deletions(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    from seedindex.engine.whoosh import open as open_engine

    root = make_corpus({f"{n}.txt": f"shared words\n\nmore shared and own{n}" for n in range(6)})
    Index.open(root, index_dir=index_dir).close()

    def counts() -> list[tuple[int, int]]:
        engine = open_engine(index_dir / "whoosh", Config())
        assert engine is not None
        postings = engine.snapshot().postings
        deleted.append(postings._deletions)  # type: ignore[attr-defined]
        found = [
            (postings.count(field, term), len(postings.terms(field, term)[0]))
            for field, term in [("text", "share"), ("text", "own1"), ("word", "shared")]
        ]
        engine.close()
        return found

    deleted: list[bool] = []
    assert counts() == [(12, 12), (1, 1), (6, 6)]
    (root / "1.txt").unlink()
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.stats().files == 5
    assert counts() == [(10, 10), (0, 0), (5, 5)]  # the deleted file's passages left out
    assert deleted == [False, True]  # (Whoosh's own counts, then the postings read)


def test_a_segment_whose_passages_are_all_deleted_is_dropped(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    """Each edit of a large file writes its passages in a segment of their own; the
    segment of the edit before, every passage deleted, goes (Whoosh kept them all)."""
    book = "\n\n".join(f"paragraph {n} of the book" for n in range(120))
    root = make_corpus({"book.txt": book, "note.txt": "a short note"})
    with Index.open(root, index_dir=index_dir) as ix:
        for edit in range(6):
            (root / "book.txt").write_text(f"{book}\n\nedit{edit}")
            ix.update()
            assert [h.path for h in ix.search(f"edit{edit}")] == ["book.txt"]
        assert len(ix.search("paragraph", limit=1000)) == 121
        segments = list(index_dir.rglob("*.seg"))
    assert len(segments) <= 3  # the first build's, the last edit's (and one merge at most)

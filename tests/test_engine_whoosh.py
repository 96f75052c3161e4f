from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import formats

from seedindex import Index
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

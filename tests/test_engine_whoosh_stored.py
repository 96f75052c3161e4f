from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedindex.engine import NewPassage, StoredPassage
from seedindex.engine.whoosh import _stored

offsets = st.integers(min_value=0, max_value=2**62)
texts = st.text()  # lone surrogates included


@given(
    start=offsets,
    end=offsets,
    line=offsets,
    end_line=offsets,
    text=texts,
    section=texts,
    page=st.none() | st.integers(min_value=0, max_value=2**40),
    path=texts,
)
def test_a_packed_passage_unpacks_to_the_same_passage(
    start: int,
    end: int,
    line: int,
    end_line: int,
    text: str,
    section: str,
    page: int | None,
    path: str,
) -> None:
    packed = _stored.pack(
        NewPassage(start, end, line, end_line, text, "the context", section, page)
    )
    assert _stored.unpack(path, packed) == StoredPassage(
        path, start, end, line, end_line, text, section, page
    )


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x00" * 10,  # shorter than the head
        _stored.pack(NewPassage(0, 0, 1, 1, "", "", "section"))[:-3],  # section cut short
        _stored.pack(NewPassage(0, 1, 1, 1, "x", ""))[:-1] + b"\xff",  # not UTF-8
    ],
)
def test_a_damaged_value_is_a_value_error(value: bytes) -> None:
    with pytest.raises(ValueError, match="a stored passage"):
        _stored.unpack("a.txt", value)


def test_a_value_shorter_than_a_start_has_none() -> None:
    with pytest.raises(ValueError, match="shorter than its head"):
        _stored.start_of(b"\x00" * 7)

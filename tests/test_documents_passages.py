from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedindex.documents import split
from tests.conftest import SEED_FILE


def texts(text: str, max_words: int = 300) -> list[str]:
    return [text[s.start : s.end] for s in split(text, max_words)]


def test_bundled_seed_gives_one_passage_per_line() -> None:
    text = SEED_FILE.read_text(encoding="utf-8")
    spans = split(text, 300)
    assert len(spans) == 10
    assert [s.line for s in spans] == list(range(1, 11))
    assert [text[s.start : s.end] for s in spans] == text.splitlines()


def test_blank_lines_separate_paragraphs_and_wrapped_lines_stay_together() -> None:
    text = "Title\n\nfirst line of a\nwrapped paragraph.\n\n\n  second one  \n"
    assert texts(text) == ["Title", "first line of a\nwrapped paragraph.", "second one"]
    assert [(s.line, s.end_line) for s in split(text, 300)] == [(1, 1), (3, 4), (7, 7)]


def test_windows_line_endings() -> None:
    assert texts("one\r\ntwo\r\n\r\nthree\r\n") == ["one\r\ntwo", "three"]


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    text = "One two three. Four five six. Seven eight nine."
    assert texts(text, max_words=6) == ["One two three. Four five six.", "Seven eight nine."]


def test_sentence_longer_than_the_limit_is_split_between_words() -> None:
    assert texts("a b c d e", max_words=2) == ["a b", "c d", "e"]


def test_a_run_without_spaces_is_cut_into_bounded_pieces() -> None:
    pieces = texts("x" * 25_000)
    assert "".join(pieces) == "x" * 25_000
    assert max(map(len, pieces)) <= 10_000


@pytest.mark.parametrize("text", ["", "\n\n", "   \t\n  "])
def test_blank_text_has_no_passages(text: str) -> None:
    assert split(text, 300) == []


lines = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=300),
    st.just(""),
    st.just("   "),
)
documents = st.lists(lines, max_size=30).map("\n".join)


@settings(max_examples=200)
@given(documents, st.integers(min_value=1, max_value=40))
def test_passages_are_ordered_disjoint_exact_and_cover_every_nonblank_line(
    text: str, max_words: int
) -> None:
    spans = split(text, max_words)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    covered: set[int] = set()
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        passage = text[span.start : span.end]
        assert passage == passage.strip()  # trimmed, never empty
        assert len(passage.split()) <= max_words or len(passage.split()) == 1
        assert span.line == text.count("\n", 0, span.start) + 1
        assert span.end_line == text.count("\n", 0, span.end - 1) + 1
        covered.update(range(span.line, span.end_line + 1))
        previous_end = span.end
    for number, start in enumerate(line_starts, 1):
        end = text.find("\n", start)
        line = text[start : end if end != -1 else len(text)]
        if line.strip():
            assert number in covered

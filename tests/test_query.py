from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedindex import Index, QuerySyntaxError
from tests.conftest import MakeCorpus

TEXTS = {
    "a.txt": "Report\n\nHumanitarian aid convoys reached Gaza.\n\nThe café served naïve guests.",
    "b.txt": "Report\n\nEducational programs and medical aid.\n\nAid workers and women's groups.",
    "notes/c.md": (
        "# Notes\n\nPeace talks between Israel and Palestine.\n\nIsrael-Palestine relations."
    ),
}


@pytest.fixture
def ix(make_corpus: MakeCorpus, index_dir: Path) -> Iterator[Index]:
    with Index.open(make_corpus(dict(TEXTS)), index_dir=index_dir) as opened:
        yield opened


def found(ix: Index, text: str) -> list[tuple[str, int]]:
    return sorted((h.path, h.line) for h in ix.search(text, limit=50))


def test_words_are_ored(ix: Index) -> None:
    assert found(ix, "convoys peace") == [("a.txt", 3), ("notes/c.md", 3)]


def test_boolean_operators_and_grouping(ix: Index) -> None:
    assert found(ix, "aid AND convoys") == [("a.txt", 3)]
    assert found(ix, "aid NOT convoys") == [("b.txt", 3), ("b.txt", 5)]
    assert found(ix, "(medical OR convoys) AND aid") == [("a.txt", 3), ("b.txt", 3)]


def test_phrases_and_slop(ix: Index) -> None:
    assert found(ix, '"medical aid"') == [("b.txt", 3)]
    assert found(ix, '"programs aid"') == []
    assert found(ix, '"programs aid"~3') == [("b.txt", 3)]


def test_prefix_wildcard_and_fuzzy(ix: Index) -> None:
    assert found(ix, "human*") == [("a.txt", 3)]
    assert found(ix, "wom?n*") == [("b.txt", 5)]
    assert found(ix, "convois~") == [("a.txt", 3)]
    assert ix.search("human*")[0].terms == ("human*",)


def test_path_filter(ix: Index) -> None:
    assert found(ix, "aid AND path:b.txt") == [("b.txt", 3), ("b.txt", 5)]
    assert found(ix, "Israel AND path:notes*") == [("notes/c.md", 3), ("notes/c.md", 5)]


def test_boost_changes_the_order(ix: Index) -> None:
    assert ix.search("medical convoys^5")[0].path == "a.txt"
    assert ix.search("medical^5 convoys")[0].path == "b.txt"


def test_hyphen_accents_and_apostrophes(ix: Index) -> None:
    assert found(ix, "Israel-Palestine") == [("notes/c.md", 5)]
    assert found(ix, '"Israel Palestine"') == [("notes/c.md", 5)]
    assert found(ix, "cafe") == found(ix, "CAFÉ") == [("a.txt", 5)]
    assert found(ix, "womens") == found(ix, "women’s") == [("b.txt", 5)]


@pytest.mark.parametrize(
    "text",
    [
        "what about (peace?",
        "peace)",
        '"unclosed phrase',
        "AND",
        "aid AND",
        "NOT",
        "title: ^ ~ : ( ) [ ]",
        "[a TO",
        "?",
        "*",
        "-- --",
        "'quoted' words",
        "",
        "   ",
    ],
)
def test_stray_punctuation_never_fails(ix: Index, text: str) -> None:
    ix.search(text)


def test_natural_language_question_finds_its_words(ix: Index) -> None:
    assert ("notes/c.md", 3) in found(ix, "what about (peace talks?")
    assert found(ix, "convoys?") == [("a.txt", 3)]


@pytest.mark.parametrize(
    ("text", "position"),
    [("(peace", 0), ("peace)", 5), ('aid "medical', 4)],
)
def test_strict_mode_says_where_the_syntax_breaks(ix: Index, text: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        ix.search(text, strict=True)
    assert caught.value.position == position
    assert f"character {position + 1}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_strict_mode_accepts_good_syntax(ix: Index) -> None:
    assert found(ix, '"medical aid" OR (peace AND talks)') == found(
        ix, '"medical aid" OR (peace AND talks)'
    )
    assert ix.search('"medical aid" OR (peace AND talks)', strict=True)


def test_negated_words_are_not_reported_as_matches(ix: Index) -> None:
    (hit,) = [h for h in ix.search("aid NOT convoys") if h.line == 3]
    assert hit.terms == ("aid",)
    assert "convoys" not in hit.highlights.lower().replace("[[", "")

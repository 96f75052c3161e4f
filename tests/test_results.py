from __future__ import annotations

from seedindex._results import mark, to_passage
from seedindex.engine import StoredPassage
from seedindex.query import QueryWord


def test_mark_wraps_each_span() -> None:
    assert mark("aid and aid", [(0, 3), (8, 11)], ("<", ">")) == "<aid> and <aid>"
    assert mark("ab", [(0, 1), (1, 2)], ("[", "]")) == "[a][b]"
    assert mark("text", [], ("[", "]")) == "text"


def test_passage_lists_matched_words_as_typed_and_marks_them() -> None:
    hit = StoredPassage("a.txt", 10, 40, 2, 2, "Iran’s aid convoys and more aid")
    words = (
        QueryWord("Iran's", frozenset({"iran"})),
        QueryWord("missing", frozenset({"miss"})),
        QueryWord("aid convoys", frozenset({"aid", "convoy"}), whole=True),
        QueryWord("aid more", frozenset({"aid", "more", "absent"}), whole=True),
    )
    passage = to_passage(hit, 1.5, words, ("[[", "]]"))
    assert passage.terms == ("Iran's", "aid convoys")
    assert passage.highlights == "[[Iran’s]] [[aid]] [[convoys]] and more [[aid]]"
    assert (passage.path, passage.start, passage.end, passage.score) == ("a.txt", 10, 40, 1.5)


def test_a_passage_marks_its_words_in_its_index_language_whenever_read() -> None:
    """Highlights are worked out when first read, perhaps outside the index's calls:
    with the language the passage was found in, not the one current then."""
    hit = StoredPassage("a.txt", 0, 22, 1, 1, "Die Häuser und das Haus")
    german = _analysis_term("german", "Häuser")
    passage = to_passage(hit, 1.0, (QueryWord("Haus", frozenset({german})),), ("[", "]"), "german")
    assert passage.highlights == "Die [Häuser] und das [Haus]"
    assert passage.terms == ("Haus",)
    english = to_passage(hit, 1.0, (QueryWord("Haus", frozenset({german})),), ("[", "]"))
    assert english.highlights != passage.highlights  # (English stems them apart)


def _analysis_term(language: str, word: str) -> str:
    from seedindex import _analysis

    with _analysis.using(language):
        return _analysis.term(word)

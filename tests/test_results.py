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

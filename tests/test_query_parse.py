"""The query parser: text to the engine-neutral tree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedindex.errors import QuerySyntaxError
from seedindex.query import parse
from seedindex.query import tree as t


def test_words_phrases_and_operators_make_the_tree() -> None:
    assert parse("aid convoys") == t.Or((t.Term("text", "aid"), t.Term("text", "convoy")))
    assert parse('"medical aid"~3') == t.Phrase("text", ("medic", "aid"), 3)
    assert parse("a AND b OR c") == t.Or(
        (t.And((t.Term("text", "a"), t.Term("text", "b"))), t.Term("text", "c"))
    )
    assert parse("aid NOT convoys") == t.AndNot(t.Term("text", "aid"), t.Term("text", "convoy"))


def test_fields_patterns_boosts_and_ranges() -> None:
    assert parse("path:notes*") == t.Prefix("path", "notes")
    assert parse("title:report") == t.Term("title", "report")
    assert parse("wom?n") == t.Wildcard("text", "wom?n")
    assert parse("convoy~2") == t.Fuzzy("text", "convoy", 2)
    assert parse("aid^2") == t.Term("text", "aid", 2.0)
    assert parse("[a TO b}") == t.Range("text", "a", "b", True, False)
    # An unknown field name is text: "ratio:high" is the phrase of its two words.
    assert parse("ratio:high") == t.Phrase("text", ("ratio", "high"))


def test_costly_forms_are_bounded() -> None:
    assert parse("a~9") == t.Fuzzy("text", "a", 2)  # at most two edits
    assert parse("aid^99999999999") == t.Term("text", "aid", 1e6)  # scores stay finite
    with pytest.raises(QuerySyntaxError, match="nested"):
        parse("(" * 40 + "a" + ")" * 40, strict=True)


@given(st.text(alphabet=st.sampled_from('ab "()[]{}*?~^:-+ANDORT\\/'), max_size=40))
def test_any_text_parses_leniently_and_strictly_raises_only_syntax_errors(text: str) -> None:
    parse(text)
    position = 0
    try:
        parse(text, strict=True)
    except QuerySyntaxError as exc:
        position = exc.position
    assert 0 <= position <= len(text)

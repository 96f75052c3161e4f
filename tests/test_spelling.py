from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedindex import Index
from tests.conftest import MakeCorpus


@pytest.fixture
def ix(make_corpus: MakeCorpus, index_dir: Path) -> Iterator[Index]:
    texts = {
        "a.txt": "Humanitarian convoys carried medical supplies.",
        "b.txt": "Humanitarian workers and humanitarian agencies met.",
        "c.txt": "Hematology and humanism are other words.",
    }
    with Index.open(make_corpus(texts), index_dir=index_dir) as opened:
        yield opened


def test_unknown_words_are_corrected_from_the_index_vocabulary(ix: Index) -> None:
    assert ix.suggest("humanitarain convoyz") == "humanitarian convoys"
    assert ix.suggest("Humanitarain aid") == "Humanitarian aid"  # case as typed, rest kept


def test_nothing_to_correct(ix: Index) -> None:
    assert ix.suggest("medical supplies") is None
    assert ix.suggest("zzzzzz qqqqqq") is None  # no near spelling either
    assert ix.suggest("the") is None


def test_misspelt_word_still_finds_its_passages_below_exact_matches(ix: Index) -> None:
    misspelt = ix.search("convoyz")
    assert [h.path for h in misspelt] == ["a.txt"]
    assert misspelt[0].terms == ("convoyz",)
    assert "[[convoys]]" in misspelt[0].highlights
    assert misspelt[0].score < ix.search("convoys")[0].score

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seedindex import Config, Index
from tests.conftest import MakeCorpus


@pytest.fixture
def ix(make_corpus: MakeCorpus, index_dir: Path, config: Config) -> Iterator[Index]:
    texts = {
        "a.txt": "Humanitarian convoys carried medical supplies.",
        "b.txt": "Humanitarian workers and humanitarian agencies met.",
        "c.txt": "Hematology and humanism are other words.",
    }
    with Index.open(make_corpus(texts), index_dir=index_dir, config=config) as opened:
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


def test_a_pasted_page_of_unknown_words_looks_up_only_a_few(
    ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine._vocabulary import TermVocabulary

    calls: list[str] = []
    near = TermVocabulary.near

    def counting(self: TermVocabulary, term: str, distance: int, prefix: int) -> list[str]:
        calls.append(term)
        return near(self, term, distance, prefix)

    monkeypatch.setattr(TermVocabulary, "near", counting)
    page = " ".join(f"unknownword{n}x" for n in range(200)) + " humanitarain"
    ix.search(page)
    assert len(calls) == 8
    calls.clear()
    ix.suggest(page)
    assert len(calls) == 8


def test_near_spellings_are_of_words_as_written_not_of_stems(
    make_corpus: MakeCorpus, index_dir: Path, config: Config
) -> None:
    root = make_corpus(
        {
            "a.txt": "Recursively defined types.",
            "b.txt": "The director spoke.",
            "c.txt": "A directory.",
        }
    )
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert ix.suggest("recursivly") == "recursively"  # its stem, "recurs", is 4 edits off
        assert [h.path for h in ix.search("recursivly")] == ["a.txt"]
        assert ix.suggest("dirctory") == "directory"  # not "director", 2 edits off
        assert ix.search("dirctory")[0].path == "c.txt"


def test_words_of_deleted_files_are_never_offered(
    make_corpus: MakeCorpus, index_dir: Path, config: Config
) -> None:
    root = make_corpus({"a.txt": "zorbulating machines", "b.txt": "other words"})
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert ix.suggest("zorbulatin") == "zorbulating"
        (root / "a.txt").unlink()
        ix.update()
        assert ix.suggest("zorbulatin") is None
        assert ix.search("zorbulatin~2") == []

"""Passages as records for other programs: ids that stay valid while the file does."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedindex import Index
from seedindex.errors import PassageNotFoundError, StaleDocumentError
from seedindex.serving._records import passage_metadata, passage_record, resolve
from tests.conftest import MakeCorpus


def test_a_record_holds_the_passage_and_where_it_is(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"notes/a.md": "# Title\n\n## Part\n\nThe words of the passage."})
    with Index.open(root, index_dir=index_dir) as ix:
        (hit,) = ix.search("words")
        record = passage_record(hit, ix.seeds)
        assert record["text"] == hit.text
        assert record["title"] == "notes/a.md: Title > Part"
        assert record["url"] == (root / "notes/a.md").resolve().as_uri() + "#L5"
        assert (record["line"], record["section"], record["page"]) == (5, "Title > Part", None)
        metadata = passage_metadata(hit, ix.seeds)
        assert "text" not in metadata
        assert (metadata["start"], metadata["end"]) == (hit.start, hit.end)
        assert resolve(ix.text, record["id"]) == ("notes/a.md", hit.start, hit.end, hit.text)


def test_an_id_says_when_its_file_changed_or_when_it_is_no_id(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "alpha beta"})
    with Index.open(root, index_dir=index_dir) as ix:
        (hit,) = ix.search("alpha")
        ref = passage_record(hit, ix.seeds)["id"]
        (root / "a.txt").write_text("gamma delta")
        with pytest.raises(StaleDocumentError):
            resolve(ix.text, ref)
        ix.update()
        with pytest.raises(StaleDocumentError):  # same offsets, other text
            resolve(ix.text, ref)
        for bad in ("a.txt", "a.txt#x-y@12345678", "../a.txt#0-5@12345678"):
            with pytest.raises((PassageNotFoundError, StaleDocumentError)):
                resolve(ix.text, bad)

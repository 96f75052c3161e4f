"""Semantic ranking with a tiny deterministic embedder (the protocol), and WordLlama
when the extra is installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy
import pytest
from numpy.typing import NDArray

from seedindex import Config, Index
from seedindex.semantic import Embedder
from tests.conftest import MakeCorpus

TOPICS = [{"car", "cars", "automobile", "vehicle", "engine"}, {"fruit", "apple", "banana", "pear"}]


class Topics:
    """Words of a topic point one way: texts of one topic are near, whatever their words."""

    name = "test-topics"
    dimension = 3

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> NDArray[numpy.float32]:
        self.embedded.extend(texts)
        rows = []
        for text in texts:
            words = set(text.lower().replace(".", " ").split())
            row = [len(words & topic) for topic in TOPICS] + [0.01]
            rows.append(row)
        return numpy.asarray(rows, dtype=numpy.float32)


TEXTS = {
    "cars.txt": "Cars rust quickly in salty air.",
    "fruit.txt": "A banana ripens fast.",
    "mixed.txt": "Rust forms on iron.",
}


def test_the_tiny_embedder_meets_the_protocol() -> None:
    assert isinstance(Topics(), Embedder)


def test_a_passage_is_found_by_meaning_without_the_words(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    embedder = Topics()
    config = Config(semantic=True, embedder=embedder)
    with Index.open(make_corpus(TEXTS), index_dir=index_dir, config=config) as ix:
        assert ix.search("automobile")[0].path == "cars.txt"  # no word of it in the file
        (best, *_rest) = ix.search("rust car")
        assert best.path == "cars.txt"  # both words and meaning
        explanation = ix.explain("rust car", best)
        assert explanation.score == pytest.approx(best.score)
        assert explanation.semantic is not None
        assert explanation.semantic > 0.9
        assert best.terms == ("rust", "car")  # highlights and terms as ever


def test_an_update_embeds_only_new_or_changed_passages(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    embedder = Topics()
    config = Config(semantic=True, embedder=embedder)
    root = make_corpus(TEXTS)
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert len(embedder.embedded) == 3
        embedder.embedded.clear()
        (root / "new.txt").write_text("An apple a day.")
        (root / "mixed.txt").unlink()
        ix.update()
        assert embedder.embedded == ["new\nAn apple a day."]  # (its context: the name)
        embedder.embedded.clear()
        ix.build()  # a rebuild reuses every vector it has
        assert embedder.embedded == []
        assert {h.path for h in ix.search("pear")[:2]} == {"new.txt", "fruit.txt"}
        assert all(h.path != "mixed.txt" for h in ix.search("iron rust"))  # deleted


def test_another_embedder_is_another_index(make_corpus: MakeCorpus) -> None:
    root = make_corpus(TEXTS)
    lexical, semantic = Config(), Config(semantic=True, embedder=Topics())
    assert lexical.fingerprint() != semantic.fingerprint()
    with Index.open(root, config=semantic) as a, Index.open(root, config=lexical) as b:
        assert a.location != b.location


def test_vectors_that_describe_another_commit_are_built_again(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    embedder = Topics()
    config = Config(semantic=True, embedder=embedder)
    root = make_corpus(TEXTS)
    with Index.open(root, index_dir=index_dir, config=config):
        pass
    (index_dir / "vectors" / "rows.json").write_text("{}")  # damaged, or from a crash
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert ix.search("automobile")[0].path == "cars.txt"


@pytest.mark.skipif(importlib.util.find_spec("wordllama") is None, reason="no semantic extra")
def test_the_default_embedder_loads_offline_and_ranks(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(
        {"a.txt": "The physician treated the patient.", "b.txt": "Stock prices fell sharply."}
    )
    with Index.open(root, index_dir=index_dir, config=Config(semantic=True)) as ix:
        assert ix.search("doctor")[0].path == "a.txt"

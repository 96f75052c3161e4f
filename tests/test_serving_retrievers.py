"""The LangChain and LlamaIndex retrievers, where their framework is installed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import MakeCorpus

TEXTS = {
    "aid.md": "# Aid\n\nMedical supplies reached the city.",
    "b.txt": "Nothing about it here.\n\nConvoys of medical staff.",
}


def test_langchain_retriever_returns_the_passages_of_a_query(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    pytest.importorskip("langchain_core")
    from seedindex.serving.langchain import SeedIndexRetriever

    retriever = SeedIndexRetriever(seeds=str(make_corpus(TEXTS)), index_dir=str(index_dir), k=5)
    try:
        documents = retriever.invoke("medical supplies")
        assert documents[0].page_content == "Medical supplies reached the city."
        assert documents[0].metadata["section"] == "Aid"
        assert documents[0].metadata["path"] == "aid.md"
        assert {d.metadata["path"] for d in documents} == {"aid.md", "b.txt"}
        assert documents[0].metadata["score"] >= documents[-1].metadata["score"]
        again = asyncio.run(retriever.ainvoke("medical supplies"))
        assert [d.page_content for d in again] == [d.page_content for d in documents]
        assert (
            len(
                SeedIndexRetriever(
                    seeds=retriever.seeds, index_dir=retriever.index_dir, k=1
                ).invoke("medical")
            )
            == 1
        )
    finally:
        retriever.close()


def test_llamaindex_retriever_returns_scored_nodes(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    pytest.importorskip("llama_index.core")
    from seedindex.serving.llamaindex import SeedIndexRetriever

    retriever = SeedIndexRetriever(make_corpus(TEXTS), index_dir=index_dir, similarity_top_k=5)
    try:
        nodes = retriever.retrieve("medical supplies")
        assert nodes[0].node.get_content() == "Medical supplies reached the city."
        assert nodes[0].score is not None
        assert nodes[0].score > 0
        assert nodes[0].node.metadata["path"] == "aid.md"
    finally:
        retriever.close()


def test_a_missing_framework_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "seedindex.serving.langchain", raising=False)
    with pytest.raises(ImportError, match=r"seedindex\[langchain\]"):
        import seedindex.serving.langchain  # noqa: F401

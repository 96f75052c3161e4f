"""A LlamaIndex retriever over an index (the extra ``seedindex[llamaindex]``).

``SeedIndexRetriever(seeds="docs", similarity_top_k=5).retrieve("query")`` gives
``NodeWithScore``s whose ``TextNode`` holds the passage's text and, as metadata, its
path, lines, section, page, id and ``file://`` URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import Config, Passage
from ._records import passage_metadata
from ._retriever import LazyIndex

try:
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        "the LlamaIndex retriever needs the llamaindex extra: pip install 'seedindex[llamaindex]'"
    ) from exc

__all__ = ["SeedIndexRetriever", "to_node"]


def to_node(passage: Passage, seeds: Any) -> NodeWithScore:
    """A passage as a LlamaIndex node with its score."""
    metadata = passage_metadata(passage, Path(seeds))
    node = TextNode(id_=metadata["id"], text=passage.text, metadata=metadata)
    return NodeWithScore(node=node, score=passage.score)


class SeedIndexRetriever(BaseRetriever):  # type: ignore[misc,unused-ignore]
    """Passages of a folder's index for a query, as scored LlamaIndex nodes."""

    def __init__(
        self,
        seeds: Any = None,
        *,
        index_dir: Any = None,
        config: Config | None = None,
        similarity_top_k: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._index = LazyIndex(seeds, index_dir, config)
        self.similarity_top_k = similarity_top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        ix = self._index.get()
        hits = ix.search(query_bundle.query_str, limit=self.similarity_top_k)
        return [to_node(hit, ix.seeds) for hit in hits]

    def close(self) -> None:
        self._index.close()

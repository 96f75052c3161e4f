"""A LangChain retriever over an index (the extra ``seedindex[langchain]``).

``SeedIndexRetriever(seeds="docs", k=5).invoke("query")`` gives LangChain
``Document``s: the passage's text as ``page_content``, and its path, lines, section,
page, score, id and ``file://`` URL as ``metadata``. The index is kept on disk and
updated as the folder changes, unlike an in-memory BM25 retriever.
"""

from __future__ import annotations

from typing import Any

from .. import Config, Passage
from ._records import passage_metadata
from ._retriever import LazyIndex

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict, PrivateAttr
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        "the LangChain retriever needs the langchain extra: pip install 'seedindex[langchain]'"
    ) from exc

__all__ = ["SeedIndexRetriever", "to_document"]


def to_document(passage: Passage, seeds: Any) -> Document:
    """A passage as a LangChain document."""
    from pathlib import Path

    return Document(page_content=passage.text, metadata=passage_metadata(passage, Path(seeds)))


class SeedIndexRetriever(BaseRetriever):  # type: ignore[misc,unused-ignore]
    """Passages of a folder's index for a query, as LangChain documents (best first)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    seeds: str | None = None
    index_dir: str | None = None
    config: Config | None = None
    #: How many passages a query returns.
    k: int = 10
    #: At most this many passages of any one file (None: no limit).
    per_file: int | None = None

    _index: LazyIndex = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._index = LazyIndex(self.seeds, self.index_dir, self.config)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        ix = self._index.get()
        hits = ix.search(query, limit=self.k, per_file=self.per_file)
        return [to_document(hit, ix.seeds) for hit in hits]

    def close(self) -> None:
        self._index.close()

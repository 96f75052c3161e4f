"""The semantic signal beside BM25 (the extra ``seedindex[semantic]``): an embedder per
index, the passages' vectors kept in the index directory by content hash, and the
fusion of the two rankings. numpy and the default embedder (WordLlama) are imported
only when an index uses it."""

from ._embedder import Embedder, default_embedder, fingerprint
from ._fusion import LEXICAL_SHARE, fuse
from ._store import VectorStore

__all__ = ["LEXICAL_SHARE", "Embedder", "VectorStore", "default_embedder", "fingerprint", "fuse"]

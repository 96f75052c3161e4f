"""Ranking shared by every engine: BM25 over passages and pseudo-relevance feedback."""

from ._bm25 import K1, B, Corpus, TermPostings, best, idf
from ._feedback import FEEDBACK_FILES, lent_terms

__all__ = ["FEEDBACK_FILES", "K1", "B", "Corpus", "TermPostings", "best", "idf", "lent_terms"]

"""Ranking shared by every engine: BM25 over passages and pseudo-relevance feedback."""

from ._arrays import Columns
from ._bm25 import (
    CONTEXT_WEIGHT,
    K1,
    LOOKUP_COST,
    B,
    Corpus,
    TermPostings,
    best,
    idf,
    kept_length,
    length_norm,
    per_file_cut,
    places_of,
    with_context,
)
from ._feedback import FEEDBACK_FILES, lent_terms
from ._topk import Bonus, Wanted, top

__all__ = [
    "CONTEXT_WEIGHT",
    "FEEDBACK_FILES",
    "K1",
    "LOOKUP_COST",
    "B",
    "Bonus",
    "Columns",
    "Corpus",
    "TermPostings",
    "Wanted",
    "best",
    "idf",
    "kept_length",
    "length_norm",
    "lent_terms",
    "per_file_cut",
    "places_of",
    "top",
    "with_context",
]

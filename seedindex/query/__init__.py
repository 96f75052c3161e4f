"""Queries: text to an engine-neutral tree, and the tree to a plan of weighted terms."""

from . import _tree as tree
from ._parse import parse, plain_words
from ._plan import (
    FUZZY_WEIGHT,
    Plan,
    QueryWord,
    Vocabulary,
    is_plain,
    near_terms,
    plain_plan,
    similar_plan,
    tree_plan,
    typed_words,
)

__all__ = [
    "FUZZY_WEIGHT",
    "Plan",
    "QueryWord",
    "Vocabulary",
    "is_plain",
    "near_terms",
    "parse",
    "plain_plan",
    "plain_words",
    "similar_plan",
    "tree",
    "tree_plan",
    "typed_words",
]

"""Queries: text to an engine-neutral tree, and the tree to a plan of weighted terms."""

from . import _tree as tree
from ._parse import parse
from ._plan import (
    Plan,
    QueryWord,
    Vocabulary,
    is_plain,
    near_words,
    plain_plan,
    similar_plan,
    tree_plan,
)

__all__ = [
    "Plan",
    "QueryWord",
    "Vocabulary",
    "is_plain",
    "near_words",
    "parse",
    "plain_plan",
    "similar_plan",
    "tree",
    "tree_plan",
]

"""The query tree: what a query asks for, owned by seedindex and known to every engine.

Leaves name a field (``text``, ``title``, ``section``, ``tag`` or ``path``) and hold
index terms as the analyzer makes them (stemmed words; the path as it is for
``path``); patterns (prefix, wildcard, fuzzy, range) are expanded by the engine over
its own vocabulary. Every node is a frozen value: equal queries are equal trees.
"""

from __future__ import annotations

import attrs

#: The fields a query may name.
FIELDS = ("path", "text", "title", "section", "tag")
#: Fields that keep no word positions: a phrase in them is all of its words.
UNORDERED_FIELDS = ("section", "tag")


@attrs.frozen
class Term:
    """One index term in a field."""

    field: str
    text: str
    boost: float = 1.0


@attrs.frozen
class Phrase:
    """Terms in this order, each at most ``slop`` positions after the one before."""

    field: str
    terms: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@attrs.frozen
class Prefix:
    """Every term starting with ``text`` (normalised, not stemmed)."""

    field: str
    text: str
    boost: float = 1.0


@attrs.frozen
class Wildcard:
    """Every term matching ``pattern``: ``*`` any characters, ``?`` one."""

    field: str
    pattern: str
    boost: float = 1.0


@attrs.frozen
class Fuzzy:
    """The terms of every word, as written (``text`` is one, normalised and not stemmed),
    within ``distance`` edits of ``text`` whose first ``prefix`` letters agree."""

    field: str
    text: str
    distance: int = 1
    prefix: int = 0
    boost: float = 1.0


@attrs.frozen
class Range:
    """Every term between ``low`` and ``high`` (None: open), in the index's term order."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True
    boost: float = 1.0


@attrs.frozen
class And:
    children: tuple[Node, ...]


@attrs.frozen
class Or:
    children: tuple[Node, ...]


@attrs.frozen
class Not:
    """Every passage the child does not match."""

    child: Node


@attrs.frozen
class AndNot:
    """What ``positive`` matches, without what ``negative`` matches."""

    positive: Node
    negative: Node


@attrs.frozen
class AndMaybe:
    """What ``required`` matches; ``optional`` only adds to the score."""

    required: Node
    optional: Node


@attrs.frozen
class Nothing:
    """Matches no passage (a query with no words)."""


Leaf = Term | Phrase | Prefix | Wildcard | Fuzzy | Range
Pattern = Prefix | Wildcard | Fuzzy | Range
Node = Leaf | And | Or | Not | AndNot | AndMaybe | Nothing

NOTHING = Nothing()


def either(nodes: list[Node]) -> Node:
    """One node for matching any of ``nodes``."""
    if not nodes:
        return NOTHING
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

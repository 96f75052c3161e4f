"""A search as one Xapian query whose weights are seedindex's BM25.

Each scored term is scaled from Xapian's idf to seedindex's (``OP_SCALE_WEIGHT``); the
query tree decides which passages match and adds nothing to their scores; terms that
only rank (feedback) and bonuses (``FixedWeightPostingSource`` over what a bonus
query matches) add to the passages found, as ``OP_AND_MAYBE`` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...query import tree as t
from ...ranking import K1, idf
from .. import Search
from ._layout import CONTEXT_ONLY, SCALED_K1, encoded, term
from ._xapian import xapian

Q = xapian.Query
#: Xapian's BM25 with the parameters that, on this layout, give seedindex's scores.
WEIGHTING = (SCALED_K1, 0.0, 0.0, 0.75, 0.0)  # k1, k2, k3, b, min_normlen

Expand = Callable[[t.Pattern], list[str]]


def weighting() -> Any:
    return xapian.BM25Weight(*WEIGHTING)


def scale(weight: float, passages: int, frequency: int) -> float:
    """The factor that makes Xapian's weight of a term seedindex's: its idf for Xapian's,
    and the ``k1 + 1`` of seedindex for the scaled one."""
    ratio = (passages - frequency + 0.5) / (frequency + 0.5)
    xapian_idf = math.log(ratio if ratio >= 2 else ratio * 0.5 + 1)
    return weight * idf(passages, frequency) * (K1 + 1) / (xapian_idf * (SCALED_K1 + 1))


def search_query(
    request: Search, passages: int, frequency: Mapping[str, int], expand: Expand
) -> Any:
    """The query of ``request``, given the index's passage count and each scored or
    ranked term's number of passages."""
    scored = _weighted(request.scored, passages, frequency)
    if request.match is None:
        found = scored
    else:
        found = Q(Q.OP_SCALE_WEIGHT, matching(request.match, expand), 0.0)
        if scored is not None:
            found = Q(Q.OP_AND_MAYBE, found, scored)
    if found is None:
        return Q.MatchNothing
    ranked = _weighted(request.ranked, passages, frequency)
    if ranked is not None:
        found = Q(Q.OP_AND_MAYBE, found, ranked)
    for node, value in request.bonus:
        gain = Q(xapian.FixedWeightPostingSource(value))
        found = Q(Q.OP_AND_MAYBE, found, Q(Q.OP_FILTER, gain, matching(node, expand)))
    return found


def _weighted(
    terms: Sequence[tuple[str, float]], passages: int, frequency: Mapping[str, int]
) -> Any | None:
    parts = []
    for text, weight in terms:
        held = frequency.get(text, 0)
        raw = term("text", text)
        if held and raw is not None:
            factor = scale(weight, passages, held)
            parts.append(Q(Q.OP_SCALE_WEIGHT, Q(raw), factor))
    return Q(Q.OP_OR, parts) if parts else None


def matching(node: t.Node, expand: Expand) -> Any:
    """A query matching the passages ``node`` matches (its weights do not count)."""
    if isinstance(node, t.Term):
        return _term(node.field, node.text)
    if isinstance(node, t.Phrase):
        return _phrase(node)
    if isinstance(node, t.Prefix | t.Wildcard | t.Fuzzy | t.Range):
        found = [_term(node.field, text) for text in expand(node)]
        return Q(Q.OP_OR, found) if found else Q.MatchNothing
    if isinstance(node, t.And):
        return _all_of(node.children, expand)
    if isinstance(node, t.Or):
        return Q(Q.OP_OR, [matching(child, expand) for child in node.children])
    if isinstance(node, t.Not):
        return Q(Q.OP_AND_NOT, Q.MatchAll, matching(node.child, expand))
    if isinstance(node, t.AndNot):
        positive = matching(node.positive, expand)
        return Q(Q.OP_AND_NOT, positive, matching(node.negative, expand))
    if isinstance(node, t.AndMaybe):
        return matching(node.required, expand)
    return Q.MatchNothing


def _all_of(children: tuple[t.Node, ...], expand: Expand) -> Any:
    positive = [matching(c, expand) for c in children if not isinstance(c, t.Not)]
    negative = [matching(c.child, expand) for c in children if isinstance(c, t.Not)]
    found = Q(Q.OP_AND, positive) if positive else Q.MatchAll
    return Q(Q.OP_AND_NOT, found, Q(Q.OP_OR, negative)) if negative else found


def _term(field: str, text: str) -> Any:
    raw = term(field, text)
    if raw is None:
        return Q.MatchNothing
    if field == "text":  # the term is also in passages holding it in their context only
        return Q(Q.OP_AND_NOT, Q(raw), Q(encoded(CONTEXT_ONLY + text)))
    return Q(raw)


def _phrase(node: t.Phrase) -> Any:
    if len(node.terms) == 1:
        return _term(node.field, node.terms[0])
    raws = [term(node.field, text) for text in node.terms]
    if any(raw is None for raw in raws):
        return Q.MatchNothing
    if node.field not in ("text", "title"):  # no positions: every word of it
        return Q(Q.OP_AND, [Q(raw) for raw in raws])
    # Xapian's window spans the whole phrase: for two words that is seedindex's slop
    # exactly; for more it also allows uneven gaps that sum to no more.
    window = (len(raws) - 1) * node.slop + 1
    return Q(Q.OP_PHRASE, [Q(raw) for raw in raws], window)

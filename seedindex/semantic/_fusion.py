"""Fusing the lexical and the semantic rankings: each list's scores scaled to [0, 1]
over its own candidates (min-max), then ``LEXICAL_SHARE`` of the lexical plus the rest
of the semantic. Measured on seven collections (the semantic issue's numbers): score
interpolation beat rank fusion (RRF), and 70/30 is one setting for all of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

#: The lexical score's share of a fused score.
LEXICAL_SHARE = 0.7

K = TypeVar("K")


def fuse(lexical: Sequence[tuple[K, float]], semantic: Sequence[tuple[K, float]]) -> dict[K, float]:
    """Each candidate of either list and its fused score (a candidate missing from a
    list gets that list's lowest share: 0)."""
    fused: dict[K, float] = {}
    for share, ranked in ((LEXICAL_SHARE, lexical), (1.0 - LEXICAL_SHARE, semantic)):
        for key, value in _scaled(ranked):
            fused[key] = fused.get(key, 0.0) + share * value
    return fused


def _scaled(ranked: Sequence[tuple[K, float]]) -> list[tuple[K, float]]:
    if not ranked:
        return []
    values = [value for _key, value in ranked]
    low, high = min(values), max(values)
    span = high - low
    return [(key, (value - low) / span if span > 0 else 1.0) for key, value in ranked]

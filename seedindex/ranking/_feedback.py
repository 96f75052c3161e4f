"""Pseudo-relevance feedback (a relevance model, as RM3): words the best passages lend.

Each of the best passages (one a file) lends its words in proportion to their share
of its words and to how close its score is to the best one's: words that say what
the query is about in the collection's own terms, and raise relevant passages that
hold few of the query's words. Lent words rank the passages the query found; they
find none of their own. Chosen on SciFact and CISI together
(benchmarks/relevance.py), never per query.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from .. import _analysis

#: The best passages of this many files lend a query this many of their words, the
#: likeliest at this weight.
FEEDBACK_FILES = 10
FEEDBACK_TERMS = 15
FEEDBACK_WEIGHT = 0.2
# Candidate words whose frequencies are asked for at once.
_BATCH = 32

Frequencies = Callable[[Iterable[str]], Mapping[str, int]]


def lent_terms(
    scored: Sequence[tuple[str, float]],
    best: Sequence[tuple[str, float]],
    frequencies: Frequencies,
) -> tuple[tuple[str, float], ...]:
    """The words the ``best`` passages (text, score; best first) share, weighted."""
    likelihood: defaultdict[str, float] = defaultdict(float)
    stop = _analysis.stop_terms()
    for text, score in best:
        words = [t for t in _analysis.terms(text) if t not in stop]
        share = math.exp(score - best[0][1]) / max(1, len(words))
        for term in words:
            likelihood[term] += share
    known = {term for term, _weight in scored}
    candidates = sorted(
        ((value, term) for term, value in likelihood.items() if term not in known), reverse=True
    )
    lent: list[tuple[float, str]] = []
    for value, term in _shared(candidates, frequencies):
        lent.append((value, term))
        if len(lent) == FEEDBACK_TERMS:
            break
    return tuple((term, FEEDBACK_WEIGHT * value / lent[0][0]) for value, term in lent)


def _shared(
    candidates: list[tuple[float, str]], frequencies: Frequencies
) -> Iterator[tuple[float, str]]:
    """The candidates in more than one passage (a word of one passage finds nothing new),
    their frequencies asked for a batch at a time."""
    for first in range(0, len(candidates), _BATCH):
        batch = candidates[first : first + _BATCH]
        found = frequencies(term for _value, term in batch)
        yield from ((value, term) for value, term in batch if found[term] > 1)

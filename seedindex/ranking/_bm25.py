"""Okapi BM25 over passages, term at a time: the ranking every query shares.

Engine-neutral: it takes each query term's postings (passage numbers and term
frequencies) and the passages' lengths, and returns scores. The parameters were
chosen on SciFact and CISI together (benchmarks/relevance.py), never per query.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

if TYPE_CHECKING:
    import numpy
    import numpy.typing as npt

from ._arrays import Columns, numpy_for

T = TypeVar("T")

#: Term frequency saturation and length normalisation (the usual Lucene defaults).
K1 = 1.2
B = 0.75
#: The share of a term's weight that its being in a passage's context (its section's
#: and document's titles, its file name) counts for, beside its being in the text.
CONTEXT_WEIGHT = 0.75


# Passage lengths as an index keeps them, in one byte each (as Lucene's norms and
# Whoosh's lengths are): BM25 sees a length rounded up to the next of 256 steps.
_KEPT_LENGTHS = [round((1.033**step - 1) * 27) for step in range(256)]


def kept_length(length: int) -> int:
    """``length`` as BM25 sees it: rounded up to a length one byte can hold."""
    return _KEPT_LENGTHS[min(bisect.bisect_left(_KEPT_LENGTHS, length), 255)]


@attrs.frozen
class TermPostings:
    """One query term: its weight (boost) and the passages holding it."""

    term: str
    weight: float
    ids: Sequence[int]
    frequencies: Sequence[float]
    #: The most ``tf / (tf + norm)`` of its passages (``Corpus.peak``), when known.
    peak: float | None = None
    #: The postings again as arrays, for an index large enough (``Corpus.arrays``).
    columns: Columns | None = None


def length_norm(length: float, average: float) -> float:
    """What a passage's length adds to a term's frequency in BM25's saturation."""
    return K1 * (1.0 - B + B * length / average)


def idf(passages: int, frequency: int) -> float:
    """Lucene's BM25 idf: always positive, small for words in most passages."""
    return math.log(1.0 + (passages - frequency + 0.5) / (frequency + 0.5))


def with_context(
    text: tuple[Sequence[int], Sequence[float]], context: tuple[Sequence[int], Sequence[float]]
) -> tuple[list[int], list[float]]:
    """A term's postings in the passages' text and in their contexts as one list, the
    context's frequencies counted at ``CONTEXT_WEIGHT`` (BM25F over the two fields)."""
    if not context[0]:
        return list(text[0]), list(text[1])
    if not text[0]:
        return list(context[0]), [CONTEXT_WEIGHT * f for f in context[1]]
    merged = dict(zip(text[0], text[1], strict=True))
    get = merged.get
    for doc, frequency in zip(context[0], context[1], strict=True):
        merged[doc] = get(doc, 0.0) + CONTEXT_WEIGHT * frequency
    ids = sorted(merged)
    return ids, [merged[doc] for doc in ids]


def _fielded(length: Any, context_length: Any) -> Any:
    """A passage's length over its two fields (numbers or arrays of them)."""
    return length + CONTEXT_WEIGHT * context_length


def _average(lengths: Sequence[float]) -> float:
    return (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0  # (no words: 0)


class Corpus:
    """What BM25 needs of the whole index: passage count and length norms (of the text
    and, at ``CONTEXT_WEIGHT``, the context)."""

    def __init__(
        self,
        lengths: Sequence[float],
        live: int,
        context_lengths: Sequence[float] = (),
        *,
        arrays_from: int | None = None,
    ) -> None:
        self.passages = live
        #: The norms as an array, when numpy is there and there are ``arrays_from``
        #: passages or more (by default ``ARRAYS_FROM``); worked out in it then (the
        #: same operations, element by element: the same norms).
        self.arrays: npt.NDArray[numpy.float64] | None = None
        np = numpy_for(len(lengths), arrays_from)
        if np is None:
            if context_lengths:
                lengths = [_fielded(n, c) for n, c in zip(lengths, context_lengths, strict=True)]
            average = _average(lengths)
            self.norms = [length_norm(length, average) for length in lengths]
        else:
            combined = np.asarray(lengths, dtype=np.float64)
            if context_lengths:
                combined = _fielded(combined, np.asarray(context_lengths, dtype=np.float64))
            norms: Any = length_norm(combined, _average(combined.tolist()))  # an array
            self.arrays, self.norms = norms, norms.tolist()
        self._lowest_norm = min(self.norms, default=K1)

    def idf(self, frequency: int) -> float:
        return idf(self.passages, frequency)

    def score(
        self,
        terms: Iterable[TermPostings],
        only: Collection[int] | None = None,
        into: dict[int, float] | None = None,
    ) -> dict[int, float]:
        """BM25 score of every passage holding a term (of those in ``only``, if given),
        added to the scores in ``into`` if given."""
        norms = self.norms
        scores: dict[int, float] = {} if into is None else into
        get = scores.get
        for term in terms:
            weight = self.weight(term)
            for doc, tf in zip(term.ids, term.frequencies, strict=True):
                if only is None or doc in only:
                    scores[doc] = get(doc, 0.0) + weight * tf / (tf + norms[doc])
        return scores

    def score_each(self, terms: Iterable[TermPostings], docs: Collection[int]) -> dict[int, float]:
        """``score`` of ``docs`` alone (0 for those holding no term), the same to the
        last bit, each passage looked up in the postings when they are few."""
        norms = self.norms
        scores = dict.fromkeys(docs, 0.0)
        for term in terms:
            weight = self.weight(term)
            for doc, tf in held(term, scores.keys()):
                scores[doc] += weight * tf / (tf + norms[doc])
        return scores

    def add_held(self, term: TermPostings, scores: dict[int, float]) -> None:
        """Add ``term``'s part to the passages of ``scores`` that hold it, and no other:
        its postings walked, or each passage looked up in them when they are few."""
        if len(scores) * LOOKUP_COST > len(term.ids):
            self.score([term], only=scores.keys(), into=scores)
            return
        norms = self.norms
        weight = self.weight(term)
        for doc, tf in held(term, scores.keys()):
            scores[doc] += weight * tf / (tf + norms[doc])

    def bound(self, term: TermPostings) -> float:
        """The most ``term`` adds to any passage's score (at least)."""
        if term.peak is not None:
            return self.weight(term) * term.peak
        most = max(term.frequencies, default=0.0)
        return self.weight(term) * most / (most + self._lowest_norm) if most else 0.0

    def columns(self, ids: Sequence[int], frequencies: Sequence[float]) -> Columns | None:
        """A term's postings as arrays, when this index keeps its scores in arrays."""
        return None if self.arrays is None else Columns.of(ids, frequencies)

    def peak(
        self, ids: Sequence[int], frequencies: Sequence[float], columns: Columns | None = None
    ) -> float:
        """The most ``tf / (tf + norm)`` of the passages ``ids`` (given as ``columns``
        too, when there are arrays): what a term's part in a score is at most, before
        its weight."""
        if columns is not None and self.arrays is not None:
            return columns.peak(self.arrays)
        norms = self.norms
        return max(
            (tf / (tf + norms[doc]) for doc, tf in zip(ids, frequencies, strict=True)),
            default=0.0,
        )

    def explain(self, terms: Iterable[TermPostings], doc: int) -> list[tuple[float, float, float]]:
        """(frequency, idf, score) of each term in passage ``doc``, as ``score`` adds them."""
        parts = []
        for term in terms:
            position = bisect.bisect_left(term.ids, doc)
            if position < len(term.ids) and term.ids[position] == doc:
                tf = term.frequencies[position]
                value = self.weight(term) * tf / (tf + self.norms[doc])
            else:
                tf = value = 0.0
            parts.append((tf, self.idf(len(term.ids)), value))
        return parts

    def weight(self, term: TermPostings) -> float:
        """What a term's part in a score is scaled by: its boost and its idf."""
        return term.weight * self.idf(len(term.ids)) * (K1 + 1.0)


#: How many postings walked cost as much as one passage looked up in them.
LOOKUP_COST = 16


def held(term: TermPostings, docs: Collection[int]) -> list[tuple[int, float]]:
    """(passage, frequency) of each of ``docs`` that holds ``term``."""
    ids, frequencies = term.ids, term.frequencies
    return [(ids[at], frequencies[at]) for at in places_of(ids, docs)]


def places_of(ids: Sequence[int], docs: Collection[int]) -> list[int]:
    """Where in ``ids`` (sorted passage numbers) each of ``docs`` it holds is: each one
    looked up, or ``ids`` walked when they are not many more."""
    if len(docs) * LOOKUP_COST > len(ids):
        return [at for at, doc in enumerate(ids) if doc in docs]
    found = []
    for doc in docs:
        at = bisect.bisect_left(ids, doc)
        if at < len(ids) and ids[at] == doc:
            found.append(at)
    return found


def best(
    scores: dict[int, float],
    limit: int,
    path_of: Callable[[int], str],
    per_file: int | None = None,
) -> list[tuple[int, float]]:
    """The best ``limit`` (passage, score) pairs; equal scores by path, then position.

    With ``per_file``, at most that many passages of any one file.
    """
    wanted = limit if per_file is None else limit * 4
    while True:
        top = _top(scores, wanted, path_of)
        chosen = top if per_file is None else per_file_cut(top, per_file, path_of)
        if len(chosen) >= limit or len(top) == len(scores):
            return chosen[:limit]
        wanted *= 4


def _top(
    scores: dict[int, float], count: int, path_of: Callable[[int], str]
) -> list[tuple[int, float]]:
    """At least the ``count`` best, with every passage tied with the last of them."""
    if count < len(scores):
        threshold = heapq.nlargest(count, scores.values())[-1]
        candidates = [(doc, value) for doc, value in scores.items() if value >= threshold]
    else:
        candidates = list(scores.items())
    # Passages of a file are numbered in file order, so the number orders them by offset.
    candidates.sort(key=lambda item: (-item[1], item[0]))
    return _ties_by_path(candidates, path_of)


def _ties_by_path(
    ranked: list[tuple[int, float]], path_of: Callable[[int], str]
) -> list[tuple[int, float]]:
    """``ranked`` (by score, then number) with equal scores put in path order (then
    number): paths are looked up for ties only."""
    ordered: list[tuple[int, float]] = []
    for _value, tied in groupby(ranked, key=itemgetter(1)):
        run = list(tied)
        if len(run) > 1:
            run.sort(key=lambda item: (path_of(item[0]), item[0]))
        ordered.extend(run)
    return ordered


def per_file_cut(
    ranked: list[tuple[T, float]], per_file: int, path_of: Callable[[T], str]
) -> list[tuple[T, float]]:
    """``ranked`` with at most ``per_file`` passages of any one file, in order."""
    taken: dict[str, int] = {}
    chosen = []
    for doc, value in ranked:
        path = path_of(doc)
        if taken.get(path, 0) < per_file:
            taken[path] = taken.get(path, 0) + 1
            chosen.append((doc, value))
    return chosen

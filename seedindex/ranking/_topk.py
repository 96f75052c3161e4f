"""The best passages of a query without scoring every passage that holds one of its
words (MaxScore, term at a time).

Terms are read from the one that can add the most to a passage's score down. Once
the terms left (with the ranking-only terms and any bonus) could add less than the
``limit``-th best score so far, a passage holding none of the terms read yet cannot
make the best: from then on only the passages that still may are scored, each looked
up in a term's postings instead of the postings walked, and passages fall out as
they lose the chance. Scores summed in this order differ from the query's order in
their last bits, so the passages near the cut are scored again in the query's order
(``Corpus.score_each``): the result is exhaustive scoring's, exactly.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence
from operator import itemgetter
from typing import Protocol

import attrs

from ._arrays import ArrayTable
from ._bm25 import Corpus, TermPostings, best

# The share of a score that summing in another order may change it by, and more.
_ROUNDING = 1e-9


#: The passages a query's match takes of those given (of all, given None).
Match = Callable[[Collection[int] | None], set[int]]


@attrs.frozen
class Bonus:
    """A score given to the passages a query finds (say, its words as a phrase)."""

    value: float
    #: Where in the scored terms are the terms every passage given it holds.
    needs: frozenset[int]
    #: The passages of those given that it is given to.
    find: Callable[[Collection[int]], set[int]]


@attrs.frozen
class Wanted:
    """What the best passages are wanted of: ``scored`` terms find and score passages
    (or, with ``match``, the passages it takes, scoring 0 if they hold none);
    ``ranked`` terms score only the passages found so; bonuses are added to the
    passages they are given to. The best ``limit``, at most ``per_file`` a file."""

    scored: Sequence[TermPostings]
    ranked: Sequence[TermPostings]
    bonuses: Sequence[Bonus]
    limit: int
    per_file: int | None
    path_of: Callable[[int], str]
    match: Match | None = None


def top(
    corpus: Corpus,
    wanted: Wanted,
    *,
    into: dict[int, float],
    each: Callable[[], None] | None = None,
) -> list[tuple[int, float]]:
    """The best (passage, score) pairs (see ``candidates``), as ``best`` of every
    passage's score would give them."""
    table = _table(corpus, [*wanted.scored, *wanted.ranked], into, wanted.match)
    try:
        candidates(corpus, wanted, table, each=each)
        given = with_bonuses(table, wanted)
        near = near_cut(table, wanted)
    finally:
        table.close()
    scores = corpus.score_each([*wanted.scored, *wanted.ranked], near)
    for docs, bonus in zip(given, wanted.bonuses, strict=True):
        for doc in docs.intersection(scores):
            scores[doc] += bonus.value
    return best(scores, wanted.limit, wanted.path_of, wanted.per_file)


def candidates(
    corpus: Corpus, wanted: Wanted, table: _Table, *, each: Callable[[], None] | None = None
) -> None:
    """Every passage that may be among the best, with its score from the scored and
    ranked terms, within rounding, in ``table``; bonuses are added later
    (``with_bonuses``) but counted in what a passage may reach. ``each`` is called
    before each term (it may stop the work by raising: ``table`` holds what is known)."""
    scored, ranked, bonuses, match = wanted.scored, wanted.ranked, wanted.bonuses, wanted.match
    bounds = [corpus.bound(term) for term in scored]
    ranked_bounds = [corpus.bound(term) for term in ranked]
    headroom = sum(bonus.value for bonus in bonuses)
    read: set[int] = set()
    closed = False
    for position in sorted(range(len(scored)), key=lambda i: -bounds[i]):
        if each is not None:
            each()
        read.add(position)
        # (Summed afresh, not less each time: a sum drifting below 0 would drop ties.)
        left = sum(b for at, b in enumerate(bounds) if at not in read) + sum(ranked_bounds)
        term = scored[position]
        if closed:
            table.add_held(term)
        elif match is not None:
            table.admit(term)
            table.add_held(term)
        else:
            table.score_all(term)
        # A passage not seen yet holds none of the terms read: no bonus needing one.
        unseen = sum(b.value for b in bonuses if read.isdisjoint(b.needs))
        if closed or table.above(left + unseen, wanted.limit):  # (else it cannot close)
            floor = table.floor(wanted)
            closed = closed or left + unseen < floor
            if closed:
                table.drop_below(_lowest(floor, left + headroom))
    if match is not None:
        # A place (at 0) for the passages the match takes that hold no scored term,
        # when what their ranked terms and bonuses may add could make them the best.
        reach = sum(ranked_bounds) + sum(b.value for b in bonuses if not b.needs)
        if _lowest(table.floor(wanted), 0.0) <= reach:
            table.admit_docs(match(None))
    for at, term in enumerate(ranked):
        if each is not None:
            each()
        table.add_held(term)
        if closed:
            left = sum(ranked_bounds[at + 1 :]) + headroom
            table.drop_below(_lowest(table.floor(wanted), left))


class _Table(Protocol):
    """The scores of the passages still in the running, as ``candidates`` keeps them."""

    def score_all(self, term: TermPostings) -> None:
        """Add ``term``'s part to every passage holding it (each is then in)."""

    def add_held(self, term: TermPostings) -> None:
        """Add ``term``'s part to the passages in that hold it."""

    def admit(self, term: TermPostings) -> None:
        """Let in (at 0) the passages holding ``term`` that the match takes."""

    def admit_docs(self, docs: Collection[int]) -> None:
        """Let ``docs`` in, at 0 unless they are in already."""

    def above(self, value: float, limit: int) -> bool:
        """Whether ``limit`` passages score above ``value``: a count, cheaper than a floor."""

    def floor(self, wanted: Wanted) -> float:
        """``_floor`` of the passages in."""

    def drop_below(self, low: float) -> None:
        """Leave out the passages scoring below ``low``."""

    def members(self) -> list[int]:
        """The passages in."""

    def add(self, docs: Collection[int], value: float) -> None:
        """Add ``value`` to the scores of ``docs`` (passages in)."""

    def at_least(self, low: float) -> list[int]:
        """The passages in scoring ``low`` or more."""

    def close(self) -> None:
        """Put the scores of the passages in into the dict the table was made for."""


def _table(
    corpus: Corpus, terms: Sequence[TermPostings], into: dict[int, float], match: Match | None
) -> _Table:
    """Arrays for a large index whose terms came as arrays, else the dict ``into``."""
    if corpus.arrays is not None and all(term.columns is not None for term in terms):
        return ArrayTable(corpus, into, match)
    return _DictTable(corpus, into, match)


class _DictTable:
    """The scores in the dict ``candidates`` fills, a passage at a time."""

    def __init__(self, corpus: Corpus, scores: dict[int, float], match: Match | None) -> None:
        self._corpus = corpus
        self._scores = scores
        self._match = match
        self._refused: set[int] = set()

    def score_all(self, term: TermPostings) -> None:
        self._corpus.score([term], into=self._scores)

    def add_held(self, term: TermPostings) -> None:
        self._corpus.add_held(term, self._scores)

    def admit(self, term: TermPostings) -> None:
        assert self._match is not None
        scores, refused = self._scores, self._refused
        fresh = {doc for doc in term.ids if doc not in scores and doc not in refused}
        if fresh:
            taken = self._match(fresh)
            refused.update(fresh - taken)
            scores.update(dict.fromkeys(taken, 0.0))

    def admit_docs(self, docs: Collection[int]) -> None:
        for doc in docs:
            self._scores.setdefault(doc, 0.0)

    def above(self, value: float, limit: int) -> bool:
        return sum(map(float(value).__lt__, self._scores.values())) >= limit

    def floor(self, wanted: Wanted) -> float:
        return _floor(self._scores, wanted)

    def drop_below(self, low: float) -> None:
        _drop_below(self._scores, low)

    def members(self) -> list[int]:
        return list(self._scores)

    def add(self, docs: Collection[int], value: float) -> None:
        scores = self._scores
        for doc in docs:
            scores[doc] += value

    def at_least(self, low: float) -> list[int]:
        return [doc for doc, value in self._scores.items() if value >= low]

    def close(self) -> None:
        pass  # the scores are in the dict already


def with_bonuses(table: _Table, wanted: Wanted) -> list[set[int]]:
    """Add each bonus to the passages of ``table`` it is given to; before each, the
    passages that cannot make the best with the bonuses left are left out, so the last
    are looked for among few. Each bonus's passages, in order."""
    left = sum(bonus.value for bonus in wanted.bonuses)
    given = []
    for bonus in wanted.bonuses:
        table.drop_below(_lowest(table.floor(wanted), left))
        found = bonus.find(table.members())
        table.add(found, bonus.value)
        given.append(found)
        left -= bonus.value
    return given


def near_cut(table: _Table, wanted: Wanted) -> list[int]:
    """The passages whose scores (within rounding) may put them among the best."""
    return table.at_least(_lowest(table.floor(wanted), 0.0))


def _floor(scores: dict[int, float], wanted: Wanted) -> float:
    """A score the ``limit``-th best will have at least (with ``per_file``: the best of
    the ``limit``-th file), or minus infinity while fewer are known."""
    limit = wanted.limit
    if len(scores) < limit or limit < 1:
        return float("-inf")
    if wanted.per_file is None:
        return heapq.nlargest(limit, scores.values())[-1]
    count = limit
    while True:
        found = heapq.nlargest(count, scores.items(), key=itemgetter(1))
        files: set[str] = set()
        for doc, value in found:
            files.add(wanted.path_of(doc))
            if len(files) == limit:
                return value
        if len(found) == len(scores):
            return float("-inf")
        count *= 4


def _lowest(floor: float, left: float) -> float:
    """The least score that may reach ``floor`` with ``left`` more, within rounding."""
    return floor - _ROUNDING * abs(floor) - left


def _drop_below(scores: dict[int, float], low: float) -> None:
    """Leave out the passages scoring below ``low``."""
    for doc in [doc for doc, value in scores.items() if value < low]:
        del scores[doc]

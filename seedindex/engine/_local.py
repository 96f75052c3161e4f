"""Searching an index held on this machine: the query tree matched over postings in
Python, and BM25 over the matching passages (the ranking every local engine shares).

A local engine supplies ``Postings`` (term postings, passage lengths, stored passages,
numbered its own way); ``LocalSnapshot`` answers the ``Snapshot`` protocol over them,
so passage numbers never leave the engine.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import partial
from typing import Protocol

from ..query import tree as t
from ..ranking import (
    LOOKUP_COST,
    Bonus,
    Columns,
    Corpus,
    TermPostings,
    Wanted,
    best,
    places_of,
    top,
    with_context,
)
from . import PassageKey, Search, SearchTimedOut, StoredPassage, TermPart
from ._vocabulary import TermVocabulary

#: Fields said of a whole file, held on its first passage only.
FILE_FIELDS = ("title", "tag", "word")
#: Terms a pattern matches at most, in the index's order (its passages are found by
#: all of them): Lucene's default limit of clauses.
MAX_MATCHED_EXPANSION = 1024
# Passage numbers of keys handed out, kept to fetch them again without a look-up.
_KNOWN_KEYS = 10_000
# Terms whose postings in text and context, merged, a snapshot keeps.
_MERGED_TERMS = 20_000
# The most passages of a word a search holds as a set to match passages against.
_TERM_SET_MOST = 200_000


class Postings(Protocol):
    """What a local engine reads of one committed state."""

    corpus: Corpus  # of the passages' text and context lengths

    def terms(self, field: str, term: str) -> tuple[Sequence[int], Sequence[float]]:
        """(passage numbers in order, frequencies) of ``term``, deleted passages left out."""

    def count(self, field: str, term: str) -> int:
        """How many live passages hold ``term`` (``terms`` without reading them, when
        the engine can)."""

    def live(self) -> Collection[int]:
        """Every live passage's number."""

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        """The field's terms from ``start`` on, in order."""

    def phrase(
        self, field: str, terms: tuple[str, ...], slop: int, within: Collection[int] | None
    ) -> set[int]:
        """Passages (of those ``within``, if given) holding the terms in order, each at
        most ``slop`` positions on."""

    def path(self, doc: int) -> str:
        """The file of a passage."""

    def keys(self, docs: Sequence[int]) -> list[PassageKey]:
        """Each passage's file and start (their text not read)."""

    def stored(self, doc: int) -> StoredPassage: ...


class LocalSnapshot(TermVocabulary):
    """The ``Snapshot`` of a local engine's postings (one reader: one thread at a time)."""

    def __init__(self, postings: Postings, generation: int) -> None:
        super().__init__()
        self.missing: tuple[str, ...] = ()
        self.postings = postings
        self.generation = generation
        self._docs: dict[PassageKey, int] = {}
        self._merged: dict[str, tuple[list[int], list[float], float, Columns | None]] = {}
        self._partial: dict[int, float] = {}  # the scores of a search as they come
        # The passages of a query's leaves, kept for the searches of one query (with
        # feedback, the second search matches what the first did).
        self._found: dict[t.Leaf, set[int]] = {}
        self._found_for: tuple[object, object] = (None, None)  # the query's match, terms

    # -- vocabulary ----------------------------------------------------------

    def frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Passages holding each term in their text (else in their context: a word of
        titles only is no unknown word)."""
        count = self.postings.count
        return {term: count("text", term) or count("context", term) for term in terms}

    def passage_count(self) -> int:
        return self.postings.corpus.passages

    def count(self, field: str, term: str) -> int:
        return self.postings.count(field, term)

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        return self.postings.terms_from(field, start)

    # -- searching -----------------------------------------------------------

    def search(self, request: Search) -> list[tuple[PassageKey, float]]:
        match, scored = self._found_for
        if request.match is not match or request.scored is not scored:  # another query
            self._found, self._found_for = {}, (request.match, request.scored)
        self._partial = {}
        try:
            return self._search(request)
        except SearchTimedOut:
            self._found, self._found_for = {}, (None, None)  # a pattern's passages half found
            top = best(self._partial, request.limit, self.postings.path, request.per_file)
            raise SearchTimedOut(self._keyed(top)) from None

    def _search(self, request: Search) -> list[tuple[PassageKey, float]]:
        """The best passages, found without scoring every passage (``ranking.top``)."""
        terms = [*self._term_postings(request.scored), *self._term_postings(request.ranked)]
        place = {term: at for at, (term, _weight) in enumerate(request.scored)}
        bonuses = [
            Bonus(
                value,
                frozenset(place[term] for term in required(node) if term in place),
                partial(self.matching, node),
            )
            for node, value in request.bonus
        ]
        wanted = Wanted(
            terms[: len(request.scored)],
            terms[len(request.scored) :],
            bonuses,
            request.limit,
            request.per_file,
            self.postings.path,
            None if request.match is None else partial(self.matching, request.match),
        )
        found = top(self.postings.corpus, wanted, into=self._partial, each=self._in_time)
        return self._keyed(found)

    def fetch(self, keys: Sequence[PassageKey]) -> list[StoredPassage | None]:
        found: list[StoredPassage | None] = []
        for key in keys:
            doc = self._doc(key)
            found.append(None if doc is None else self.postings.stored(doc))
        return found

    def passages_of(self, path: str) -> list[StoredPassage]:
        return [self.postings.stored(doc) for doc in self.postings.terms("path", path)[0]]

    def explain(self, scored: Sequence[tuple[str, float]], key: PassageKey) -> list[TermPart]:
        doc = self._doc(key)
        if doc is None:
            return []
        parts = []
        for (term, _weight), (tf, idf, value) in zip(
            scored, self.postings.corpus.explain(self._term_postings(scored), doc), strict=True
        ):
            parts.append(TermPart.of(self._frequency("text", term, doc), tf, idf, value))
        return parts

    def bonus(self, bonus: Sequence[tuple[t.Node, float]], key: PassageKey) -> float:
        doc = self._doc(key)
        return 0.0 if doc is None else sum(v for node, v in bonus if self.matching(node, {doc}))

    def _frequency(self, field: str, term: str, doc: int) -> float:
        ids, frequencies = self.postings.terms(field, term)
        position = bisect.bisect_left(ids, doc)
        return frequencies[position] if _holds(ids, doc) else 0.0

    def matching(self, node: t.Node, within: Collection[int] | None = None) -> set[int]:
        """The passages a query tree matches (of those ``within``, if given)."""
        if isinstance(node, t.Leaf) and node.field in FILE_FIELDS:
            found = self._whole_files(node)
            return found if within is None else found.intersection(within)
        if isinstance(node, t.Leaf):
            return self._leaf_matching(node, within)
        if isinstance(node, t.And):
            return self._all_of(node.children, within)
        if isinstance(node, t.Or):
            return self._any_of(node.children, within)
        if isinstance(node, t.Not):
            return set(self._live(within)) - self.matching(node.child, within)
        if isinstance(node, t.AndNot):
            found = self.matching(node.positive, within)
            return found - self.matching(node.negative, found) if found else found
        if isinstance(node, t.AndMaybe):
            return self.matching(node.required, within)
        return set()

    def _live(self, within: Collection[int] | None) -> Collection[int]:
        return self.postings.live() if within is None else within

    def _leaf_matching(self, node: t.Leaf, within: Collection[int] | None) -> set[int]:
        postings = self.postings
        if isinstance(node, t.Phrase):
            if within is not None:
                # The passages holding every word, found first as sets (kept for the
                # search), leave few to read positions of.
                for term in dict.fromkeys(node.terms):
                    within = self._leaf_matching(t.Term(node.field, term), within)
                    if not within:
                        return set()
            return postings.phrase(node.field, node.terms, node.slop, within)
        found = self._found.get(node)
        if found is None:
            if isinstance(node, t.Term):
                ids = postings.terms(node.field, node.text)[0]
                if within is not None and (
                    len(within) * LOOKUP_COST <= len(ids) or len(ids) > _TERM_SET_MOST
                ):
                    return set(among(ids, within))  # a few looked up, or too many to hold
                # (Matched again and again as the search admits passages: a set, once.)
                found = self._found[node] = set(ids)
            else:
                found = self._found[node] = set()
                for term in self.expand(node, MAX_MATCHED_EXPANSION):
                    self._in_time()
                    found.update(postings.terms(node.field, term)[0])
        return set(found) if within is None else found.intersection(within)

    def _holds_term(self, node: t.Term, doc: int) -> bool:
        found = self._found.get(node)
        if found is not None:
            return doc in found
        return _holds(self.postings.terms(node.field, node.text)[0], doc)

    def _whole_files(self, node: t.Leaf) -> set[int]:
        """Every passage of the files whose first passages match ``node``."""
        found: set[int] = set()
        for doc in self._leaf_matching(node, None):
            found.update(self._of_file(doc))
        return found

    def _of_file(self, doc: int) -> Sequence[int]:
        """The passages of ``doc``'s file, in order."""
        return self.postings.terms("path", self.postings.path(doc))[0]

    def _any_of(self, children: tuple[t.Node, ...], within: Collection[int] | None) -> set[int]:
        if within is None:
            return set().union(*(self.matching(child) for child in children))
        found: set[int] = set()
        left = set(within)
        # Words first: a passage one of them takes is not looked at in a phrase. First
        # of all the words holding one of the passages: they are most often a word's
        # passages (the ranking admitting those it reads), all taken at once.
        probe = next(iter(left), None)

        def order(child: t.Node) -> int:
            if not isinstance(child, t.Term):
                return 2
            return 0 if probe is not None and self._holds_term(child, probe) else 1

        for child in sorted(children, key=order):
            if not left:
                break
            taken = self.matching(child, left)
            found |= taken
            left -= taken
        return found

    def _all_of(self, children: tuple[t.Node, ...], within: Collection[int] | None) -> set[int]:
        positive = [c for c in children if not isinstance(c, t.Not)]
        negative = [c.child for c in children if isinstance(c, t.Not)]
        if positive:
            found = self.matching(positive[0], within)
            for child in positive[1:]:
                found = self.matching(child, found) if found else found
        else:
            found = set(self._live(within))
        for excluded in negative:
            found -= self.matching(excluded, found) if found else set()
        return found

    def _term_postings(self, scored: Iterable[tuple[str, float]]) -> Iterator[TermPostings]:
        """Each term's postings, the deadline looked at before each is read."""
        for term, weight in scored:
            self._in_time()
            yield TermPostings(term, weight, *self._scored(term))

    def _scored(self, term: str) -> tuple[list[int], list[float], float, Columns | None]:
        """A term's postings in the text and the context as one (see ``with_context``),
        with their peak (and as arrays, if the corpus wants them), kept while this
        snapshot lives: most queries share some of their words."""
        found = self._merged.get(term)
        if found is None:
            if len(self._merged) >= _MERGED_TERMS:
                self._merged.clear()
            terms, corpus = self.postings.terms, self.postings.corpus
            ids, frequencies = with_context(terms("text", term), terms("context", term))
            columns = corpus.columns(ids, frequencies)
            peak = corpus.peak(ids, frequencies, columns)
            found = self._merged[term] = (ids, frequencies, peak, columns)
        return found

    def _keyed(self, found: Sequence[tuple[int, float]]) -> list[tuple[PassageKey, float]]:
        """The passages ``found``, by key (remembered, to fetch them without a look-up)."""
        keys = self.postings.keys([doc for doc, _value in found])
        if len(self._docs) + len(keys) > _KNOWN_KEYS:
            self._docs.clear()
        self._docs.update(zip(keys, (doc for doc, _value in found), strict=True))
        return [(key, value) for key, (_doc, value) in zip(keys, found, strict=True)]

    def _doc(self, key: PassageKey) -> int | None:
        doc = self._docs.get(key)
        if doc is not None:
            return doc
        candidates = self.postings.terms("path", key.path)[0]
        for candidate, found in zip(candidates, self.postings.keys(candidates), strict=True):
            if found.start == key.start:
                return candidate
        return None


def required(node: t.Node) -> set[str]:
    """Terms every passage ``node`` matches holds in its text or context (which holds
    its document's title: a ``title`` match holds its terms there too)."""
    if isinstance(node, t.Term | t.Phrase):
        in_text = node.field in ("text", "context", "title")
        return set(node.terms if isinstance(node, t.Phrase) else [node.text]) if in_text else set()
    if isinstance(node, t.And):
        return set().union(*(required(c) for c in node.children if not isinstance(c, t.Not)))
    if isinstance(node, t.Or) and node.children:
        return set.intersection(*map(required, node.children))
    if isinstance(node, t.AndNot):
        return required(node.positive)
    if isinstance(node, t.AndMaybe):
        return required(node.required)
    return set()


def in_order(positions: Sequence[list[int]], slop: int) -> bool:
    """Whether each term's position can follow the previous one's by 1 to ``slop``."""
    reachable = set(positions[0])
    for following in positions[1:]:
        reachable = {p for p in following if any(0 < p - q <= slop for q in reachable)}
        if not reachable:
            return False
    return True


def among(ids: Sequence[int], docs: Collection[int]) -> list[int]:
    """The passages of ``docs`` in ``ids`` (sorted passage numbers)."""
    return [ids[at] for at in places_of(ids, docs)]


def holding_all(postings: Sequence[Sequence[int]]) -> set[int]:
    """The passages in every one of ``postings`` (sorted passage numbers): the shortest
    list's passages looked up in the others, which are never walked whole."""
    if not postings:
        return set()
    shortest, *others = sorted(postings, key=len)
    found = set(shortest)
    for ids in others:
        found = {doc for doc in found if _holds(ids, doc)}
        if not found:
            break
    return found


def _holds(ids: Sequence[int], doc: int) -> bool:
    position = bisect.bisect_left(ids, doc)
    return position < len(ids) and ids[position] == doc

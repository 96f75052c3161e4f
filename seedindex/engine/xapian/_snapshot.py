"""Reading the shards as one index: the ``Snapshot`` of the shard engine.

Xapian matches and scores on the shard servers; what seedindex does around a search
(planning, feedback, highlights, similar, suggest) runs here over this snapshot, as
over a local one. Scores summed on several shards differ from a local sum in the last
bits, so passages are fetched beyond the limit and put in seedindex's order (score,
then path, then offset) with scores rounded to ``_TIE_DIGITS`` places.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ...query import tree as t
from ...ranking import CONTEXT_WEIGHT, K1, idf, length_norm, per_file_cut
from .. import PassageKey, Search, StoredPassage, TermPart
from .._local import MAX_MATCHED_EXPANSION
from .._vocabulary import TermVocabulary
from . import _query
from ._connect import Connections
from ._layout import (
    CONTEXT_ONLY,
    CONTEXT_WDF,
    PASSAGE_SLOT,
    PATH_SLOT,
    PREFIXES,
    TEXT_WDF,
    decoded,
    encoded,
    path_term,
    stored,
    term,
)
from ._xapian import xapian

_TIE_DIGITS = 9
# Passages kept to be fetched again by key, and terms whose counts are kept.
_KNOWN_PASSAGES = 10_000
_KNOWN_TERMS = 50_000
# The first bytes a term of the text may start with: not Xapian's prefixes (A to Z).
_TEXT_FIRST_BYTES = [bytes([b]) for b in range(256) if not 0x41 <= b <= 0x5A]


class ShardSnapshot(TermVocabulary):
    """One state of every shard (one thread at a time): what Xapian has committed when
    it was made (``generation``), until the engine makes the next."""

    def __init__(self, connections: Connections, generation: int) -> None:
        super().__init__()
        self._connections = connections
        self.generation = generation
        self.missing = connections.missing
        self._passages: dict[PassageKey, tuple[int, StoredPassage]] = {}
        self._counts: dict[bytes, int] = {}
        self._passage_count: int | None = None

    def _ask(self, ask: Any) -> Any:
        self._in_time()
        return self._connections.call(ask)

    # -- vocabulary ----------------------------------------------------------

    def frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Passages holding each term in their text (else in their context)."""
        return {text: in_text or held for text, (in_text, held) in self._held(terms).items()}

    def _held(self, terms: Iterable[str]) -> dict[str, tuple[int, int]]:
        """How many passages hold each term in their text, and in text or context."""
        terms = list(terms)
        counts = self._term_counts(
            [raw for text in terms for raw in (term("text", text), _context_only(text)) if raw]
        )
        found = {}
        for text in terms:
            raw = term("text", text)
            held = counts.get(raw, 0) if raw else 0
            found[text] = (held - counts.get(_context_only(text) or b"", 0), held)
        return found

    def passage_count(self) -> int:
        if self._passage_count is None:  # (one state: it cannot change)
            self._passage_count = int(self._ask(lambda db: db.get_doccount()))
        return self._passage_count

    def count(self, field: str, text: str) -> int:
        if field == "text":
            return self._held([text])[text][0]
        raw = term(field, text)
        return self._term_counts([raw])[raw] if raw else 0

    def _term_counts(self, raws: Sequence[bytes]) -> dict[bytes, int]:
        """How many passages hold each term, all asked for at once."""
        wanted = [raw for raw in dict.fromkeys(raws) if raw not in self._counts]
        if wanted:
            if len(self._counts) + len(wanted) > _KNOWN_TERMS:
                self._counts.clear()

            def count(db: Any) -> dict[bytes, int]:
                enquire = xapian.Enquire(db)
                enquire.set_query(
                    xapian.Query(xapian.Query.OP_OR, [xapian.Query(r) for r in wanted])
                )
                counted = enquire.get_mset(0, 0)
                return {raw: counted.get_termfreq(raw) for raw in wanted}

            self._counts.update(self._ask(count))
        return {raw: self._counts[raw] for raw in raws}

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        listed: Iterator[str]
        if field == "text":
            firsts = [b for b in _TEXT_FIRST_BYTES if b >= encoded(start)[:1]]
            listed = (text for first in firsts for text in self._listed("text", first))
        else:
            listed = self._listed(field, b"")
        return (text for text in listed if text >= start)

    def terms_starting(self, field: str, start: str) -> Iterator[str]:
        if field == "text" and not start:
            return (text for first in _TEXT_FIRST_BYTES for text in self._listed("text", first))
        return self._listed(field, encoded(start))

    def _listed(self, field: str, start: bytes) -> Iterator[str]:
        """The field's terms that start with ``start``: from every shard, in order (those
        of the text: the ones some passage holds in its text, not in its context only)."""
        prefix = encoded(PREFIXES.get(field, ""))
        listed = self._ask(lambda db: [(i.term, i.termfreq) for i in db.allterms(prefix + start)])
        if field != "text":
            yield from (decoded(raw[len(prefix) :]) for raw, _held in listed)
            return
        marks = CONTEXT_ONLY.encode()
        only = self._ask(lambda db: {i.term[1:]: i.termfreq for i in db.allterms(marks + start)})
        for raw, held in listed:
            if held > only.get(raw, 0):
                yield decoded(raw)

    # -- searching -----------------------------------------------------------

    def search(self, request: Search) -> list[tuple[PassageKey, float]]:
        self._in_time()
        raws = {text: term("text", text) for text, _weight in (*request.scored, *request.ranked)}
        counts = self._term_counts([raw for raw in raws.values() if raw])
        frequency = {text: counts[raw] for text, raw in raws.items() if raw}
        passages = self.passage_count()
        query = _query.search_query(request, passages, frequency, self._expand)
        wanted = request.limit + max(10, request.limit // 5)

        def matches(db: Any) -> list[tuple[int, float, bytes]]:  # (docid, score, passage)
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(_query.weighting())
            enquire.set_query(query)
            enquire.set_sort_by_relevance_then_value(PASSAGE_SLOT, False)
            if request.per_file is not None:
                enquire.set_collapse_key(PATH_SLOT, request.per_file)
            return _hits(enquire.get_mset(0, wanted))

        ranked = [
            (self._remember(docid, value), score) for docid, score, value in self._ask(matches)
        ]
        ranked.sort(key=lambda hit: (-round(hit[1], _TIE_DIGITS), hit[0]))
        if request.per_file is not None:
            ranked = per_file_cut(ranked, request.per_file, lambda key: key.path)
        return ranked[: request.limit]

    def _expand(self, pattern: t.Pattern) -> list[str]:
        return self.expand(pattern, MAX_MATCHED_EXPANSION)

    def _remember(self, docid: int, value: bytes) -> PassageKey:
        passage = stored(value)
        if len(self._passages) >= _KNOWN_PASSAGES:
            self._passages.clear()
        self._passages[passage.key] = (docid, passage)
        return passage.key

    def fetch(self, keys: Sequence[PassageKey]) -> list[StoredPassage | None]:
        return [None if (found := self._known(key)) is None else found[1] for key in keys]

    def _known(self, key: PassageKey) -> tuple[int, StoredPassage] | None:
        found = self._passages.get(key)
        if found is None:
            self.passages_of(key.path)
            found = self._passages.get(key)
        return found

    def passages_of(self, path: str) -> list[StoredPassage]:
        def of_file(db: Any) -> list[tuple[int, float, bytes]]:
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(xapian.BoolWeight())
            enquire.set_query(xapian.Query(path_term(path)))
            enquire.set_sort_by_value(PASSAGE_SLOT, False)
            return _hits(enquire.get_mset(0, db.get_doccount()))

        passages = []
        for docid, _score, value in self._ask(of_file):
            key = self._remember(docid, value)
            passages.append(self._passages[key][1])
        return [p for p in passages if p.path == path]

    def explain(self, scored: Sequence[tuple[str, float]], key: PassageKey) -> list[TermPart]:
        found = self._known(key)
        if found is None:
            return []
        docid = found[0]
        counts = self._term_counts([raw for text, _w in scored if (raw := term("text", text))])

        def read(db: Any) -> tuple[float, float, int, dict[bytes, tuple[int, int]]]:
            wanted = set(counts)
            held = {}
            for item in db.termlist(docid):
                if item.term in wanted:
                    held[item.term] = (item.wdf, len(list(db.positionlist(docid, item.term))))
            return db.get_doclength(docid), db.get_avlength(), db.get_doccount(), held

        length, average, passages, held = self._ask(read)
        norm = length_norm(length, average) if average else K1
        parts = []
        for text, weight in scored:
            raw = term("text", text)
            wdf, in_text = held.get(raw, (0, 0)) if raw else (0, 0)
            in_context = (wdf - TEXT_WDF * in_text) / CONTEXT_WDF
            tf = in_text + CONTEXT_WEIGHT * in_context
            term_idf = idf(passages, counts.get(raw, 0)) if raw else 0.0
            value = weight * term_idf * (K1 + 1.0) * tf / (tf + norm) if tf else 0.0
            parts.append(TermPart.of(in_text, tf, term_idf, value))
        return parts

    def bonus(self, bonus: Sequence[tuple[t.Node, float]], key: PassageKey) -> float:
        found = self._known(key)
        if found is None:
            return 0.0
        docid = found[0]
        gained = 0.0
        for node, value in bonus:
            query = xapian.Query(
                xapian.Query.OP_FILTER,
                _query.matching(node, self._expand),
                xapian.Query(path_term(key.path)),
            )

            def matched(db: Any, query: Any = query) -> set[int]:
                enquire = xapian.Enquire(db)
                enquire.set_weighting_scheme(xapian.BoolWeight())
                enquire.set_query(query)
                return {item.docid for item in enquire.get_mset(0, db.get_doccount())}

            if docid in self._ask(matched):
                gained += value
        return gained


def _hits(found: Any) -> list[tuple[int, float, bytes]]:
    """(docid, score, sort key) of each match of an MSet, in its order."""
    hits = []
    item, end = found._begin(), found._end()
    while item != end:
        hits.append((item.get_docid(), item.get_weight(), item.get_sort_key()))
        next(item)
    return hits


def _context_only(text: str) -> bytes | None:
    raw = encoded(CONTEXT_ONLY + text)
    return raw if term("text", text) is not None else None

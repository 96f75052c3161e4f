"""The read side of an index: query text -> plan -> engine search -> passages out.

Every search reads one ``Snapshot`` of the engine from start to end, so it sees one
committed state even while another thread or process writes.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from typing import Any

import attrs

from ._config import Config
from ._results import Explanation, Passage, Results, TermScore, to_passage
from .engine import Engine, PassageKey, Search, SearchTimedOut, Snapshot, StoredPassage
from .errors import PassageNotFoundError, QueryTimeoutError
from .query import Plan, is_plain, parse, plain_plan, similar_plan, tree_plan
from .ranking import FEEDBACK_FILES, lent_terms, per_file_cut

logger = logging.getLogger("seedindex")


@attrs.frozen
class Ranking:
    """How a query is ranked: its plan, and the words feedback lends it."""

    plan: Plan
    lent: tuple[tuple[str, float], ...] = ()

    def request(self, limit: int, per_file: int | None = None) -> Search:
        return Search(
            self.plan.match, self.plan.scored, self.lent, limit, per_file, self.plan.bonus
        )


def _at_most_per_file(
    ranked: list[tuple[PassageKey, float]], per_file: int | None
) -> list[tuple[PassageKey, float]]:
    return ranked if per_file is None else per_file_cut(ranked, per_file, lambda key: key.path)


def _best_fused(
    fused: dict[PassageKey, float], limit: int, per_file: int | None
) -> list[tuple[PassageKey, float]]:
    def order(item: tuple[PassageKey, float]) -> tuple[float, str, int]:
        return (-item[1], item[0].path, item[0].start)

    if per_file is None:
        return heapq.nsmallest(limit, fused.items(), key=order)
    return _at_most_per_file(sorted(fused.items(), key=order), per_file)[:limit]


def rank(snapshot: Snapshot, text: str, *, strict: bool, feedback: bool) -> Ranking:
    """Plan ``text``; with ``feedback``, also the words its best passages lend it."""
    if is_plain(text):
        plan = plain_plan(text, snapshot)
    else:
        plan = tree_plan(parse(text, strict=strict), text, snapshot)
    if not feedback:
        return Ranking(plan)
    first = snapshot.search(Search(plan.match, plan.scored, limit=FEEDBACK_FILES, per_file=1))
    stored = snapshot.fetch([key for key, _score in first])
    best = [
        (found.text, score) for found, (_key, score) in zip(stored, first, strict=True) if found
    ]
    return Ranking(plan, lent_terms(plan.scored, best, snapshot.frequencies))


#: Passages each ranking offers to the fusion of lexical and semantic scores.
LEXICAL_CANDIDATES = 100
SEMANTIC_CANDIDATES = 400


class Searcher:
    """Searches one engine with one set of settings; any thread may use it."""

    def __init__(
        self, engine: Engine, config: Config, vectors: Any = None, embedder: Any = None
    ) -> None:
        self.engine = engine
        self.config = config
        self._vectors = vectors  # a semantic.VectorStore, when semantic
        self._embedder = embedder
        # The last query ranked in each thread: explaining its passages one by one
        # (``--explain``) ranks it once, not once a passage.
        self._last = threading.local()

    def search(self, text: str, *, limit: int, strict: bool, per_file: int | None) -> Results:
        snapshot = self.engine.snapshot()
        snapshot.deadline = time.monotonic() + self.config.query_timeout
        ranking = Ranking(Plan((), (), None))
        try:
            ranking = self._ranking(snapshot, text, strict)
            if self._vectors is not None:
                similar = self._similar(text, limit, per_file)
                fused = self._fusion(snapshot, ranking, similar, limit, per_file)
                hits = _best_fused(fused, limit, per_file)
            else:
                hits = snapshot.search(ranking.request(limit, per_file))
        except SearchTimedOut as exc:
            timeout = self.config.query_timeout
            if strict:
                raise QueryTimeoutError(f"query {text!r} ran past {timeout:g} s") from None
            logger.warning(
                "query %r stopped after %g s (Config(query_timeout)): the best passages found "
                "by then",
                text,
                timeout,
            )
            hits = exc.partial
        finally:
            snapshot.deadline = None
        return self._passages(snapshot, hits, ranking)

    def _similar(
        self, text: str, limit: int, per_file: int | None
    ) -> list[tuple[PassageKey, float]]:
        """The semantic candidates of a query wanting ``limit`` passages."""
        candidates = max(limit, SEMANTIC_CANDIDATES)
        near = self._vectors.nearest(self._query_vector(text), candidates * (4 if per_file else 1))
        return _at_most_per_file(near, per_file)[:candidates]

    def _fusion(
        self,
        snapshot: Snapshot,
        ranking: Ranking,
        similar: list[tuple[PassageKey, float]],
        limit: int,
        per_file: int | None,
    ) -> dict[PassageKey, float]:
        """The lexical and the semantic (``similar``) best passages, their scores
        fused. With one passage a file, files are fused (a file's best passage by words
        and its best by meaning may differ), each shown by its best passage by words."""
        from . import semantic

        lexical = snapshot.search(ranking.request(max(limit, LEXICAL_CANDIDATES), per_file))
        if per_file != 1:
            return semantic.fuse(lexical, similar)
        shown = {key.path: key for key, _score in reversed(similar)}
        shown.update({key.path: key for key, _score in lexical})
        files = semantic.fuse([(k.path, v) for k, v in lexical], [(k.path, v) for k, v in similar])
        return {shown[path]: value for path, value in files.items()}

    def _query_vector(self, text: str) -> Any:
        import numpy

        vector = numpy.asarray(self._embedder.embed([text]), dtype=numpy.float32)[0]
        norm = float(numpy.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def suggest(self, text: str) -> str | None:
        from . import _spelling

        return _spelling.suggest(text, self.engine.snapshot())

    def passage_at(self, path: str, line: int) -> Passage:
        for stored in self.engine.snapshot().passages_of(path):
            if stored.line <= line <= stored.end_line:
                return to_passage(stored, 0.0, (), self.config.highlight, self.config.language)
        raise PassageNotFoundError(f"no indexed passage at {path}:{line}")

    def similar(self, passage: Passage, *, limit: int) -> Results:
        snapshot = self.engine.snapshot()
        ranking = Ranking(similar_plan(passage.text, snapshot))
        hits = snapshot.search(ranking.request(limit + 1))
        own = PassageKey(passage.path, passage.start)
        return self._passages(snapshot, [h for h in hits if h[0] != own][:limit], ranking)

    def explain(self, text: str, passage: Passage) -> Explanation:
        snapshot = self.engine.snapshot()
        key = PassageKey(passage.path, passage.start)
        if snapshot.fetch([key]) == [None]:
            raise PassageNotFoundError(f"no indexed passage at {passage.path}:{passage.line}")
        ranking = self._ranking(snapshot, text, strict=False)
        scored = ranking.plan.scored + ranking.lent
        word_of = {term: word.text for word in ranking.plan.words for term in word.terms}
        scores = tuple(
            TermScore(
                word_of.get(term, ""),
                term,
                part.frequency,
                part.idf,
                weight,
                part.score + part.context_score,
                part.context_frequency,
                part.context_score,
            )
            for (term, weight), part in zip(scored, snapshot.explain(scored, key), strict=True)
        )
        bonus = snapshot.bonus(ranking.plan.bonus, key)
        if self._vectors is None:
            return Explanation(sum(s.score for s in scores) + bonus, scores, bonus)
        # Fused as a search of a page of passages fuses them.
        fused = self._fusion(snapshot, ranking, self._similar(text, 1, None), 1, None)
        cosine = self._vectors.similarity(self._query_vector(text), key.path, key.start)
        return Explanation(fused.get(key, 0.0), scores, bonus, cosine)

    def _ranking(self, snapshot: Snapshot, text: str, strict: bool) -> Ranking:
        key = (text, strict, snapshot)
        last: tuple[object, Ranking] | None = getattr(self._last, "ranked", None)
        if last is not None and last[0] == key:
            return last[1]
        ranking = rank(snapshot, text, strict=strict, feedback=self.config.feedback)
        self._last.ranked = (key, ranking)
        return ranking

    def _passages(
        self, snapshot: Snapshot, hits: list[tuple[PassageKey, float]], ranking: Ranking
    ) -> Results:
        stored = snapshot.fetch([key for key, _score in hits])
        marker = self.config.highlight
        passages = [
            to_passage(found, score, ranking.plan.words, marker, self.config.language)
            for found, (_key, score) in zip(stored, hits, strict=True)
            if isinstance(found, StoredPassage)
        ]
        return Results(passages, snapshot.missing)

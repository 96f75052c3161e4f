"""The read side of an index: query text -> plan -> engine search -> passages out.

Every search reads one ``Snapshot`` of the engine from start to end, so it sees one
committed state even while another thread or process writes.
"""

from __future__ import annotations

import threading

import attrs

from ._config import Config
from ._results import Explanation, Passage, TermScore, to_passage
from .engine import Engine, PassageKey, Search, Snapshot, StoredPassage
from .errors import PassageNotFoundError
from .query import Plan, is_plain, parse, plain_plan, similar_plan, tree_plan
from .ranking import FEEDBACK_FILES, lent_terms


@attrs.frozen
class Ranking:
    """How a query is ranked: its plan, and the words feedback lends it."""

    plan: Plan
    lent: tuple[tuple[str, float], ...] = ()

    def request(self, limit: int, per_file: int | None = None) -> Search:
        return Search(
            self.plan.match, self.plan.scored, self.lent, limit, per_file, self.plan.bonus
        )


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


class Searcher:
    """Searches one engine with one set of settings; any thread may use it."""

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config
        # The last query ranked in each thread: explaining its passages one by one
        # (``--explain``) ranks it once, not once a passage.
        self._last = threading.local()

    def search(self, text: str, *, limit: int, strict: bool, per_file: int | None) -> list[Passage]:
        snapshot = self.engine.snapshot()
        ranking = self._ranking(snapshot, text, strict)
        return self._passages(snapshot, snapshot.search(ranking.request(limit, per_file)), ranking)

    def suggest(self, text: str) -> str | None:
        from . import _spelling

        return _spelling.suggest(text, self.engine.snapshot())

    def passage_at(self, path: str, line: int) -> Passage:
        for stored in self.engine.snapshot().passages_of(path):
            if stored.line <= line <= stored.end_line:
                return to_passage(stored, 0.0, (), self.config.highlight)
        raise PassageNotFoundError(f"no indexed passage at {path}:{line}")

    def similar(self, passage: Passage, *, limit: int) -> list[Passage]:
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
        return Explanation(sum(s.score for s in scores) + bonus, scores, bonus)

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
    ) -> list[Passage]:
        stored = snapshot.fetch([key for key, _score in hits])
        marker = self.config.highlight
        return [
            to_passage(found, score, ranking.plan.words, marker)
            for found, (_key, score) in zip(stored, hits, strict=True)
            if isinstance(found, StoredPassage)
        ]

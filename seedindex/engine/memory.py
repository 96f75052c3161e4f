"""An engine that keeps its index in memory: for tests, and folders small enough to
index at every start (nothing is kept on disk, so each open builds it again).

A commit makes a new state from the passages that stay and the ones added; readers
keep the state they started with, so every search sees one commit.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import attrs

from .. import _analysis
from ..ranking import Corpus
from . import NewPassage, StoredPassage
from ._local import LocalSnapshot

__all__ = ["MemoryEngine", "create", "open"]


def open(folder: Path) -> MemoryEngine | None:
    """Nothing is kept on disk: there is never an index to open."""
    return None


def create(folder: Path) -> MemoryEngine:
    return MemoryEngine()


class _Record(NamedTuple):
    path: str
    title: str
    passage: NewPassage


@attrs.frozen
class _State:
    """One commit: the passages in order (a file's in file order), and their postings."""

    records: tuple[_Record, ...] = ()
    generation: int = 0
    positions: dict[str, dict[int, list[int]]] = attrs.field(factory=dict)
    titles: dict[str, dict[int, int]] = attrs.field(factory=dict)
    paths: dict[str, list[int]] = attrs.field(factory=dict)
    lengths: list[int] = attrs.field(factory=list)


def _state(records: tuple[_Record, ...], generation: int) -> _State:
    positions: defaultdict[str, dict[int, list[int]]] = defaultdict(dict)
    titles: defaultdict[str, dict[int, int]] = defaultdict(dict)
    paths: defaultdict[str, list[int]] = defaultdict(list)
    lengths = []
    for doc, (path, title, passage) in enumerate(records):
        text = f"{passage.text}\n{passage.context}" if passage.context else passage.text
        terms = _analysis.terms(text)
        for position, term in enumerate(terms):
            positions[term].setdefault(doc, []).append(position)
        for term in _analysis.terms(title):
            titles[term][doc] = titles[term].get(doc, 0) + 1
        paths[path].append(doc)
        lengths.append(len(terms))
    return _State(records, generation, dict(positions), dict(titles), dict(paths), lengths)


class _Postings:
    """The ``_local.Postings`` of one state."""

    def __init__(self, state: _State) -> None:
        self._state = state
        self._terms = {field: sorted(self._field(field)) for field in ("text", "title", "path")}
        self.corpus = Corpus(state.lengths, len(state.records))

    def _field(self, field: str) -> Collection[str]:
        if field == "text":
            return self._state.positions.keys()
        return self._state.titles.keys() if field == "title" else self._state.paths.keys()

    def terms(self, field: str, term: str) -> tuple[list[int], list[float]]:
        state = self._state
        if field == "path":
            docs = state.paths.get(term, [])
            return docs, [1.0] * len(docs)
        if field == "title":
            found = state.titles.get(term, {})
            return list(found), [float(n) for n in found.values()]
        postings = state.positions.get(term, {})
        return list(postings), [float(len(p)) for p in postings.values()]

    def live(self) -> range:
        return range(len(self._state.records))

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        terms = self._terms[field]
        return iter(terms[bisect.bisect_left(terms, start) :])

    def phrase(self, field: str, terms: tuple[str, ...], slop: int) -> set[int]:
        if field != "text":
            return set()
        postings = [self._state.positions.get(term, {}) for term in terms]
        candidates = set.intersection(*(set(p) for p in postings)) if postings else set()
        return {doc for doc in candidates if _in_order([p[doc] for p in postings], slop)}

    def path(self, doc: int) -> str:
        return self._state.records[doc].path

    def stored(self, doc: int) -> StoredPassage:
        path, _title, p = self._state.records[doc]
        return StoredPassage(path, p.start, p.end, p.line, p.end_line, p.text)


def _in_order(positions: Sequence[list[int]], slop: int) -> bool:
    """Whether each term's position can follow the previous one's by 1 to ``slop``."""
    reachable = set(positions[0])
    for following in positions[1:]:
        reachable = {p for p in following if any(0 < p - q <= slop for q in reachable)}
        if not reachable:
            return False
    return True


class MemoryEngine:
    """An index in memory (see ``seedindex.engine.Engine``)."""

    def __init__(self) -> None:
        self._state = _State()
        self._seen = self._state
        self._local = threading.local()
        self._commit = threading.Lock()

    def snapshot(self) -> LocalSnapshot:
        view: tuple[_State, LocalSnapshot] | None = getattr(self._local, "view", None)
        if view is None or view[0] is not self._seen:
            state = self._seen
            view = (state, LocalSnapshot(_Postings(state), state.generation))
            self._local.view = view
        return view[1]

    def generation(self) -> int:
        return self._state.generation

    def writer(self, *, files: int) -> MemoryWriter:
        return MemoryWriter(self)

    def refresh(self) -> None:
        self._seen = self._state

    def close(self) -> None:
        self._local = threading.local()

    def apply(self, deleted: set[str], added: list[_Record], *, replace_all: bool) -> None:
        with self._commit:
            state = self._state
            kept = () if replace_all else (r for r in state.records if r.path not in deleted)
            # A file's passages stay together, in file order, as a local engine's are.
            records = sorted([*kept, *added], key=lambda r: r.path)
            self._state = _state(tuple(records), state.generation + 1)


class MemoryWriter:
    """Changes gathered until ``commit`` (see ``seedindex.engine.EngineWriter``)."""

    def __init__(self, engine: MemoryEngine) -> None:
        self._engine = engine
        self._deleted: set[str] = set()
        self._added: list[_Record] = []

    def delete(self, path: str) -> None:
        self._deleted.add(path)
        self._added = [r for r in self._added if r.path != path]

    def add(self, path: str, title: str, passages: Iterable[NewPassage]) -> None:
        self._added.extend(_Record(path, title, passage) for passage in passages)

    def commit(self, *, replace_all: bool = False) -> None:
        self._engine.apply(self._deleted, self._added, replace_all=replace_all)

    def cancel(self) -> None:
        self._deleted, self._added = set(), []

"""An engine that keeps its index in memory: for tests, and folders small enough to
index at every start (nothing is kept on disk, so each open builds it again).

A commit makes a new state from the passages that stay and the ones added; readers
keep the state they started with, so every search sees one commit.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import attrs

from .. import _analysis
from .._config import Config
from ..ranking import Corpus
from . import NewDocument, NewPassage, PassageKey, StoredPassage
from ._local import LocalSnapshot, holding_all, in_order

__all__ = ["MemoryEngine", "create", "open"]


def open(folder: Path, config: Config) -> MemoryEngine | None:
    """Nothing is kept on disk: there is never an index to open."""
    return None


def create(folder: Path, config: Config) -> MemoryEngine:
    return MemoryEngine()


class _Record(NamedTuple):
    path: str
    passage: NewPassage
    # What is said of the whole file, on its first passage only ("" on the others).
    title: str
    tags: str
    words: tuple[str, ...]


_FIELDS = ("text", "context", "title", "section", "tag", "word")


@attrs.frozen
class _State:
    """One commit: the passages in order (a file's in file order), and their postings."""

    records: tuple[_Record, ...] = ()
    generation: int = 0
    # field -> term -> passage -> positions
    positions: dict[str, dict[str, dict[int, list[int]]]] = attrs.field(factory=dict)
    paths: dict[str, list[int]] = attrs.field(factory=dict)
    lengths: list[int] = attrs.field(factory=list)
    context_lengths: list[int] = attrs.field(factory=list)


def _state(records: tuple[_Record, ...], generation: int) -> _State:
    positions: dict[str, defaultdict[str, dict[int, list[int]]]] = {
        field: defaultdict(dict) for field in _FIELDS
    }
    paths: defaultdict[str, list[int]] = defaultdict(list)
    lengths: list[int] = []
    context_lengths: list[int] = []
    for doc, (path, passage, title, tags, words) in enumerate(records):
        values = (passage.text, passage.context, title, passage.section, tags)
        for field, value in zip(_FIELDS, values, strict=False):
            terms = _analysis.terms(value)
            for position, term in enumerate(terms):
                positions[field][term].setdefault(doc, []).append(position)
            if field == "text":
                lengths.append(len(terms))
            elif field == "context":
                context_lengths.append(len(terms))
        for word in words:
            positions["word"][word][doc] = [0]
        paths[path].append(doc)
    return _State(
        records,
        generation,
        {field: dict(terms) for field, terms in positions.items()},
        dict(paths),
        lengths,
        context_lengths,
    )


class _Postings:
    """The ``_local.Postings`` of one state."""

    def __init__(self, state: _State) -> None:
        self._state = state
        fields: dict[str, Collection[str]] = {"path": state.paths.keys()}
        fields.update({field: terms.keys() for field, terms in state.positions.items()})
        self._terms = {field: sorted(terms) for field, terms in fields.items()}
        self.corpus = Corpus(state.lengths, len(state.records), state.context_lengths)

    def terms(self, field: str, term: str) -> tuple[list[int], list[float]]:
        state = self._state
        if field == "path":
            docs = state.paths.get(term, [])
            return docs, [1.0] * len(docs)
        postings = state.positions.get(field, {}).get(term, {})
        return list(postings), [float(len(p)) for p in postings.values()]

    def count(self, field: str, term: str) -> int:
        return len(self.terms(field, term)[0])

    def live(self) -> range:
        return range(len(self._state.records))

    def terms_from(self, field: str, start: str) -> Iterator[str]:
        terms = self._terms.get(field, [])
        return iter(terms[bisect.bisect_left(terms, start) :])

    def phrase(
        self, field: str, terms: tuple[str, ...], slop: int, within: Collection[int] | None
    ) -> set[int]:
        field_positions = self._state.positions.get(field, {})
        postings = [field_positions.get(term, {}) for term in terms]
        candidates = holding_all([list(p) for p in postings])
        if within is not None:
            candidates.intersection_update(within)
        return {doc for doc in candidates if in_order([p[doc] for p in postings], slop)}

    def path(self, doc: int) -> str:
        return self._state.records[doc].path

    def keys(self, docs: Sequence[int]) -> list[PassageKey]:
        records = self._state.records
        return [PassageKey(records[doc].path, records[doc].passage.start) for doc in docs]

    def stored(self, doc: int) -> StoredPassage:
        path, p = self._state.records[doc][:2]
        return StoredPassage(path, p.start, p.end, p.line, p.end_line, p.text, p.section, p.page)


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

    def writer(self, *, files: int, size: int = 0) -> MemoryWriter:
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

    def add(self, document: NewDocument) -> None:
        for number, passage in enumerate(document.passages):
            if number:
                self._added.append(_Record(document.path, passage, "", "", ()))
            else:
                words = tuple(_analysis.written_words(document.text))
                tags = " ".join(document.tags)
                self._added.append(_Record(document.path, passage, document.title, tags, words))

    def commit(self, *, replace_all: bool = False) -> None:
        self._engine.apply(self._deleted, self._added, replace_all=replace_all)

    def cancel(self) -> None:
        self._deleted, self._added = set(), []

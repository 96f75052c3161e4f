"""The engine seam: what seedindex asks of a full-text engine, and the values it trades.

An engine stores passages and answers for them by ``PassageKey`` (a file's path and
the passage's start offset), never by a number of its own, so that a remote engine
can implement it without shipping every posting to the client. Reading goes through
a ``Snapshot``: one committed state of the index, which a search uses from start to
end. Engines are made by name (``open_engine``, ``create_engine``); each one's
module is imported only when asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import attrs

from .._config import ENGINES, Config
from ..query import Vocabulary
from ..query._tree import Node
from ..ranking import CONTEXT_WEIGHT


@attrs.frozen(order=True)
class PassageKey:
    """Which passage: its file (POSIX, relative to the seeds) and its start offset."""

    path: str
    start: int


@attrs.frozen
class StoredPassage:
    """A passage as the engine stores it: its text and where it sits."""

    path: str
    start: int
    end: int
    line: int
    end_line: int
    text: str
    section: str = ""
    page: int | None = None

    @property
    def key(self) -> PassageKey:
        return PassageKey(self.path, self.start)


@attrs.frozen
class NewPassage:
    """A passage to add: its place and text, and the words it is also found by."""

    start: int
    end: int
    line: int
    end_line: int
    text: str
    context: str  # its section's and document's titles and its file name's words
    section: str = ""
    page: int | None = None


@attrs.frozen
class NewDocument:
    """A file's passages to add, with what is said of the whole file."""

    path: str
    title: str
    tags: tuple[str, ...]
    passages: Iterable[NewPassage]
    #: The file's text, whose distinct words as written (``_analysis.written_words``)
    #: near spellings are found among: an engine reads them where it suits it (a
    #: worker process, say), not the process reading the folder.
    text: str = ""


@attrs.frozen
class Search:
    """What to search for: the passages ``match`` finds (None: any passage holding one
    of the ``scored`` terms in its text or context), scored by BM25 over ``scored`` and
    ``ranked`` terms, where ranked terms only reorder what the others found
    (pseudo-relevance feedback); the passages a ``bonus`` query matches (a phrase of
    the whole query, say) gain its score. Weights and bonuses are never negative: a
    search may skip passages that cannot reach the best."""

    match: Node | None
    scored: tuple[tuple[str, float], ...]
    ranked: tuple[tuple[str, float], ...] = ()
    limit: int = 10
    per_file: int | None = None
    bonus: tuple[tuple[Node, float], ...] = ()


@attrs.frozen
class TermPart:
    """One term's part in a passage's score: in its text, and in its context."""

    frequency: float
    idf: float
    score: float
    context_frequency: float = 0.0
    context_score: float = 0.0

    @classmethod
    def of(cls, in_text: float, tf: float, idf: float, score: float) -> TermPart:
        """The part of a term found ``in_text`` times in the text, of a frequency ``tf``
        with its context's occurrences counted at ``CONTEXT_WEIGHT``, that adds ``score``."""
        in_context = tf - in_text
        share = in_context / tf if tf else 0.0
        return cls(in_text, idf, score * (1 - share), in_context / CONTEXT_WEIGHT, score * share)


class Snapshot(Vocabulary, Protocol):
    """One committed state of an index, for one thread at a time. While ``deadline`` (a
    ``time.monotonic()`` value) is set, work past it raises ``SearchTimedOut``."""

    generation: int
    deadline: float | None
    #: The shards left out of this state (of a sharded index that answers in part).
    missing: tuple[str, ...]

    def search(self, request: Search) -> list[tuple[PassageKey, float]]:
        """The best passages and their scores: by score, then path, then offset."""

    def fetch(self, keys: Sequence[PassageKey]) -> list[StoredPassage | None]:
        """The stored passages of ``keys`` (None for a key it does not hold)."""

    def passages_of(self, path: str) -> list[StoredPassage]:
        """Every passage of a file, in file order."""

    def explain(self, scored: Sequence[tuple[str, float]], key: PassageKey) -> list[TermPart]:
        """Each scored term's part in the score of passage ``key``."""

    def bonus(self, bonus: Sequence[tuple[Node, float]], key: PassageKey) -> float:
        """What ``Search.bonus`` adds to the score of passage ``key``."""


class EngineWriter(Protocol):
    """Deletes and adds passages; nothing is visible to readers before ``commit``."""

    def delete(self, path: str) -> None: ...

    def add(self, document: NewDocument) -> None: ...

    def commit(self, *, replace_all: bool = False) -> None:
        """Publish the changes in one step; ``replace_all`` drops what was there before."""

    def cancel(self) -> None:
        """Drop what was written; safe after a commit that failed half-way."""


class Engine(Protocol):
    """An open index: snapshots to read, writers to change it."""

    def snapshot(self) -> Snapshot:
        """The calling thread's view of the last state this engine has seen."""

    def generation(self) -> int:
        """The number of the last commit, which every commit raises."""

    def writer(self, *, files: int, size: int = 0) -> EngineWriter:
        """A writer for a batch of about ``files`` changed files of ``size`` bytes."""

    def refresh(self) -> None:
        """Let the next snapshot see the last commit."""

    def close(self) -> None: ...


class EngineError(Exception):
    """A failure inside an engine, turned into a seedindex error by the caller."""


class CorruptEngineError(EngineError):
    """The engine's files cannot be opened (missing, damaged or of another version)."""


class SearchTimedOut(EngineError):
    """A search ran past its snapshot's ``deadline``; ``partial`` holds the best passages
    it had scored by then (maybe none)."""

    def __init__(self, partial: list[tuple[PassageKey, float]]) -> None:
        super().__init__("the search ran out of time")
        self.partial = partial


class EngineWriteError(EngineError):
    """A write failed as a whole (a writing process ended early, say): nothing is committed."""


class _EngineModule(Protocol):
    def open(self, folder: Path, config: Config) -> Engine | None: ...

    def create(self, folder: Path, config: Config) -> Engine: ...


def _module(kind: str) -> _EngineModule:
    module: _EngineModule = importlib.import_module(ENGINES[kind])
    return module


def open_engine(config: Config, folder: Path) -> Engine | None:
    """The engine ``config`` names, stored in ``folder`` (or where it says); None when
    there is none there.

    Raises CorruptEngineError when what is there cannot be read.
    """
    return _module(config.engine).open(folder, config)


def create_engine(config: Config, folder: Path) -> Engine:
    """An empty engine of the kind ``config`` names, in ``folder`` (made anew)."""
    return _module(config.engine).create(folder, config)


__all__ = [
    "ENGINES",
    "CorruptEngineError",
    "Engine",
    "EngineError",
    "EngineWriteError",
    "EngineWriter",
    "NewDocument",
    "NewPassage",
    "PassageKey",
    "Search",
    "SearchTimedOut",
    "Snapshot",
    "StoredPassage",
    "TermPart",
    "create_engine",
    "open_engine",
]

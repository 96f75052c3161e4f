"""A search's scores in arrays (numpy, when installed: ``seedindex[fast]``), for large
indexes: a term's postings are added to the scores in one step, not a passage at a time.

Element by element, the arithmetic is the dict's (``weight * tf / (tf + norm)``, added
in the same order), so the scores are the same to the last bit.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import numpy
    import numpy.typing as npt

    from ._bm25 import Corpus, TermPostings
    from ._topk import Match, Wanted

#: Passages from which arrays pay for what they cost to set up (and numpy's import).
ARRAYS_FROM = 5_000


@functools.cache
def _numpy() -> Any:
    """numpy, when installed (else None)."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def numpy_for(passages: int, least: int | None = None) -> Any:
    """numpy, for an index of ``passages``, when it is installed and they are ``least``
    (``ARRAYS_FROM``) or more; else None (scores are then kept in a dict)."""
    return _numpy() if passages >= (ARRAYS_FROM if least is None else least) else None


@attrs.frozen
class Columns:
    """A term's postings as arrays: passage numbers and frequencies."""

    ids: npt.NDArray[numpy.intp]
    frequencies: npt.NDArray[numpy.float64]

    @classmethod
    def of(cls, ids: Sequence[int], frequencies: Sequence[float]) -> Columns:
        np = _numpy()
        return cls(np.asarray(ids, dtype=np.intp), np.asarray(frequencies, dtype=np.float64))

    def peak(self, norms: npt.NDArray[numpy.float64]) -> float:
        """The most ``tf / (tf + norm)`` of the term's passages (``Corpus.peak``)."""
        if not len(self.ids):
            return 0.0
        tf = self.frequencies
        return float((tf / (tf + norms[self.ids])).max())


class ArrayTable:
    """The scores of the passages still in the running (``topk``'s table), in arrays
    as long as the index: a score, whether the passage is in, whether ``match`` refused
    it. A passage left out is set back to 0, as a dict would forget it."""

    def __init__(self, corpus: Corpus, into: dict[int, float], match: Match | None) -> None:
        assert corpus.arrays is not None
        np = self._np = _numpy()
        self._corpus = corpus
        self._norms = norms = corpus.arrays
        self._into = into
        self._match = match
        self._scores = np.zeros(len(norms))
        self._in = np.zeros(len(norms), dtype=bool)
        self._refused = np.zeros(len(norms), dtype=bool)
        self._listed: npt.NDArray[numpy.intp] = np.empty(0, dtype=np.intp)
        self._grown = False  # passages came in since ``_listed`` was made

    @property
    def _members(self) -> npt.NDArray[numpy.intp]:
        """The numbers of the passages in, in order."""
        if self._grown:
            self._listed, self._grown = self._np.flatnonzero(self._in), False
        return self._listed

    def score_all(self, term: TermPostings) -> None:
        ids, tf = _columns(term)
        self._scores[ids] += self._corpus.weight(term) * tf / (tf + self._norms[ids])
        self._in[ids] = True
        self._grown = True

    def add_held(self, term: TermPostings) -> None:
        ids, tf = _columns(term)
        held = self._in[ids]
        ids, tf = ids[held], tf[held]
        self._scores[ids] += self._corpus.weight(term) * tf / (tf + self._norms[ids])

    def admit(self, term: TermPostings) -> None:
        assert self._match is not None
        ids, _tf = _columns(term)
        fresh = ids[~self._in[ids] & ~self._refused[ids]]
        if len(fresh):
            taken = self._match(set(fresh.tolist()))
            self._refused[fresh] = True
            self.admit_docs(taken)
            self._refused[self._array(taken)] = False

    def admit_docs(self, docs: Collection[int]) -> None:
        if docs:
            self._in[self._array(docs)] = True
            self._grown = True

    def above(self, value: float, limit: int) -> bool:
        return int(self._np.count_nonzero(self._scores[self._members] > value)) >= limit

    def floor(self, wanted: Wanted) -> float:
        members = self._members
        limit = wanted.limit
        if len(members) < limit or limit < 1:
            return float("-inf")
        values = self._scores[members]
        if wanted.per_file is None:
            return float(self._np.partition(values, len(values) - limit)[len(values) - limit])
        count = limit
        while True:
            taken = min(count, len(values))
            best = self._np.argpartition(values, len(values) - taken)[len(values) - taken :]
            files: set[str] = set()
            for at in best[self._np.argsort(-values[best], kind="stable")].tolist():
                files.add(wanted.path_of(int(members[at])))
                if len(files) == limit:
                    return float(values[at])
            if taken == len(values):
                return float("-inf")
            count *= 4

    def drop_below(self, low: float) -> None:
        members = self._members
        kept = self._scores[members] >= low
        gone = members[~kept]
        self._in[gone] = False
        self._scores[gone] = 0.0
        self._listed = members[kept]

    def members(self) -> list[int]:
        found: list[int] = self._members.tolist()
        return found

    def add(self, docs: Collection[int], value: float) -> None:
        if docs:
            self._scores[self._array(docs)] += value

    def at_least(self, low: float) -> list[int]:
        members = self._members
        found: list[int] = members[self._scores[members] >= low].tolist()
        return found

    def close(self) -> None:
        members = self._members
        self._into.update(zip(members.tolist(), self._scores[members].tolist(), strict=True))

    def _array(self, docs: Collection[int]) -> npt.NDArray[numpy.intp]:
        found: npt.NDArray[numpy.intp] = self._np.fromiter(docs, self._np.intp, len(docs))
        return found


def _columns(
    term: TermPostings,
) -> tuple[npt.NDArray[numpy.intp], npt.NDArray[numpy.float64]]:
    assert term.columns is not None
    return term.columns.ids, term.columns.frequencies

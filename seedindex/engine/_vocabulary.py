"""What planning asks of an engine's terms, over any engine that can list and count
them: near spellings of a word, and the terms a pattern stands for.

An engine's snapshot subclasses ``TermVocabulary`` and says how its terms are
listed (``terms_from``, ``terms_starting``) and counted (``count``).
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from itertools import takewhile

from .. import _analysis
from ..query import tree as t
from . import SearchTimedOut

# Words whose near spellings a snapshot keeps.
_NEAR_WORDS = 1_000
# Terms of a pattern's expansion between two looks at the deadline.
_CHECK_EVERY = 256


class TermVocabulary(ABC):
    """Near spellings and pattern expansions over an engine's terms. While ``deadline``
    (a ``time.monotonic()`` value) is set, work past it raises ``SearchTimedOut``."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self._near: dict[tuple[str, int, int], list[str]] = {}

    @abstractmethod
    def count(self, field: str, term: str) -> int:
        """How many live passages hold ``term`` in ``field`` (files, for ``word``)."""

    @abstractmethod
    def terms_from(self, field: str, start: str) -> Iterator[str]:
        """The field's terms from ``start`` on, in order."""

    def terms_starting(self, field: str, prefix: str) -> Iterator[str]:
        """The field's terms that start with ``prefix``, in order."""
        return takewhile(lambda term: term.startswith(prefix), self.terms_from(field, prefix))

    def near(self, word: str, distance: int, prefix: int) -> list[str]:
        key = (word, distance, prefix)
        found = self._near.get(key)
        if found is None:
            if len(self._near) >= _NEAR_WORDS:
                self._near.clear()
            found = self._near[key] = self._near_words(word, distance, prefix)
        return found

    def _near_words(self, word: str, distance: int, prefix: int) -> list[str]:
        ranked: dict[str, tuple[int, int]] = {}  # word: (edits, -files)
        for found in self.terms_starting("word", word[:prefix]):
            # An edit changes the length by one at most: most words need no closer look.
            if abs(len(found) - len(word)) > distance:
                continue
            apart = edits(found, word, distance)
            holding = self.count("word", found) if apart <= distance else 0
            if holding:  # (in live files only)
                ranked[found] = (apart, -holding)
        return sorted(ranked, key=lambda w: (ranked[w], w))

    def expand(self, pattern: t.Pattern, limit: int) -> list[str]:
        found: list[str] = []
        for term in self._expansion(pattern):
            found.append(term)
            if len(found) >= limit:
                break
        return found

    def _in_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SearchTimedOut([])

    def _timed(self, items: Iterator[str]) -> Iterator[str]:
        """``items``, the deadline looked at every so often."""
        for number, item in enumerate(items):
            if not number % _CHECK_EVERY:
                self._in_time()
            yield item

    def _expansion(self, pattern: t.Pattern) -> Iterator[str]:
        if isinstance(pattern, t.Prefix):
            yield from self._timed(self.terms_starting(pattern.field, pattern.text))
        elif isinstance(pattern, t.Wildcard):
            literal = re.split(r"[*?]", pattern.pattern, maxsplit=1)[0]
            regex = re.compile(
                "".join(
                    ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.pattern
                ),
                re.DOTALL,
            )
            for term in self._timed(self.terms_starting(pattern.field, literal)):
                if regex.fullmatch(term):
                    yield term
        elif isinstance(pattern, t.Fuzzy):
            if pattern.field == "text":
                near = self.near(pattern.text, pattern.distance, pattern.prefix)
                yield from dict.fromkeys(_analysis.term(word) for word in near)
        else:
            terms = self._timed(self.terms_from(pattern.field, pattern.low or ""))
            yield from _in_range(terms, pattern)


def _in_range(terms: Iterator[str], span: t.Range) -> Iterator[str]:
    for term in terms:
        if span.high is not None and (
            term > span.high or (term == span.high and not span.include_high)
        ):
            return
        if term == span.low and not span.include_low:
            continue
        yield term


def edits(a: str, b: str, limit: int) -> int:
    """The Damerau-Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` when above it."""
    two_ago: list[int] = []
    one_ago: list[int] = []
    row: list[int] = [*range(1, len(b) + 1), 0]
    for x in range(len(a)):
        two_ago, one_ago, row = one_ago, row, [0] * len(b) + [x + 1]
        for y in range(len(b)):
            row[y] = min(one_ago[y] + 1, row[y - 1] + 1, one_ago[y - 1] + (a[x] != b[y]))
            if x and y and a[x] == b[y - 1] and a[x - 1] == b[y] and a[x] != b[y]:
                row[y] = min(row[y], two_ago[y - 2] + 1)
        if x > limit and min(row) > limit:
            return limit + 1
    return row[len(b) - 1]

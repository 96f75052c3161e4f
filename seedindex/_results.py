"""What a search answers: passages with their text, place, score and why they matched."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import attrs

from . import _analysis
from .engine import StoredPassage
from .query import QueryWord


@attrs.frozen
class Marking:
    """What marks a passage's words: the query's words, the marker, the language."""

    words: tuple[QueryWord, ...] = ()
    marker: tuple[str, str] = ("", "")
    language: str = "english"


@attrs.frozen
class Passage:
    """A passage of a document that matched a query.

    ``text`` is exactly the document's text from ``start`` to ``end`` (end
    exclusive): for text formats (plain text, Markdown, reST, AsciiDoc, Org) offsets
    into the file's decoded text, for the others (HTML, PDF, DOCX, ODT, EPUB) into the
    text extracted from it, which ``Index.text(path)`` gives. ``line`` and
    ``end_line`` are 1-based and inclusive; ``section`` is the heading path the passage
    sits under (``"Smart Pointers > Using Box<T>"``, or ``""``), ``page`` its 1-based
    page in a paged format (PDF), else None.

    ``highlights`` (the text with the query's words marked) and ``terms`` (the query's
    words the passage holds, as typed) are worked out when first read: a deep search
    (``limit=1000``) that wants the text alone does not pay for them.
    """

    path: str
    start: int
    end: int
    line: int
    end_line: int
    text: str
    score: float
    section: str = ""
    page: int | None = None
    marking: Marking = attrs.field(default=Marking(), repr=False)

    @cached_property
    def _matched(self) -> tuple[tuple[QueryWord, ...], str]:
        """The query words the passage holds, and its text with them marked."""
        with _analysis.using(self.marking.language):
            counts = _analysis.word_counts(self.text)
            term_of = _analysis.terms_of(counts)
            present = set(term_of.values())
            matched = tuple(w for w in self.marking.words if _holds(present, w))
            marked_terms = set().union(*(w.terms for w in matched))
            marked = {word: counts[word] for word, term in term_of.items() if term in marked_terms}
            spans = _analysis.places(self.text, marked)
        return matched, mark(self.text, spans, self.marking.marker)

    @property
    def highlights(self) -> str:
        return self._matched[1]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.text for w in self._matched[0]))

    def as_dict(self) -> dict[str, object]:
        """Its fields, highlights and terms, as plain values (for JSON)."""
        found = attrs.asdict(self, filter=lambda field, _value: field.name != "marking")
        return {**found, "highlights": self.highlights, "terms": list(self.terms)}


class Results(list[Passage]):
    """The passages a search found, best first (a list), and how they were found:
    ``missing_shards``, the shards a partial answer was made without
    (``Config(on_shard_error="partial")``; their passages, and their part in the
    scores' statistics, are missing)."""

    def __init__(
        self, passages: Iterable[Passage] = (), missing_shards: Iterable[str] = ()
    ) -> None:
        super().__init__(passages)
        self.missing_shards = tuple(missing_shards)


@attrs.frozen
class TermScore:
    """One query term's part in a passage's score (BM25)."""

    word: str  # as typed in the query; "" for a word lent by feedback
    term: str  # the index term it became
    frequency: float  # times the term is in the passage's text
    idf: float
    weight: float  # the query's weight for it: boost x times in the query
    score: float  # its whole part: in the text, and in the context
    #: Times the term is in the passage's context (its section's and document's
    #: titles, its file name), and the part of ``score`` that comes of it.
    context_frequency: float = 0.0
    context_score: float = 0.0


@attrs.frozen
class Explanation:
    """Why a passage scored as it did: ``score`` is the sum of the terms' scores and
    the ``bonus`` of a plain query's words standing together in the passage's text (or
    its section's or document's title) as in the query. With semantic ranking,
    ``semantic`` is the cosine of the query's and the passage's vectors, and ``score``
    the fused one (0.7 of the lexical score and 0.3 of the cosine, each scaled to [0, 1]
    over the query's candidates)."""

    score: float
    terms: tuple[TermScore, ...]
    bonus: float = 0.0
    semantic: float | None = None


def to_passage(
    hit: StoredPassage,
    score: float,
    words: tuple[QueryWord, ...],
    marker: tuple[str, str],
    language: str = "english",
) -> Passage:
    """The passage of a hit, to have the query words it holds marked."""
    return Passage(
        path=hit.path,
        start=hit.start,
        end=hit.end,
        line=hit.line,
        end_line=hit.end_line,
        text=hit.text,
        score=score,
        section=hit.section,
        page=hit.page,
        marking=Marking(words, marker, language),
    )


def _holds(present: set[str], word: QueryWord) -> bool:
    if word.whole:
        return bool(word.terms) and word.terms <= present
    return not word.terms.isdisjoint(present)


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def mark(text: str, spans: list[tuple[int, int]], marker: tuple[str, str]) -> str:
    """``text`` with each (start, end) span wrapped in the marker; adjacent spans stay
    apart, overlapping ones (the letter pairs of Chinese, say) are marked as one."""
    opening, closing = marker
    pieces = []
    position = 0
    for start, end in _joined(spans):
        pieces += [text[position:start], opening, text[start:end], closing]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)

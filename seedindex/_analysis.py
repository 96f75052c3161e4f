"""Turning text into index terms: the same steps for documents and for queries.

Words are runs of letters and digits, joined across apostrophes (``Iran’s``).
Each word is normalised (NFKC, case folded, accents removed, typographic
apostrophes made ASCII) and stemmed with the Snowball English stemmer, which
also drops the possessive ``'s``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator

import attrs
import Stemmer

# Longer "words" are data (hashes, base64), not language: they are not indexed.
MAX_WORD_CHARS = 64

_WORD = re.compile(r"\w+(?:['’ʼ‘]\w+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})
# Its own cache (10,000 words) would only hold words ``_TERMS`` holds already.
_STEMMER = Stemmer.Stemmer("english", 0)

# Snowball's English stop list, used only to thin out bag-of-words queries.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with you your yours
    yourself yourselves""".split()
)


@attrs.frozen
class Token:
    """One word of a text: its index term, its position and its characters."""

    term: str
    position: int
    start: int
    end: int


def tokens(text: str) -> Iterator[Token]:
    """Every indexable word of ``text``, with offsets into ``text``."""
    for position, (found, start, end) in enumerate(spans(text)):
        yield Token(found, position, start, end)


def spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) of every indexable word: ``tokens`` without the objects."""
    for match in _WORD.finditer(text):
        start, end = match.span()
        if end - start <= MAX_WORD_CHARS:
            yield _TERMS[match.group()], start, end


def word_terms(text: str) -> dict[str, str]:
    """Each distinct indexable word of ``text`` as typed, and its index term."""
    return {word: _TERMS[word] for word in set(words(text))}


def places(text: str, typed: Collection[str]) -> list[tuple[int, int]]:
    """(start, end) of every word of ``text`` typed as one of ``typed``."""
    if not typed:
        return []
    return [match.span() for match in _WORD.finditer(text) if match.group() in typed]


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order: ``spans`` without the offsets, for indexing."""
    return list(map(_TERMS.__getitem__, words(text)))


def words(text: str) -> list[str]:
    """The words of ``text`` as typed, in order."""
    found: list[str] = _WORD.findall(text)
    if max(map(len, found), default=0) > MAX_WORD_CHARS:  # rare: test before filtering
        found = [word for word in found if len(word) <= MAX_WORD_CHARS]
    return found


# Words as typed whose terms are kept, in each of the cache's two generations: the
# few thousand words that make most of any text stay, and the cache (about 140 bytes a
# word, in each indexing process) stays the same size however many distinct words a
# large folder holds.
_CACHED_WORDS = 8192


class _TermCache(dict[str, str]):
    """Words as typed and their index terms, computed on first sight: a plain dict
    lookup a word (a third of an LRU cache's cost). When full, it becomes the previous
    generation: words seen again move back, unstemmed; the rest are dropped with it."""

    def __init__(self) -> None:
        super().__init__()
        self._previous: dict[str, str] = {}

    def __missing__(self, word: str) -> str:
        found = self._previous.get(word)
        if found is None:
            found = _STEMMER.stemWord(normalize(word))
        if len(self) >= _CACHED_WORDS:
            self._previous = {}  # dropped before the copy: never three generations at once
            self._previous = dict(self)
            self.clear()
        self[word] = found
        return found


_TERMS = _TermCache()


def term(word: str) -> str:
    """The index term of one word."""
    return _TERMS[word]


def normalize(word: str) -> str:
    """Case folded, accent free, NFKC text with ASCII apostrophes."""
    if word.isascii():  # most words: NFKC and case folding only lower their letters
        return word.lower()
    folded = unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


#: The stop words as index terms.
STOP_TERMS = frozenset(term(word) for word in STOP_WORDS)

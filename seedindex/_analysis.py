"""Turning text into index terms: the same steps for documents and for queries.

Words are runs of letters and digits, joined across apostrophes (``Iran’s``).
Each word is normalised (NFKC, case folded, accents removed, typographic
apostrophes made ASCII) and stemmed with the Snowball English stemmer, which
also drops the possessive ``'s``. Chinese, Japanese, Korean and Thai are written
without spaces between words: a run of their letters becomes its overlapping
pairs of letters (``救援车队`` -> ``救援 援车 车队``), so that any word inside it is
found, as a phrase of its pairs, with no dictionary.
"""

from __future__ import annotations

import contextvars
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import attrs
import Stemmer

from ._stopwords import STOP_WORDS

# Longer "words" are data (hashes, base64), not language: they are not indexed.
MAX_WORD_CHARS = 64

# Combining marks (accents written apart, vowel signs, Arabic harakat, kana voicing)
# and invisible joiners (zero-width space, non-joiner and joiner, soft hyphen, word
# joiner, byte order mark) belong to the word they stand in.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u0900-\u0963\u0966-\u0d7f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f"
)
_INVISIBLE = "\u00ad\u200b-\u200d\u2060\ufeff"
_LETTERS = rf"[\w{_MARKS}][\w{_MARKS}{_INVISIBLE}]*"
# Words are runs of letters (with their marks), joined across apostrophes; a symbol
# such as an emoji is a word of its own.
_SYMBOL = r"[\U0001F000-\U0001FAFF\u2600-\u27BF]\uFE0F?"
_WORD = re.compile(rf"{_LETTERS}(?:['’ʼ‘]{_LETTERS})*|{_SYMBOL}")
# The same words in an ASCII text (no marks, joiners, symbols or other apostrophes
# there), found in two thirds of the time.
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+(?:'[A-Za-z0-9_]+)*")
# Letters of scripts written without spaces, each with the marks that follow it.
_UNSPACED = (
    "\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_UNSPACED_LETTER_PATTERN = f"[{_UNSPACED}][{_MARKS}\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]*"


@functools.cache
def _unspaced() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(any letter, a letter with its marks, a run) of unspaced scripts: compiled when
    first needed (their ranges cost milliseconds at every start otherwise)."""
    return (
        re.compile(f"[{_UNSPACED}]"),
        re.compile(_UNSPACED_LETTER_PATTERN),
        re.compile(f"(?:{_UNSPACED_LETTER_PATTERN})+"),
    )


def _has_unspaced(text: str) -> bool:
    return not text.isascii() and _unspaced()[0].search(text) is not None


_FOLDED_CHARS = str.maketrans(
    {
        "’": "'",
        "ʼ": "'",
        "‘": "'",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\ufe0f": None,
        "\u0640": None,
    }
)
# Accents are folded only on letters of these scripts (below U+0530: Latin, Greek,
# Cyrillic; and Latin Extended Additional); elsewhere a mark is part of the letter
# (a Devanagari vowel sign, a kana voicing mark), except Arabic's optional harakat.
_FOLDED_BELOW = "\u0530"
_LATIN_EXTENDED = ("\u1e00", "\u1eff")
_HARAKAT = frozenset(chr(c) for c in [*range(0x064B, 0x0660), 0x0670])


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
    cache = _current().terms
    for word, start, end in _words(text):
        if end - start <= MAX_WORD_CHARS:
            yield cache[word], start, end


def _words(text: str) -> Iterator[tuple[str, int, int]]:
    """(word as typed, start, end) of every word of ``text``."""
    if not _has_unspaced(text):  # nearly every text: no run to cut in pairs
        for match in _word_pattern(text).finditer(text):
            yield match.group(), match.start(), match.end()
        return
    for match in _WORD.finditer(text):
        if _has_unspaced(match.group()):
            yield from _pairs(text, match.start(), match.end())
        else:
            yield match.group(), match.start(), match.end()


def _word_pattern(text: str) -> re.Pattern[str]:
    return _ASCII_WORD if text.isascii() else _WORD


def _pairs(text: str, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """A word holding letters of unspaced scripts: its other runs as words, each run of
    unspaced letters as its overlapping pairs (a lone letter as itself)."""
    position = start
    _any, letter, runs = _unspaced()
    for run in runs.finditer(text, start, end):
        if run.start() > position:
            yield text[position : run.start()], position, run.start()
        letters = [m.span() for m in letter.finditer(text, run.start(), run.end())]
        if len(letters) == 1:
            yield run.group(), run.start(), run.end()
        for (first, _), (_, second_end) in pairwise(letters):
            yield text[first:second_end], first, second_end
        position = run.end()
    if position < end:
        yield text[position:end], position, end


def word_counts(text: str) -> Counter[str]:
    """Each distinct indexable word of ``text`` as typed, and the times it is there."""
    return Counter(words(text))


def terms_of(typed: Collection[str]) -> dict[str, str]:
    """Each word as typed, and its index term."""
    listed = list(typed)
    return dict(zip(listed, map(_current().terms.__getitem__, listed), strict=True))


def written_words(text: str) -> list[str]:
    """The distinct words of ``text`` as written (normalised, not stemmed), sorted:
    what near spellings are looked for among."""
    # Lowered first, at once: normalising lowers ASCII words and nothing else.
    lowered = text.lower()
    # No word holds white space: each distinct run between spaces is read once (a book
    # repeats most of its runs: a sixth of its text is read).
    found = set(words(" ".join(set(lowered.split()))))
    if not lowered.isascii():
        found = {w if w.isascii() else normalize(w) for w in found}
    return sorted(w for w in found if len(w) > 1 and not w.isdigit() and " " not in w)


def places(text: str, typed: Mapping[str, int]) -> list[tuple[int, int]]:
    """(start, end) of every word of ``text`` typed as one of ``typed``, which gives
    each the times it is in the text (as ``word_counts`` has them)."""
    if not typed:
        return []
    if not _has_unspaced(text):
        found = _standing_alone(text, typed)
        if found is not None:
            return found
    return [(start, end) for word, start, end in _words(text) if word in typed]


# What joins a character before a word to it (a letter, a mark, an invisible joiner,
# an apostrophe), and what joins one after it (the same, an apostrophe only before a
# letter): more than joins a word in truth (see ``_standing_alone``).
_JOINS_BEFORE = re.compile(rf"[\w{_MARKS}{_INVISIBLE}'’ʼ‘]")
_JOINS_AFTER = re.compile(rf"[\w{_MARKS}{_INVISIBLE}]|['’ʼ‘][\w{_MARKS}]")
_SYMBOL_WORD = re.compile(_SYMBOL)


def _standing_alone(text: str, typed: Mapping[str, int]) -> list[tuple[int, int]] | None:
    """``places`` found by looking for the few words typed, not by reading every word:
    the places where one stands with nothing joined to it on either side. Those are
    words of the text; they are all of them when they are as many as the times the
    words are in the text (else None: a word stood beside an apostrophe, say)."""
    if any(map(_SYMBOL_WORD.match, typed)):  # a symbol is a word of its own: not so
        return None
    found = []
    for word in typed:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            alone = (start == 0 or not _JOINS_BEFORE.match(text, start - 1)) and not (
                _JOINS_AFTER.match(text, end)
            )
            if alone:
                found.append((start, end))
            start = text.find(word, end if alone else start + 1)
    if len(found) != sum(typed.values()):
        return None
    found.sort()
    return found


def terms(text: str) -> list[str]:
    """The index terms of ``text`` in order: ``spans`` without the offsets, for indexing."""
    return list(map(_current().terms.__getitem__, words(text)))


def words(text: str) -> list[str]:
    """The words of ``text`` as typed, in order."""
    found: list[str] = (
        [word for word, _start, _end in _words(text)]
        if _has_unspaced(text)
        else _word_pattern(text).findall(text)
    )
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

    def __init__(self, stemmer: Any) -> None:
        super().__init__()
        self._previous: dict[str, str] = {}
        self._stem = stemmer.stemWord

    def __missing__(self, word: str) -> str:
        found = self._previous.get(word)
        if found is None:
            found = self._stem(normalize(word))
        if len(self) >= _CACHED_WORDS:
            self._previous = {}  # dropped before the copy: never three generations at once
            self._previous = dict(self)
            self.clear()
        self[word] = found
        return found


def normalize(word: str) -> str:
    """Case folded NFKC text with ASCII apostrophes and no invisible joiners; accents
    folded on Latin, Greek and Cyrillic letters, Arabic harakat and tatweel dropped."""
    if word.isascii():  # most words: NFKC and case folding only lower their letters
        return word.lower()
    folded = unicodedata.normalize("NFKC", word.translate(_FOLDED_CHARS)).casefold()
    if folded.isascii():
        return folded
    kept: list[str] = []
    foldable = False
    for char in unicodedata.normalize("NFKD", folded):
        if not unicodedata.combining(char):
            foldable = char < _FOLDED_BELOW or _LATIN_EXTENDED[0] <= char <= _LATIN_EXTENDED[1]
            kept.append(char)
        elif not foldable and char not in _HARAKAT:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


class Language:
    """A language's stemmer (Snowball, through PyStemmer), stop words and term cache."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Its own cache (10,000 words) would only hold words ``terms`` holds already.
        self.terms = _TermCache(Stemmer.Stemmer(name, 0))
        self.stop_words = STOP_WORDS.get(name, frozenset())
        self.stop_terms = frozenset(self.terms[word] for word in self.stop_words)


#: The languages seedindex stems (Snowball's, by name).
LANGUAGES: tuple[str, ...] = tuple(sorted(Stemmer.algorithms()))
_LANGUAGES: dict[str, Language] = {}


def language(name: str) -> Language:
    """The analysis of language ``name`` (one of ``LANGUAGES``)."""
    found = _LANGUAGES.get(name)
    if found is None:
        found = _LANGUAGES[name] = Language(name)
    return found


# The language of the index being read or written: set by the index around each of
# its operations (``using``), so that documents and queries are analysed alike.
_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar(
    "seedindex_language", default="english"
)


def _current() -> Language:
    return language(_CURRENT.get())


@contextmanager
def using(name: str) -> Iterator[None]:
    """Analyse text as language ``name`` within the block."""
    language(name)  # (an unknown name fails here, not at the first word)
    token = _CURRENT.set(name)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def stop_terms() -> frozenset[str]:
    """The stop words of the current language, as index terms."""
    return _current().stop_terms


def stop_words() -> frozenset[str]:
    """The stop words of the current language, as written."""
    return _current().stop_words


def term(word: str) -> str:
    """The index term of one word."""
    return _current().terms[word]

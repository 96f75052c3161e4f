"""Splitting a document's text into passages that follow its own paragraphs.

Paragraphs are separated by blank lines. Inside a block of lines, a line longer
than ``_UNWRAPPED_LINE`` characters is a paragraph written on one line (files
written one paragraph per line), while runs of shorter lines are hard-wrapped
text and stay together. A paragraph of more than ``max_words`` words is split at
sentence ends; a passage never cuts a word.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import attrs

# Hard-wrapped prose keeps lines under about 80 characters; a line this long is a
# whole paragraph.
_UNWRAPPED_LINE = 200
# A run of this many characters without white space is cut anyway (it is no word).
_MAX_RUN = 10_000

# A first paragraph of at most this many words, followed by more, is the title.
_TITLE_WORDS = 20

# Paragraphs shorter than this many characters a word are counted the quick way.
_QUICK_CHARS_PER_WORD = 32

_LINE = re.compile(r"[^\n]*(?:\n|$)")
_WORD = re.compile(r"\S+")
_LONG_RUN = re.compile(rf"\S{{{_MAX_RUN + 1}}}")
_SENTENCE_END = re.compile(r"""[.!?…]["'’”)\]]*$""")


@attrs.frozen
class Span:
    """Where a passage sits: character offsets (end exclusive) and 1-based lines."""

    start: int
    end: int
    line: int
    end_line: int


def split(text: str, max_words: int) -> list[Span]:
    """The passages of ``text``, in order, never overlapping."""
    line_starts = _line_starts(text)
    spans = []
    for start, end in _paragraphs(text):
        for piece_start, piece_end in _limit_words(text, start, end, max_words):
            spans.append(
                Span(
                    piece_start,
                    piece_end,
                    bisect.bisect_right(line_starts, piece_start),
                    bisect.bisect_right(line_starts, piece_end - 1),
                )
            )
    return spans


def title(text: str, spans: list[Span]) -> str:
    """The document's title: a short first paragraph (or Markdown heading), else ''."""
    if len(spans) < 2:
        return ""
    first = text[spans[0].start : spans[0].end]
    if len(first.split()) > _TITLE_WORDS:
        return ""
    return first.lstrip("#").strip()


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each paragraph, trimmed of surrounding white space."""
    block: tuple[int, int] | None = None
    for match in _LINE.finditer(text):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            if block:
                yield block
            block = None
            if match.end() == len(text):
                break
            continue
        left = match.start() + len(line) - len(line.lstrip())
        right = match.start() + len(line.rstrip())
        if len(stripped) > _UNWRAPPED_LINE:
            if block:
                yield block
            yield left, right
            block = None
        else:
            block = (block[0], right) if block else (left, right)
        if match.end() == len(text):
            break
    if block:
        yield block


def _limit_words(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    """Split [start, end) at sentence ends so that no piece has more than max_words words.

    The words are walked one at a time, never listed: a paragraph of any size (a
    file hard-wrapped without blank lines) costs memory for its pieces only.
    """
    # Most paragraphs need no cut: tell them quickly (str.split and \S agree on spaces).
    if end - start <= max_words * _QUICK_CHARS_PER_WORD:
        paragraph = text[start:end]
        if len(paragraph.split()) <= max_words and not _LONG_RUN.search(paragraph):
            yield start, end
            return
    first = 0  # index of the current piece's first word
    first_start: int | None = None  # and where it starts (None: no word yet)
    last_sentence = -1  # index of the piece's last word that ends a sentence
    sentence_end = after_sentence = previous_end = start
    for index, word in enumerate(_WORD.finditer(text, start, end)):
        word_start, word_end = word.span()
        if word_end - word_start > _MAX_RUN:
            if first_start is not None:
                yield first_start, previous_end
            yield from _cut_run(word_start, word_end)
            first, first_start, last_sentence, previous_end = index + 1, None, -1, word_end
            continue
        if first_start is None:
            first_start = word_start
        if index == last_sentence + 1:
            after_sentence = word_start
        if index - first == max_words:
            if last_sentence >= first:
                yield first_start, sentence_end
                first, first_start = last_sentence + 1, after_sentence
            else:
                yield first_start, previous_end
                first, first_start = index, word_start
            last_sentence = -1
        if _SENTENCE_END.search(text, word_start, word_end):
            last_sentence, sentence_end = index, word_end
        previous_end = word_end
    if first_start is not None:
        yield first_start, previous_end


def _cut_run(start: int, end: int) -> Iterator[tuple[int, int]]:
    for piece_start in range(start, end, _MAX_RUN):
        yield piece_start, min(piece_start + _MAX_RUN, end)

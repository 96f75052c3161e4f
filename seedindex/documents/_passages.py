"""Cutting a document's blocks into passages of at most ``max_words`` words.

A block of prose longer than that is cut at sentence ends, a preformatted block
(code, a table, a list) at line ends; a passage never cuts a word, and never
spans two blocks. ``paragraphs`` is the rule for text without markup: paragraphs
are separated by blank lines, and inside a block of lines, a line longer than
``_UNWRAPPED_LINE`` characters is a paragraph written on one line (files written
one paragraph per line), while runs of shorter lines are hard-wrapped text and stay
together.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import attrs

from ._model import Block, Parsed

# Hard-wrapped prose keeps lines under about 80 characters; a line this long is a
# whole paragraph.
_UNWRAPPED_LINE = 200
# A run of this many characters without white space is cut anyway (it is no word).
_MAX_RUN = 10_000
# Paragraphs shorter than this many characters a word are counted the quick way.
_QUICK_CHARS_PER_WORD = 32

_LINE = re.compile(r"[^\n]*(?:\n|$)")
_WORD = re.compile(r"\S+")
_LONG_RUN = re.compile(rf"\S{{{_MAX_RUN + 1}}}")
_SENTENCE_END = re.compile(r"""[.!?…]["'’”)\]]*$""")


@attrs.frozen
class Span:
    """Where a passage sits: character offsets (end exclusive), 1-based lines, and the
    section and page of its block."""

    start: int
    end: int
    line: int
    end_line: int
    section: str = ""
    page: int | None = None
    preformatted: bool = False


def passages(document: Parsed, max_words: int) -> list[Span]:
    """The passages of ``document``, in order, never overlapping."""
    text = document.text
    line_starts = _line_starts(text)
    spans = []
    for block in document.blocks:
        cut = _limit_lines if block.preformatted else _limit_words
        for start, end in cut(text, block.start, block.end, max_words):
            spans.append(
                Span(
                    start,
                    end,
                    bisect.bisect_right(line_starts, start),
                    bisect.bisect_right(line_starts, end - 1),
                    block.section,
                    block.page,
                    block.preformatted,
                )
            )
    return spans


def split(text: str, max_words: int) -> list[Span]:
    """The passages of ``text`` read as text without markup."""
    return passages(Parsed(text, tuple(paragraphs(text))), max_words)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def paragraphs(text: str, start: int = 0, end: int | None = None) -> Iterator[Block]:
    """Each paragraph of ``text[start:end]``, trimmed of surrounding white space."""
    for left, right in _paragraph_spans(text, start, len(text) if end is None else end):
        yield Block(left, right)


def _paragraph_spans(text: str, start: int, stop: int) -> Iterator[tuple[int, int]]:
    block: tuple[int, int] | None = None
    for match in _LINE.finditer(text, start, stop):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            if block:
                yield block
            block = None
            if match.end() == stop:
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
        if match.end() == stop:
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


def _limit_lines(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    """Cut [start, end) at line ends so that no piece has more than max_words words (a
    line longer than that is cut as prose is)."""
    if (
        end - start <= max_words * _QUICK_CHARS_PER_WORD
        and len(text[start:end].split()) <= max_words
    ):
        yield start, end
        return
    piece_start = piece_end = -1
    words = 0
    for line in _LINE.finditer(text, start, end):
        count = len(line.group().split())
        if not count:
            continue
        left = line.start() + len(line.group()) - len(line.group().lstrip())
        right = line.start() + len(line.group().rstrip())
        if count > max_words:
            if piece_start >= 0:
                yield piece_start, piece_end
            yield from _limit_words(text, left, right, max_words)
            piece_start, words = -1, 0
            continue
        if piece_start >= 0 and words + count > max_words:
            yield piece_start, piece_end
            piece_start, words = -1, 0
        if piece_start < 0:
            piece_start = line.start()
        piece_end, words = right, words + count
        if line.end() == end:
            break
    if piece_start >= 0:
        yield piece_start, piece_end

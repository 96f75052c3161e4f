"""Text without markup: paragraphs, a short first paragraph as the title, and the
chapter lines of books (``CHAPTER 12. The Whale``) as sections."""

from __future__ import annotations

import re

from ._model import Block, Parsed
from ._passages import paragraphs

# A first paragraph of at most this many words, followed by more, is the title.
_TITLE_WORDS = 20
_CHAPTER = re.compile(
    r"(?:chapter|book|part|volume|act|scene|canto|letter)\s+(?:\d+|[ivxlcdm]+)\b[^\n]{0,80}",
    re.IGNORECASE,
)


def read(text: str) -> Parsed:
    found = list(paragraphs(text))
    blocks: list[Block] = []
    section = ""
    for block in found:
        line = text[block.start : block.end]
        if _CHAPTER.fullmatch(line):
            section = " ".join(line.split()).rstrip(".")
        else:
            blocks.append(Block(block.start, block.end, section) if section else block)
    return Parsed(text, tuple(blocks), title=title(text, found))


def title(text: str, blocks: list[Block]) -> str:
    """The document's title: a short first paragraph (or Markdown heading), else ''."""
    if len(blocks) < 2:
        return ""
    first = text[blocks[0].start : blocks[0].end]
    if len(first.split()) > _TITLE_WORDS:
        return ""
    return " ".join(first.lstrip("#").split())

"""Markdown: headings as section context (never passages of their own), fenced code,
tables and lists kept whole, YAML or TOML front matter read as metadata, and markup
that holds no words (HTML tags, ``{{#include ...}}`` lines) left out.

Parsed with markdown-it-py, whose block tokens carry their lines: every block is an
exact stretch of the file's text.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from ._front_matter import front_matter
from ._model import Block, Parsed, Unreadable
from ._sections import Sections, plain_heading

_LINE_END = re.compile(r"\r\n|\r|\n")
# Lines that are template or include directives (mdBook, Hugo, Jekyll) or a code
# fence's own lines, not text.
_DIRECTIVE_LINE = re.compile(r"\s*(?:\{\{.*?\}\}|\{%.*?%\}|<!--.*?-->|(?:```|~~~).*)\s*")
_TAG = re.compile(r"<[^>]*>|<!--.*?-->", re.DOTALL)
_WORDLESS = re.compile(r"[\W_]*")
_PREFORMATTED = {"fence", "code_block", "table_open", "bullet_list_open", "ordered_list_open"}
_PROSE = {"paragraph_open", "blockquote_open", "html_block"}

_PARSER: Any = None


def read(text: str) -> Parsed:
    meta, body_start = front_matter(text)
    line_starts = [0, *(m.end() for m in _LINE_END.finditer(text))]
    first_line = _line_of(line_starts, body_start)
    sections = Sections()
    blocks: list[Block] = []
    first_heading = ""
    tokens = _parser().parse(text[body_start:])
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        start, end = _span(text, line_starts, first_line + token.map[0], first_line + token.map[1])
        if start >= end:
            continue
        if token.type == "heading_open":
            heading = plain_heading(tokens[index + 1].content)
            sections.enter(int(token.tag[1:]), heading)
            first_heading = first_heading or heading
        elif (token.type in _PREFORMATTED or token.type in _PROSE) and _has_words(text[start:end]):
            preformatted = token.type in _PREFORMATTED
            blocks.append(Block(start, end, sections.path(), None, preformatted))
    title = meta.title or first_heading
    return Parsed(text, tuple(blocks), title=title, tags=meta.tags)


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        try:
            from markdown_it import MarkdownIt
        except ImportError as exc:  # a dependency: only a broken install lacks it
            raise Unreadable(f"Markdown support is missing ({exc})") from None
        # Inline markup is not needed: block tokens carry their lines, headings their text.
        _PARSER = MarkdownIt("commonmark").enable("table")
    return _PARSER


def _line_of(line_starts: list[int], offset: int) -> int:
    return bisect.bisect_right(line_starts, offset) - 1


def _span(text: str, line_starts: list[int], first: int, last: int) -> tuple[int, int]:
    """The characters of lines [first, last), without the white space around them
    (a preformatted block keeps its first line's indentation)."""
    start = line_starts[first] if first < len(line_starts) else len(text)
    end = line_starts[last] if last < len(line_starts) else len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and text[start] in "\r\n":
        start += 1
    return start, end


def _has_words(block: str) -> bool:
    """Whether anything but tags and directive lines is left of ``block``."""
    lines = [line for line in block.splitlines() if not _DIRECTIVE_LINE.fullmatch(line)]
    return not _WORDLESS.fullmatch(_TAG.sub(" ", "\n".join(lines)))

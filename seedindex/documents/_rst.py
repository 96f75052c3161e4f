"""reStructuredText: over- and underlined titles as sections, a field-list header
(a PEP's ``PEP:``, ``Title:``, ``Author:`` ...) as metadata, comments, targets and
directive lines left out, indented blocks (literal blocks, directive bodies) and
tables kept as they are written."""

from __future__ import annotations

import re

from ._model import Block, Parsed
from ._passages import paragraphs
from ._sections import Sections, plain_heading

_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1{2,}[ \t]*")
_FIELD = re.compile(r":?([A-Za-z][\w -]*?):[ \t]+(.*)")
_DIRECTIVE = re.compile(r"\.\.[ \t]+([\w:+-]+)::(.*)")
_OPTION = re.compile(r"[ \t]+:[\w -]+:.*")
_TABLE_RULE = re.compile(r"(?:\+[-=+]+\+|=+(?:[ \t]+=+)+)[ \t]*")
_ROLES = re.compile(r":[\w:-]+:`([^`<]*)(?:<[^>]*>)?`")


def read(text: str) -> Parsed:
    sections = Sections()
    styles: list[tuple[str, bool]] = []
    fields: dict[str, str] = {}
    blocks: list[Block] = []
    for number, paragraph in enumerate(paragraphs(text)):
        lines = text[paragraph.start : paragraph.end].splitlines()
        if number == 0 and _is_field_list(lines):
            fields = _fields(lines)
            continue
        heading = _heading(lines)
        if heading is not None:
            title, style, used = heading
            if style not in styles:
                styles.append(style)
            sections.enter(styles.index(style) + 1, title)
            rest = _after_lines(text, paragraph, used)
            if rest is not None:
                blocks.append(Block(*rest, sections.path()))
            continue
        block = _block(text, paragraph, lines)
        if block is not None:
            blocks.append(Block(block[0], block[1], sections.path(), None, block[2]))
    return Parsed(text, tuple(blocks), title=_title(fields))


def _is_field_list(lines: list[str]) -> bool:
    return (
        len(lines) >= 2
        and all(_FIELD.fullmatch(line) or line[:1].isspace() for line in lines)
        and not lines[0][:1].isspace()
    )


def _fields(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    key = ""
    for line in lines:
        field = _FIELD.fullmatch(line)
        if field and not line[:1].isspace():
            key = field.group(1).strip().lower()
            found[key] = field.group(2).strip()
        elif key:
            found[key] += " " + line.strip()
    return found


def _title(fields: dict[str, str]) -> str:
    """The header's title; a PEP's is its number and title."""
    title = fields.get("title", "")
    number = fields.get("pep", "")
    if number:
        return f"PEP {number}: {title}" if title else f"PEP {number}"
    return title


def _heading(lines: list[str]) -> tuple[str, tuple[str, bool], int] | None:
    """(title, style, lines used) when the paragraph starts with a section title."""
    overlined = (
        len(lines) >= 3 and _ADORNMENT.fullmatch(lines[0]) and _ADORNMENT.fullmatch(lines[2])
    )
    if overlined and lines[0][0] == lines[2][0] and lines[1].strip():
        return plain_heading(lines[1]), (lines[0][0], True), 3
    if len(lines) >= 2 and _ADORNMENT.fullmatch(lines[1]) and lines[0].strip():
        title = lines[0].rstrip()
        if not lines[0][:1].isspace() and len(lines[1].rstrip()) >= min(len(title), 3):
            return plain_heading(_ROLES.sub(r"\1", title)), (lines[1][0], False), 2
    return None


def _after_lines(text: str, paragraph: Block, used: int) -> tuple[int, int] | None:
    """The rest of a paragraph after its first ``used`` lines, if any."""
    position = paragraph.start
    for _ in range(used):
        position = text.find("\n", position, paragraph.end)
        if position < 0:
            return None
        position += 1
    while position < paragraph.end and text[position].isspace():
        position += 1
    return (position, paragraph.end) if position < paragraph.end else None


def _block(text: str, paragraph: Block, lines: list[str]) -> tuple[int, int, bool] | None:
    """(start, end, preformatted) of what a paragraph holds for passages, or None."""
    first = lines[0]
    if first.startswith(".."):
        directive = _DIRECTIVE.fullmatch(first)
        if directive is None:
            return None  # a comment or a target
        body = [i for i, line in enumerate(lines[1:], 1) if not _OPTION.fullmatch(line)]
        if not body:
            return None
        start = _line_start(text, paragraph.start, body[0])
        return start, paragraph.end, True
    starts_indented = paragraph.start > 0 and text[paragraph.start - 1] in " \t"
    preformatted = starts_indented or bool(_TABLE_RULE.fullmatch(first))
    start = _line_start(text, paragraph.start, 0) if preformatted else paragraph.start
    return start, paragraph.end, preformatted


def _line_start(text: str, position: int, lines_on: int) -> int:
    """The start of the line ``lines_on`` lines after the one holding ``position``."""
    start = text.rfind("\n", 0, position) + 1
    for _ in range(lines_on):
        start = text.index("\n", start) + 1
    return start

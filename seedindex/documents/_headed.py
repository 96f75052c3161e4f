"""AsciiDoc and Org: line-based formats whose headings open sections (``== Title``,
``** Title``), with delimited blocks (listings, source, tables) kept as written and
attribute, keyword, comment and drawer lines left out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from ._model import Block, Parsed
from ._sections import Sections, plain_heading

_LINE = re.compile(r"[^\n]*\n?")


@attrs.frozen
class _Syntax:
    heading: re.Pattern[str]  # group 1: the marks (their count is the level), 2: the title
    skipped: re.Pattern[str]  # lines that are markup only
    opening: re.Pattern[str]  # a delimited block's first line; group 1 names its end
    preformatted: re.Pattern[str]  # openings whose blocks are code or tables
    title: re.Pattern[str]  # group 1: the document title
    tags: re.Pattern[str]  # group 1: tags, separated by spaces, commas or colons


ASCIIDOC = _Syntax(
    heading=re.compile(r"(=+|#+)[ \t]+(.+?)[ \t]*(?:=+[ \t]*)?"),
    skipped=re.compile(
        r"//(?!/).*|:[\w-]+!?:.*|\[.*\]|\.[^ .\t].*|'{3,}|<{3,}|ifn?def::.*|endif::.*"
    ),
    opening=re.compile(r"(-{4,}|\.{4,}|\+{4,}|={4,}|\*{4,}|_{4,}|/{4,}|\|={3,})[ \t]*"),
    preformatted=re.compile(r"-{4,}|\.{4,}|\+{4,}|\|={3,}"),
    title=re.compile(r"=[ \t]+(.+)|:doctitle:[ \t]*(.+)"),
    tags=re.compile(r":keywords:[ \t]*(.+)"),
)
ORG = _Syntax(
    heading=re.compile(r"(\*+)[ \t]+(.+?)(?:[ \t]+:[\w@#%:]+:)?[ \t]*"),
    skipped=re.compile(
        r"#\+(?!begin_|BEGIN_)\w+:.*|#[ \t].*|#|:[\w-]+:.*|-{5,}|CLOSED:.*|SCHEDULED:.*|DEADLINE:.*"
    ),
    opening=re.compile(r"#\+(?:begin|BEGIN)_(\w+).*"),
    preformatted=re.compile(
        r"#\+(?:begin|BEGIN)_(?:src|SRC|example|EXAMPLE|table|TABLE|verse|VERSE)\b.*"
    ),
    title=re.compile(r"#\+(?:title|TITLE):[ \t]*(.+)"),
    tags=re.compile(r"#\+(?:filetags|FILETAGS|tags|TAGS):[ \t]*(.+)"),
)


def read_asciidoc(text: str) -> Parsed:
    return _read(text, ASCIIDOC)


def read_org(text: str) -> Parsed:
    return _read(text, ORG)


def _read(text: str, syntax: _Syntax) -> Parsed:
    sections = Sections()
    blocks: list[Block] = []
    title = ""
    tags: list[str] = []
    lines = _lines(text)
    prose: list[int] = []  # start and end of the paragraph being gathered

    def flush() -> None:
        if prose:
            blocks.append(Block(prose[0], prose[1], sections.path()))
            prose.clear()

    for start, _end, line in lines:
        stripped = line.strip()
        found_title = syntax.title.fullmatch(stripped)
        if found_title and not title:
            title = plain_heading(next(g for g in found_title.groups() if g))
        found_tags = syntax.tags.fullmatch(stripped)
        if found_tags:
            tags += [t for t in re.split(r"[\s,:]+", found_tags.group(1)) if t]
        heading = syntax.heading.fullmatch(stripped)
        if not stripped or heading or syntax.skipped.fullmatch(stripped):
            flush()
            if heading and not (syntax is ASCIIDOC and len(heading.group(1)) == 1):
                sections.enter(len(heading.group(1)), plain_heading(heading.group(2)))
            continue
        opening = syntax.opening.fullmatch(stripped)
        if opening:
            flush()
            closed = _delimited(lines, opening, syntax)
            comment = stripped.startswith("////") or stripped.lower().startswith("#+begin_comment")
            if closed is not None and closed[0] < closed[1] and not comment:
                kind = bool(syntax.preformatted.fullmatch(stripped))
                blocks.append(Block(closed[0], closed[1], sections.path(), None, kind))
            continue
        if prose:
            prose[1] = start + len(line.rstrip())
        else:
            prose[:] = [start + len(line) - len(line.lstrip()), start + len(line.rstrip())]
    flush()
    return Parsed(text, tuple(blocks), title=title, tags=tuple(dict.fromkeys(tags)))


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _LINE.finditer(text):
        if not match.group():
            return
        yield match.start(), match.end(), match.group().rstrip("\r\n")


def _delimited(
    lines: Iterator[tuple[int, int, str]], opening: re.Match[str], syntax: _Syntax
) -> tuple[int, int] | None:
    """Consume a delimited block's lines; (start, end) of its content."""
    if syntax is ASCIIDOC:
        fence = opening.group(1)
        closes = re.compile(re.escape(fence) + r"[ \t]*")
    else:
        closes = re.compile(
            r"#\+(?:end|END)_" + re.escape(opening.group(1)) + r"[ \t]*", re.IGNORECASE
        )
    first = last = -1
    for start, _end, line in lines:
        if closes.fullmatch(line.strip()):
            break
        if line.strip():
            first = start if first < 0 else first
            last = start + len(line.rstrip())
    return (first, last) if first >= 0 else None

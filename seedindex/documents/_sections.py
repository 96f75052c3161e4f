"""The heading path a block sits under, as headings of each level come and go."""

from __future__ import annotations

import re

SEPARATOR = " > "
_INLINE_MARKUP = re.compile(r"[*_]+|</?[A-Za-z][^>]*>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")


class Sections:
    """The open headings, by level."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    def enter(self, level: int, heading: str) -> None:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        if heading:
            self._open.append((level, heading))

    def path(self) -> str:
        return SEPARATOR.join(heading for _level, heading in self._open)


def plain_heading(markup: str) -> str:
    """A heading's words without inline markup: links keep their text, code spans
    (``Box<T>``) their characters."""
    pieces = markup.split("`")
    for number in range(0, len(pieces), 2):  # outside code spans
        text = _LINK.sub(lambda m: m.group(1) or m.group(2) or "", pieces[number])
        pieces[number] = _INLINE_MARKUP.sub("", text)
    return " ".join("".join(pieces).split()).strip(" #")

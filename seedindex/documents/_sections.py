"""The heading path a block sits under, as headings of each level come and go."""

from __future__ import annotations

import re

SEPARATOR = " > "
_INLINE_MARKUP = re.compile(r"[*_`]+|<[^>]*>")
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
    """A heading's words without inline markup: links keep their text."""
    text = _LINK.sub(lambda m: m.group(1) or m.group(2) or "", markup)
    return " ".join(_INLINE_MARKUP.sub("", text).split()).strip(" #")

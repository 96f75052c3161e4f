"""Text extracted from a file (HTML, Office, EPUB), built a block at a time: blocks are
separated by a blank line, and each knows its offsets and section."""

from __future__ import annotations

from ._model import Block, Parsed
from ._sections import Sections


class Extracted:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._blocks: list[Block] = []
        self.sections = Sections()

    def add(self, text: str, *, preformatted: bool = False, section: str | None = None) -> None:
        """Append a block as it is to be shown (nothing for a blank one), under the
        current section unless ``section`` is given."""
        if not text.strip():
            return
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        path = self.sections.path() if section is None else section
        self._blocks.append(Block(start, self._length, path, None, preformatted))

    def parsed(self, title: str) -> Parsed:
        return Parsed("".join(self._parts), tuple(self._blocks), title=title, extracted=True)

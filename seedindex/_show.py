"""How the command line shows passages: as grep users expect them.

On a terminal: the place in colour, prose wrapped to the width, matches marked in
colour. Piped: the place, then the passage as written, nothing added. With context
lines (``-A/-B/-C``) each passage is shown line by line, ``NN:`` for its own lines and
``NN-`` for the context, as grep does; a block that overlaps the one before it in the
same file goes on from where that one stopped. ``--json`` writes JSON lines with a
``type``: ``match``, ``explanation``, then one ``summary``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from seedindex import Explanation, Passage

#: What marks a match in colour (and nothing else when not in colour).
COLOR_MARKER = ("\x1b[1;31m", "\x1b[0m")
PLAIN_MARKER = ("", "")
_PATH, _LINE, _DIM, _RESET = "\x1b[35m", "\x1b[32m", "\x1b[2m", "\x1b[0m"

# Control characters of a document would drive the terminal (retitle it, hide text):
# they are shown as escapes. Tabs and newlines are white space.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lines that make a passage's layout part of its meaning: indented (code), table rows,
# list items, code fences.
_SHAPED_LINE = re.compile(r"^(?:[ \t]+\S|[|+]|[-*+] |\d+[.)] |```|~~~)", re.MULTILINE)


@attrs.frozen
class Style:
    color: bool  # a terminal: colours, and prose wrapped to its width
    before: int = 0  # context lines
    after: int = 0
    base: Path | None = None  # paths are shown relative to it (the current folder)


def printable(text: str) -> str:
    """``text`` safe for a terminal: Windows line ends as line ends, other control
    characters (a lone carriage return could hide what came before it) as escapes."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text.replace("\r\n", "\n"))


def _marked(passage: Passage) -> str:
    """The passage's highlights made printable, the colour markers kept."""
    pieces = re.split("(" + "|".join(map(re.escape, COLOR_MARKER)) + ")", passage.highlights)
    return "".join(p if p in COLOR_MARKER else printable(p) for p in pieces)


class Printer:
    """Shows a command's passages one after the other."""

    def __init__(self, style: Style, seeds: Path, text_of: Callable[[str], str]) -> None:
        self.style = style
        self.seeds = seeds
        self._text_of = text_of
        self._lines: tuple[str, list[str]] | None = None  # (path, its lines) last read
        self._last: tuple[str, int, int] | None = None  # (path, first, last line) last shown
        self._shown = False

    def shown_path(self, path: str) -> str:
        base = self.style.base
        full = self.seeds / path
        if base is not None and full.is_relative_to(base):
            return os.path.relpath(full, base)
        return path

    def text(self, passage: Passage) -> str:
        style = self.style
        where = self._paint(printable(self.shown_path(passage.path)), _PATH)
        where += ":" + self._paint(str(passage.line), _LINE)
        if passage.page is not None:
            where += f" (page {passage.page})"
        heading = f"  {self._paint(printable(passage.section), _DIM)}" if passage.section else ""
        header = f"{where}  {passage.score:.2f}{heading}"
        if style.before or style.after:
            return self._with_context(passage, header)
        self._last = None
        shown = _marked(passage)
        if style.color and not _keeps_shape(passage.text):
            width = max(40, shutil.get_terminal_size().columns)
            body = textwrap.fill(
                " ".join(shown.split()), width, initial_indent="    ", subsequent_indent="    "
            )
        else:  # as written: code, tables, lists, and anything piped
            body = textwrap.indent(textwrap.dedent(shown.expandtabs(4)), "    ")
        return f"{header}\n{body}\n"

    def json(self, passage: Passage) -> str:
        record: dict[str, Any] = {"type": "match", **passage.as_dict()}
        if self.style.before or self.style.after:
            lines = self._document_lines(passage.path)
            first = max(0, passage.line - 1 - self.style.before)
            record["before"] = lines[first : passage.line - 1]
            record["after"] = lines[passage.end_line : passage.end_line + self.style.after]
        return json.dumps(record, ensure_ascii=False)

    def _with_context(self, passage: Passage, header: str) -> str:
        lines = self._document_lines(passage.path)
        first = max(1, passage.line - self.style.before)
        last = min(len(lines), passage.end_line + self.style.after)
        previous = self._last
        goes_on = (
            previous is not None
            and previous[0] == passage.path
            and previous[1] <= first <= previous[2] + 1
        )
        if previous is not None and goes_on:  # the block before showed its first lines
            first = previous[2] + 1
            self._last = (passage.path, previous[1], max(last, previous[2]))
        else:
            self._last = (passage.path, first, last)
        separator = "--\n" if self._shown and not goes_on else ""
        self._shown = True
        marked = _marked(passage).split("\n")
        rows = []
        for number in range(first, last + 1):
            own = passage.line <= number <= passage.end_line
            text = marked[number - passage.line] if own else printable(lines[number - 1])
            rows.append(f"{self._paint(str(number), _LINE)}{':' if own else '-'} {text}")
        return f"{separator}{header}\n" + "".join(f"    {row}\n" for row in rows)

    def _document_lines(self, path: str) -> list[str]:
        """The lines of a document, read once for the passages of it that follow."""
        if self._lines is None or self._lines[0] != path:
            text = self._text_of(path).replace("\r\n", "\n")
            self._lines = (path, text.split("\n"))
        return self._lines[1]

    def _paint(self, text: str, color: str) -> str:
        return f"{color}{text}{_RESET}" if self.style.color else text


def _keeps_shape(text: str) -> bool:
    return "\n" in text and _SHAPED_LINE.search(text) is not None


def explanation_text(explanation: Explanation) -> str:
    rows = []
    for part in explanation.terms:
        label = f"{part.word} ({part.term})" if part.word else f"{part.term} (lent by feedback)"
        context = f", {part.context_frequency:g} in its headings or title" * bool(
            part.context_frequency
        )
        rows.append(
            f"      {part.score:6.2f}  {label}: {part.frequency:g} in passage{context}, "
            f"idf {part.idf:.2f}, query weight {part.weight:g}"
        )
    if explanation.bonus:
        rows.append(f"      {explanation.bonus:6.2f}  the words together, as in the query")
    return "\n".join(rows) + "\n"


def explanation_json(explanation: Explanation, passage: Passage) -> str:
    record = {"type": "explanation", "path": passage.path, "start": passage.start}
    return json.dumps({**record, **attrs.asdict(explanation)}, ensure_ascii=False)


def summary_json(passages: list[Passage], seconds: float, suggestion: str | None) -> str:
    files = len({p.path for p in passages})
    record = {
        "type": "summary",
        "passages": len(passages),
        "files": files,
        "elapsed_ms": round(seconds * 1000, 3),
        "suggestion": suggestion,
    }
    missing = getattr(passages, "missing_shards", ())
    if missing:  # a partial answer of a sharded index
        record["missing_shards"] = list(missing)
    return json.dumps(record, ensure_ascii=False)

"""HTML: the visible text, one block per paragraph, item, row or preformatted run;
headings as sections, ``<title>`` (else the first ``<h1>``) as the title, and
scripts, styles and the head left out. The document's text is the extracted text
(blocks separated by blank lines), which passage offsets point into."""

from __future__ import annotations

from html.parser import HTMLParser

from ._extracted import Extracted
from ._model import Parsed

_HIDDEN = frozenset({"script", "style", "head", "template", "noscript", "svg", "math"})
_BREAKS = frozenset(
    "p div section article header footer aside main nav blockquote figure figcaption "
    "form address fieldset details summary dl dt dd hr body html center".split()
)
_GROUPS = {"ul": "list", "ol": "list", "table": "table", "pre": "pre"}
_LINES = frozenset({"li", "tr", "br"})
_CELLS = frozenset({"td", "th"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def read(text: str) -> Parsed:
    extractor = _Extractor()
    extractor.feed(text)
    extractor.close()
    return extractor.parsed()


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out = Extracted()
        self._buffer: list[str] = []
        self._hidden = 0
        self._group: list[str] = []  # open lists, tables and pre, outermost first
        self._heading: tuple[int, list[str]] | None = None
        self._in_title = False
        self._title: list[str] = []
        self._first_h1 = ""

    # -- parser events ---------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            if tag != "head" or not self._hidden:
                self._hidden += tag not in _VOID
            return
        if tag == "title":
            self._in_title = True
        elif tag in _HEADINGS and not self._group:
            self._flush()
            self._heading = (_HEADINGS[tag], [])
        elif tag in _GROUPS:
            if not self._group:
                self._flush()
            self._group.append(_GROUPS[tag])
        elif tag in _LINES:
            self._buffer.append("\n")
        elif tag in _CELLS:
            self._buffer.append(" | ")
        elif tag in _BREAKS and not self._group:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._buffer.append("\n")
        elif tag in _BREAKS and not self._group:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            level, words = self._heading
            heading = " ".join("".join(words).split())
            self._heading = None
            self._out.sections.enter(level, heading)
            if level == 1 and not self._first_h1:
                self._first_h1 = heading
        elif tag in _GROUPS and self._group:
            kind = self._group.pop()
            if not self._group:
                self._flush(preformatted=True, verbatim=kind == "pre")
        elif tag in _LINES:
            self._buffer.append("\n")
        elif tag in _BREAKS and not self._group:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif self._hidden:
            return
        elif self._heading is not None:
            self._heading[1].append(data)
        else:
            self._buffer.append(data)

    # -- blocks ----------------------------------------------------------------

    def _flush(self, *, preformatted: bool = False, verbatim: bool = False) -> None:
        raw = "".join(self._buffer)
        self._buffer = []
        if verbatim:  # <pre>: its white space is its layout
            block = "\n".join(line.rstrip() for line in raw.split("\n")).strip("\n")
        elif preformatted:  # lists and tables: a line an item or a row
            block = "\n".join(" ".join(line.split()) for line in raw.split("\n") if line.strip())
        else:
            block = " ".join(raw.split())
        self._out.add(block, preformatted=preformatted)

    def parsed(self) -> Parsed:
        self._flush(preformatted=bool(self._group), verbatim=self._group[:1] == ["pre"])
        title = " ".join("".join(self._title).split()) or self._first_h1
        return self._out.parsed(title)

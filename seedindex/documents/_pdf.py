"""PDF, with pypdfium2 (the extra ``seedindex[pdf]``): each page's text, pages joined
by form feeds, passages never across a page, ``Passage.page`` 1-based. Pages whose
text is garbage (scanned, or fonts without a text map) are left out and counted; an
encrypted or broken file is refused with the reason."""

from __future__ import annotations

import re
import threading

from ._model import Block, Parsed, Unreadable
from ._passages import paragraphs

# Characters that are no text: controls (pdfium's U+0002 marks a hyphen it joined) and
# private-use code points, which broken fonts map glyphs to.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ue000-\uf8ff]")
_GARBAGE_SHARE = 0.1
# PDFium is not thread-safe: one document at a time in a process.
_PDFIUM = threading.Lock()


def read(data: bytes, max_bytes: int) -> Parsed:
    pages = _pages(data)
    parts: list[str] = []
    blocks: list[Block] = []
    length = 0
    unreadable = 0
    for number, raw in enumerate(pages, 1):
        text = _clean(raw)
        if _is_garbage(raw, text):
            unreadable += 1
            text = ""
        if number > 1:
            parts.append("\f")
            length += 1
        for block in paragraphs(text):
            blocks.append(Block(length + block.start, length + block.end, "", number))
        parts.append(text)
        length += len(text)
    if not blocks:
        reason = "no extractable text (scanned, or fonts without a text map)"
        raise Unreadable(reason if unreadable else "no text in any page")
    return Parsed("".join(parts), tuple(blocks), title="", extracted=True)


def _pages(data: bytes) -> list[str]:
    try:
        import pypdfium2
    except ImportError:
        raise Unreadable("PDF support is not installed (pip install 'seedindex[pdf]')") from None
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(bytes(data))
        except pypdfium2.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise Unreadable("encrypted PDF (a password is needed)") from None
            raise Unreadable(f"not a readable PDF ({exc})") from None
        try:
            pages = []
            for index in range(len(document)):
                page = document[index]
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return pages
        finally:
            document.close()


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "")
    return _CONTROL.sub(" ", text.replace("\f", "\n"))


def _is_garbage(raw: str, cleaned: str) -> bool:
    visible = len(raw.strip())
    return (
        visible > 0 and len(_CONTROL.findall(raw.replace("\x02", ""))) > _GARBAGE_SHARE * visible
    ) or (visible > 0 and not cleaned.strip())

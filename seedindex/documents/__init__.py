"""Documents: a file's text and its structure (title, sections, pages, tags), made by
one reader per format, and the passages cut from it.

Text formats (plain text, Markdown, reStructuredText, AsciiDoc, Org) keep the file's
own text, so every passage is ``file_text[start:end]``; the others (HTML, PDF, DOCX,
ODT, EPUB) give the text extracted from the file (``Parsed.extracted``), which
passage offsets point into.
"""

from __future__ import annotations

import importlib
import posixpath
from collections.abc import Callable
from typing import Any

import attrs

from ._decode import decode
from ._model import Block, Parsed, Unreadable
from ._passages import Span, passages, split
from ._sections import SEPARATOR as SECTION_SEPARATOR

__all__ = [
    "EXTENSIONS",
    "SECTION_SEPARATOR",
    "Block",
    "Parsed",
    "Span",
    "Unreadable",
    "decode",
    "parse",
    "passages",
    "split",
]

# Each format's reader, as (module, function): imported when a file of it is read.
_TEXT_READERS = {
    ".md": ("_markdown", "read"),
    ".markdown": ("_markdown", "read"),
    ".rst": ("_rst", "read"),
    ".adoc": ("_headed", "read_asciidoc"),
    ".asciidoc": ("_headed", "read_asciidoc"),
    ".org": ("_headed", "read_org"),
    ".html": ("_html", "read"),
    ".htm": ("_html", "read"),
    ".xhtml": ("_html", "read"),
}
_PLAIN = ("_plain", "read")
_BINARY_READERS = {
    ".pdf": ("_pdf", "read"),
    ".docx": ("_packaged", "read_docx"),
    ".odt": ("_packaged", "read_odt"),
    ".epub": ("_packaged", "read_epub"),
}
#: The file endings seedindex reads by default.
EXTENSIONS = (".txt", ".text", *_TEXT_READERS, *_BINARY_READERS)


def parse(path: str, data: bytes | bytearray, max_bytes: int) -> Parsed:
    """The document in ``data``, read by the reader of ``path``'s file ending (plain
    text for any other). Raises Unreadable saying why it cannot be read."""
    extension = posixpath.splitext(path)[1].lower()
    binary = _BINARY_READERS.get(extension)
    if binary is not None:
        read_binary: Callable[[bytes, int], Parsed] = _reader(binary)
        return read_binary(bytes(data), max_bytes)
    try:
        text, legacy = decode(data)
    except ValueError as exc:
        raise Unreadable(str(exc)) from None
    read_text: Callable[[str], Parsed] = _reader(_TEXT_READERS.get(extension, _PLAIN))
    document = read_text(text)
    return attrs.evolve(document, legacy_encoding=True) if legacy else document


def _reader(where: tuple[str, str]) -> Any:
    module = importlib.import_module(f"{__name__}.{where[0]}")
    return getattr(module, where[1])

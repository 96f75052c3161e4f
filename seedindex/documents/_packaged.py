"""Formats that are a zip of XML: DOCX and ODT (paragraphs, heading styles and
outline levels as sections, tables a row a line, the title from the document's
properties) and EPUB (its chapters in reading order, each read as HTML).

Read with the standard library only; every part is read with a size cap, so that a
small archive cannot expand into gigabytes (a zip bomb)."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from . import _html
from ._extracted import Extracted
from ._model import Parsed, Unreadable

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_OPF = "{http://www.idpf.org/2007/opf}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_HEADING_STYLE = re.compile(r"(?:heading|berschrift|titre|titolo|título)\s*(\d)", re.IGNORECASE)


class _Builder(Extracted):
    """The extracted text, a block at a time: prose with its white space collapsed."""

    def add(self, text: str, *, preformatted: bool = False, section: str | None = None) -> None:
        shaped = text.strip() if preformatted else " ".join(text.split())
        super().add(shaped, preformatted=preformatted, section=section)


def read_docx(data: bytes, max_bytes: int) -> Parsed:
    with _archive(data) as archive:
        body = _xml(archive, "word/document.xml", max_bytes)
        title = _core_title(archive, "docProps/core.xml", max_bytes)
    built = _Builder()
    first_title = ""
    for element in body.iter():
        if element.tag == f"{_W}tbl":
            rows = [
                " | ".join(_docx_text(c) for c in r.iter(f"{_W}tc"))
                for r in element.iter(f"{_W}tr")
            ]
            built.add("\n".join(rows), preformatted=True)
            element.clear()  # its paragraphs are read: not again below
        elif element.tag == f"{_W}p":
            text = _docx_text(element)
            style = element.find(f"{_W}pPr/{_W}pStyle")
            name = style.get(f"{_W}val", "") if style is not None else ""
            level = _HEADING_STYLE.search(name)
            if name.lower() == "title":
                first_title = first_title or " ".join(text.split())
            elif level:
                built.sections.enter(int(level.group(1)), " ".join(text.split()))
            else:
                built.add(text)
    return built.parsed(title or first_title)


def _docx_text(element: ElementTree.Element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
            parts.append(" ")
    return "".join(parts)


def read_odt(data: bytes, max_bytes: int) -> Parsed:
    with _archive(data) as archive:
        body = _xml(archive, "content.xml", max_bytes)
        title = _core_title(archive, "meta.xml", max_bytes)
    built = _Builder()
    for element in _odt_blocks(body):
        if element.tag == f"{_TEXT}h":
            level = int(element.get(f"{_TEXT}outline-level", "1") or 1)
            built.sections.enter(level, " ".join(_odt_text(element).split()))
        elif element.tag == f"{_TABLE}table":
            rows = [
                " | ".join(_odt_text(c) for c in r.iter(f"{_TABLE}table-cell"))
                for r in element.iter(f"{_TABLE}table-row")
            ]
            built.add("\n".join(rows), preformatted=True)
        else:
            built.add(_odt_text(element))
    return built.parsed(title)


def _odt_blocks(element: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Headings, paragraphs and tables in document order (lists and sections opened)."""
    for child in element:
        if child.tag in (f"{_TEXT}h", f"{_TEXT}p", f"{_TABLE}table"):
            yield child
        else:
            yield from _odt_blocks(child)


def _odt_text(element: ElementTree.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag in (f"{_TEXT}s", f"{_TEXT}tab", f"{_TEXT}line-break"):
            parts.append(" ")
        else:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def read_epub(data: bytes, max_bytes: int) -> Parsed:
    with _archive(data) as archive:
        container = _xml(archive, "META-INF/container.xml", max_bytes)
        rootfile = container.find(f".//{_CONTAINER}rootfile")
        if rootfile is None or not rootfile.get("full-path"):
            raise Unreadable("not a readable EPUB: its container names no package")
        package_path = rootfile.get("full-path", "")
        package = _xml(archive, package_path, max_bytes)
        title_element = package.find(f".//{_DC}title")
        title = " ".join((title_element.text or "").split()) if title_element is not None else ""
        hrefs = {item.get("id"): item.get("href", "") for item in package.iter(f"{_OPF}item")}
        built = _Builder()
        base = posixpath.dirname(package_path)
        for itemref in package.iter(f"{_OPF}itemref"):
            href = hrefs.get(itemref.get("idref"))
            if not href:
                continue
            chapter = _html.read(
                _part(archive, posixpath.join(base, href), max_bytes).decode("utf-8", "replace")
            )
            for block in chapter.blocks:
                built.add(
                    chapter.text[block.start : block.end],
                    preformatted=block.preformatted,
                    section=block.section or chapter.title,
                )
    return built.parsed(title)


def _archive(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(f"not a readable archive ({exc})") from None


def _part(archive: zipfile.ZipFile, name: str, max_bytes: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Unreadable(f"not a readable document: it has no {name}") from None
    if info.file_size > max_bytes:
        raise Unreadable(f"{name} would expand to {info.file_size} bytes, past the size limit")
    try:
        with archive.open(info) as handle:
            data = handle.read(max_bytes + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Unreadable(f"not a readable archive ({exc})") from None
    if len(data) > max_bytes:
        raise Unreadable(f"{name} expands past the size limit")
    return data


def _xml(archive: zipfile.ZipFile, name: str, max_bytes: int) -> ElementTree.Element:
    data = _part(archive, name, max_bytes)
    if b"<!ENTITY" in data:  # entity expansion (a "billion laughs") is refused, not risked
        raise Unreadable(f"{name} declares XML entities")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise Unreadable(f"{name} is not well-formed XML ({exc})") from None


def _core_title(archive: zipfile.ZipFile, name: str, max_bytes: int) -> str:
    try:
        properties = _xml(archive, name, max_bytes)
    except Unreadable:
        return ""
    found = properties.find(f".//{_DC}title")
    return " ".join((found.text or "").split()) if found is not None else ""

"""Small documents of the binary formats, made in the tests (no one's files committed)."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'


def _title(title: str) -> str:
    return f"<dc:title>{escape(title)}</dc:title>"


def _zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def docx(title: str, blocks: list[tuple[str, str]], table: list[list[str]] = ()) -> bytes:  # type: ignore[assignment]
    """A DOCX of (style, text) paragraphs (style "" for body text, "Heading1" ...)."""
    paragraphs = []
    for style, text in blocks:
        properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        paragraphs.append(f"<w:p>{properties}<w:r><w:t>{escape(text)}</w:t></w:r></w:p>")
    if table:
        rows = "".join(
            "<w:tr>"
            + "".join(f"<w:tc><w:p><w:r><w:t>{escape(c)}</w:t></w:r></w:p></w:tc>" for c in row)
            + "</w:tr>"
            for row in table
        )
        paragraphs.append(f"<w:tbl>{rows}</w:tbl>")
    body = f"<w:document {_W}><w:body>{''.join(paragraphs)}</w:body></w:document>"
    core = f"<cp:coreProperties {_DC} xmlns:cp='x'>{_title(title)}</cp:coreProperties>"
    return _zip({"word/document.xml": body, "docProps/core.xml": core})


def odt(title: str, blocks: list[tuple[int, str]]) -> bytes:
    """An ODT of (outline level, text) blocks: level 0 for a paragraph."""
    text_ns = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    items = [
        f'<text:h text:outline-level="{level}">{escape(t)}</text:h>'
        if level
        else f"<text:p>{escape(t)}</text:p>"
        for level, t in blocks
    ]
    content = (
        f"<office:document-content {office} {text_ns}><office:body><office:text>"
        f"{''.join(items)}</office:text></office:body></office:document-content>"
    )
    meta = (
        f"<office:document-meta {office} {_DC}><office:meta>{_title(title)}</office:meta>"
        "</office:document-meta>"
    )
    return _zip({"content.xml": content, "meta.xml": meta})


def epub(title: str, chapters: list[str]) -> bytes:
    """An EPUB whose chapters are the given XHTML bodies, in reading order."""
    container = (
        '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf"/></rootfiles></container>'
    )
    items = "".join(
        f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
        for i in range(len(chapters))
    )
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
    package = (
        f'<package xmlns="http://www.idpf.org/2007/opf"><metadata {_DC}>'
        f"<dc:title>{escape(title)}</dc:title></metadata>"
        f"<manifest>{items}</manifest><spine>{spine}</spine></package>"
    )
    parts = {"META-INF/container.xml": container, "OEBPS/content.opf": package}
    for i, body in enumerate(chapters):
        parts[f"OEBPS/c{i}.xhtml"] = f"<html><body>{body}</body></html>"
    return _zip(parts)


def pdf(pages: list[list[str]]) -> bytes:
    """A PDF of pages of lines of ASCII text, in Helvetica."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for lines in pages:
        stream = (
            "BT /F1 12 Tf 14 TL 72 720 Td "
            + " ".join(f"({line.replace('(', '').replace(')', '')}) Tj T*" for line in lines)
            + " ET"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content = len(objects)
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Contents {content} 0 R /Resources << /Font << /F1 {{font}} 0 R >> >> >>"
        )
        kids.append(len(objects))
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font = len(objects)
    objects = [o.replace("{font}", str(font)) for o in objects]
    objects[1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()

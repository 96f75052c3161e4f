"""What a reader makes of a file: its text, and the structure passages are made from."""

from __future__ import annotations

import attrs


@attrs.frozen
class Block:
    """A stretch of the text that passages are made from, and where it sits: the heading
    path it is under (``"Smart Pointers > Using Box<T>"``, or ``""``) and its page
    (1-based, for paged formats)."""

    start: int
    end: int
    section: str = ""
    page: int | None = None
    #: Code, a table or a list: cut only at line ends, and shown as it is written.
    preformatted: bool = False


@attrs.frozen
class Parsed:
    """A document as its reader understood it.

    ``text`` is what every offset points into: the file's own text for text formats,
    the text extracted from it for the others (``extracted``).
    """

    text: str
    blocks: tuple[Block, ...]
    title: str = ""
    tags: tuple[str, ...] = ()
    extracted: bool = False
    #: The text was not UTF-8 and was read as Windows-1252 (or Latin-1).
    legacy_encoding: bool = False


class Unreadable(Exception):
    """A file a reader cannot make a document of; the message says why."""

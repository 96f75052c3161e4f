"""Files to documents to passages: walking the seeds folder, reading files as text,
and splitting the text into passages that follow its own paragraphs."""

from ._files import Document, Skipped, SourceFile, check_root, decode, read, walk
from ._text import Span, split, title

__all__ = [
    "Document",
    "Skipped",
    "SourceFile",
    "Span",
    "check_root",
    "decode",
    "read",
    "split",
    "title",
    "walk",
]

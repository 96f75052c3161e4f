"""Test collections from ../shared/corpora written as seeds folders, for the benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
#: Where each benchmark keeps its latest result.
RESULTS = Path(__file__).resolve().parent / "results"


def documents(corpus: Path) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) of each document of a BEIR-format ``corpus.jsonl``."""
    with open(corpus / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield str(record["_id"]), record.get("title") or "", record.get("text") or ""


def write_seeds(corpus: Path, target: Path, scale: int = 1) -> int:
    """One file per document (title, a blank line, text); ``scale`` copies with distinct ids."""
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    for copy in range(scale):
        for doc_id, title, text in documents(corpus):
            name = f"{doc_id}.txt" if copy == 0 else f"{doc_id}-copy{copy}.txt"
            (target / name).write_text(f"{title}\n\n{text}\n", encoding="utf-8")
            written += 1
    return written


def write_large_files(corpus: Path, target: Path, copies: int = 8, files: int = 100) -> int:
    """A folder of a few large files, as a shelf of books is: ``copies`` of the
    collection's documents (each copy marked apart), cut into ``files`` runs in order."""
    target.mkdir(parents=True, exist_ok=True)
    texts = [f"{title}\n\n{text}" for _id, title, text in documents(corpus)]
    body = [f"{text}\n[copy {copy}]" for copy in range(copies) for text in texts]
    per_file = len(body) // files + 1
    for number in range(files):
        run = body[number * per_file : (number + 1) * per_file]
        (target / f"book-{number:03}.txt").write_text("\n\n".join(run), encoding="utf-8")
    return files


def doc_id(path: str) -> str:
    """The document id of a seeds file written by ``write_seeds``."""
    return path.rsplit("/", 1)[-1].removesuffix(".txt").split("-copy")[0]

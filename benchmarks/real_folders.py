"""Judged questions on real folders: is what the user wanted in the top 3?

The folders are public document sets fetched for the purpose (not committed):

- ``book``: the Rust book's Markdown (github.com/rust-lang/book, its ``src/``)
- ``peps``: the Python Enhancement Proposals in reST (github.com/python/peps, ``peps/``)
- ``shelf``: three Project Gutenberg novels as plain text (Moby-Dick 2701-0.txt as
  moby-dick.txt, Pride and Prejudice 1342-0.txt as pride-and-prejudice.txt, The
  Republic 1497.txt as the-republic.txt, from github.com/GITenberg)
- ``html``: the same three books as Gutenberg's HTML (moby-dick.htm, pride.htm,
  republic.htm)
- ``adoc``: Moby-Dick and Pride and Prejudice as GITenberg's AsciiDoc (book.asciidoc,
  as moby.asciidoc and pride.asciidoc)

Each question names the file the answer is in and, where one passage is wanted,
words that passage holds. Run::

    python benchmarks/real_folders.py book=/path/to/book/src peps=/path/to/peps ...

It prints, per folder, the rank of the first right passage of each question (``-``:
not in the top 10), how many are in the top 3, the build time and the index size.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import seedindex

# folder -> [(question, file pattern, words the passage must hold (lower case))]
JUDGED: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "book": [
        ("what is a smart pointer", r"ch15-00-smart-pointers", ()),
        ("recursive type with Box", r"ch15-01-box", ()),
        ("shadowing", r"ch03-01-variables", ("shadow",)),
        ("dangling references", r"ch04-02-references", ("dangling",)),
        ("string slices", r"ch04-03-slices", ("slice",)),
        ("match must be exhaustive", r"ch06-02-match", ("exhaustive",)),
        ("recoverable errors with Result", r"ch09-02-recoverable", ()),
        ("lifetime elision rules", r"ch10-03-lifetime", ("elision",)),
        ("closures capture their environment", r"ch13-01-closures", ("capture",)),
        ("publish a crate to crates.io", r"ch14-02-publishing", ()),
        ("Rc reference counting", r"ch15-04-rc", ()),
        ("RefCell interior mutability", r"ch15-05-interior", ()),
        ("spawn a thread with a move closure", r"ch16-01-threads", ("move",)),
        ("Send and Sync traits", r"ch16-04-extensible", ()),
        ("recursivly defined types", r"ch15-01-box", ("recursive",)),
    ],
    "peps": [
        ("PEP 8", r"pep-0008\.", ()),
        ("style guide for python code", r"pep-0008\.", ()),
        ("the zen of python", r"pep-0020\.", ()),
        ("assignment expressions walrus", r"pep-0572\.", ()),
        ("literal string interpolation f-strings", r"pep-0498\.", ()),
        ("type hints", r"pep-0484\.", ()),
        ("structural pattern matching tutorial", r"pep-0636\.", ()),
        ("data classes", r"pep-0557\.", ()),
        ("coroutines with async and await syntax", r"pep-0492\.", ()),
        ("making the global interpreter lock optional", r"pep-0703\.", ()),
        ("docstring conventions", r"pep-0257\.", ()),
        ("build system requirements pyproject.toml", r"pep-0518\.", ()),
    ],
    "shelf": [
        ("call me Ishmael", r"moby-dick", ("call me ishmael",)),
        ("what is justice", r"the-republic", ("what is justice",)),
        ("white whale", r"moby-dick", ("white whale",)),
        ("it is a truth universally acknowledged", r"pride", ("universally acknowledged",)),
        ("prisoners in an underground den", r"the-republic", ("underground den",)),
        ("ring of Gyges", r"the-republic", ("gyges",)),
        ("Ahab's ivory leg", r"moby-dick", ("ivory leg",)),
        ("the try-works", r"moby-dick", ("try-works",)),
        ("Pemberley", r"pride", ("pemberley",)),
        ("Queequeg's harpoon", r"moby-dick", ("queequeg", "harpoon")),
        ("Mr. Collins proposes to Elizabeth", r"pride", ("collins",)),
        ("until philosophers are kings", r"the-republic", ("philosophers", "kings")),
    ],
}
JUDGED["html"] = [
    (question, {"moby-dick": "moby", "pride": "pride", "the-republic": "republic"}[pattern], need)
    for question, pattern, need in JUDGED["shelf"]
]
JUDGED["adoc"] = [
    (question, {"moby-dick": "moby", "pride": "pride"}[pattern], need)
    for question, pattern, need in JUDGED["shelf"]
    if pattern != "the-republic"
]


def rank_of_right(
    passages: list[seedindex.Passage], pattern: str, need: tuple[str, ...]
) -> int | None:
    for rank, passage in enumerate(passages, 1):
        text = " ".join(passage.text.lower().split())
        if re.search(pattern, passage.path) and all(word in text for word in need):
            return rank
    return None


def measure(name: str, folder: Path, extensions: tuple[str, ...] | None) -> int:
    config = seedindex.Config(extensions=extensions) if extensions else seedindex.Config()
    with tempfile.TemporaryDirectory() as scratch:
        index_dir = Path(scratch) / "index"
        began = time.perf_counter()
        with seedindex.Index.open(folder, index_dir=index_dir, config=config) as ix:
            built = time.perf_counter() - began
            stats = ix.stats()
            right = 0
            print(f"\n## {name}: {stats.files} files, {stats.passages} passages")
            print("| question | rank | top 3 |\n|---|---|---|")
            for question, pattern, need in JUDGED[name]:
                rank = rank_of_right(ix.search(question, limit=10), pattern, need)
                right += rank is not None and rank <= 3
                mark = "yes" if rank is not None and rank <= 3 else "no"
                print(f"| {question} | {rank or '-'} | {mark} |")
            print(
                f"\n{right} of {len(JUDGED[name])} in the top 3; built in {built:.1f} s, "
                f"index {stats.size_bytes / 1e6:.1f} MB"
            )
        shutil.rmtree(index_dir, ignore_errors=True)
    return right


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", metavar="NAME=DIR", help=", ".join(JUDGED))
    parser.add_argument("--extensions", help="file endings to read (default: seedindex's)")
    args = parser.parse_args()
    extensions = tuple(args.extensions.split(",")) if args.extensions else None
    for item in args.folders:
        name, _, folder = item.partition("=")
        if name not in JUDGED:
            parser.error(f"no questions for {name!r}: one of {', '.join(JUDGED)}")
        measure(name, Path(folder), extensions)
    return 0


if __name__ == "__main__":
    sys.exit(main())

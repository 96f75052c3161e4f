"""Each format's reader: its structure (sections, title, tags, pages), what is left out
(markup, headings, front matter), and the offset contract as a property: every
passage is ``document.text[start:end]``, in order, never overlapping, and for text
formats the document's text is the file's own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedindex import Config, Index
from seedindex.documents import Parsed, Unreadable, parse, passages
from tests import formats
from tests.conftest import MakeCorpus

MARKDOWN = """\
---
title: Aid report
tags: [aid, convoy]
aliases:
  - relief
---
# Smart Pointers

A *pointer* is a general concept.
It wraps onto a second line.

{{#include ../listings/ch15/output.txt}}

<a id="here"></a>

```rust
fn main() {

    let b = Box::new(5);
}
```

| a | b |
|---|---|
| 1 | 2 |

## Using `Box<T>`

- first item
- second item

[ref]: https://example.com
"""

REST = """\
PEP: 8
Title: Style Guide for Python Code
Author: Guido van Rossum <guido@python.org>,
        Barry Warsaw <barry@python.org>
Status: Active


Introduction
============

This document gives coding conventions.

.. _target:

.. code-block:: python

    def f():
        return 1

Code Lay-out
============

Indentation
-----------

Use 4 spaces per indentation level.

.. This is a comment
   that goes on.
"""

ASCIIDOC = """\
= The Whale Book
:author: Herman
:keywords: whales, sea

== Loomings

Call me Ishmael.
Some years ago.

// a comment line

[source,python]
----
print("hi")

print("there")
----

=== A deeper part

The sea.
"""

ORG = """\
#+TITLE: Notes on Org
#+FILETAGS: :work:ideas:

* Projects
Plan the garden.

** Garden :outdoor:
#+BEGIN_SRC sh
ls -l

echo hi
#+END_SRC

Water the plants.
"""

HTML = """\
<!DOCTYPE html>
<html><head><title>The Manual</title><style>p { color: red }</style>
<script>var hidden = "script words";</script></head>
<body>
<h1>Getting started</h1>
<p>Install the <b>tool</b> &amp; run it.</p>
<h2>Options</h2>
<ul><li>one option</li><li>two options</li></ul>
<pre>  keep   this
    layout</pre>
<table><tr><th>name</th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table>
</body></html>
"""


def check_offsets(document: Parsed, max_words: int = 500) -> list[str]:
    """The passages' texts, after checking the offset contract."""
    spans = passages(document, max_words)
    previous_end = 0
    texts = []
    for span in spans:
        assert previous_end <= span.start < span.end <= len(document.text)
        text = document.text[span.start : span.end]
        assert text.strip()
        assert len(text.split()) <= max_words
        previous_end = span.end
        texts.append(text)
    return texts


def sections(document: Parsed) -> list[str]:
    return [block.section for block in document.blocks]


def test_markdown_headings_front_matter_fences_tables_and_markup() -> None:
    document = parse("book.md", MARKDOWN.encode(), 10**6)
    texts = check_offsets(document)
    assert document.text == MARKDOWN
    assert document.title == "Aid report"
    assert document.tags == ("aid", "convoy", "relief")
    assert texts[0] == "A *pointer* is a general concept.\nIt wraps onto a second line."
    assert texts[1] == "```rust\nfn main() {\n\n    let b = Box::new(5);\n}\n```"  # whole
    assert texts[2] == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert texts[3] == "- first item\n- second item"
    assert len(texts) == 4  # no heading, include, tag, front matter or link definition
    assert sections(document) == ["Smart Pointers"] * 3 + ["Smart Pointers > Using Box<T>"]


def test_markdown_title_is_the_first_heading_without_front_matter() -> None:
    document = parse("a.md", b"# Notes\n\nSome text.\r\n\r\n## Later\r\n\r\nMore.\r\n", 10**6)
    assert document.title == "Notes"
    assert check_offsets(document) == ["Some text.", "More."]
    assert sections(document) == ["Notes", "Notes > Later"]


def test_rest_header_sections_directives_and_comments() -> None:
    document = parse("pep-0008.rst", REST.encode(), 10**6)
    texts = check_offsets(document)
    assert document.title == "PEP 8: Style Guide for Python Code"
    assert texts == [
        "This document gives coding conventions.",
        "    def f():\n        return 1",
        "Use 4 spaces per indentation level.",
    ]
    assert sections(document) == ["Introduction", "Introduction", "Code Lay-out > Indentation"]
    assert document.blocks[1].preformatted


def test_asciidoc_title_sections_listings_and_comments() -> None:
    document = parse("whale.adoc", ASCIIDOC.encode(), 10**6)
    texts = check_offsets(document)
    assert document.title == "The Whale Book"
    assert document.tags == ("whales", "sea")
    assert texts == [
        "Call me Ishmael.\nSome years ago.",
        'print("hi")\n\nprint("there")',
        "The sea.",
    ]
    assert sections(document) == ["Loomings", "Loomings", "Loomings > A deeper part"]


def test_org_title_tags_headings_and_source_blocks() -> None:
    document = parse("notes.org", ORG.encode(), 10**6)
    texts = check_offsets(document)
    assert document.title == "Notes on Org"
    assert document.tags == ("work", "ideas")
    assert texts == ["Plan the garden.", "ls -l\n\necho hi", "Water the plants."]
    assert sections(document) == ["Projects", "Projects > Garden", "Projects > Garden"]


def test_html_visible_text_sections_and_preformatted_blocks() -> None:
    document = parse("manual.html", HTML.encode(), 10**6)
    texts = check_offsets(document)
    assert document.extracted
    assert document.title == "The Manual"
    assert texts == [
        "Install the tool & run it.",
        "one option\ntwo options",
        "  keep   this\n    layout",
        "| name | value\n| a | 1",
    ]
    assert "script words" not in document.text
    assert "color" not in document.text
    assert sections(document) == ["Getting started"] + ["Getting started > Options"] * 3


def test_docx_paragraphs_heading_styles_tables_and_title() -> None:
    data = formats.docx(
        "Annual report",
        [("Heading1", "Budget"), ("", "We spent less."), ("Heading2", "Travel"), ("", "Trains.")],
        [["item", "cost"], ["rail", "10"]],
    )
    document = parse("report.docx", data, 10**6)
    assert check_offsets(document) == ["We spent less.", "Trains.", "item | cost\nrail | 10"]
    assert document.title == "Annual report"
    assert sections(document) == ["Budget", "Budget > Travel", "Budget > Travel"]


def test_odt_outline_levels_and_title() -> None:
    data = formats.odt("Minutes", [(1, "Agenda"), (0, "Open the meeting."), (0, "Close it.")])
    document = parse("minutes.odt", data, 10**6)
    assert check_offsets(document) == ["Open the meeting.", "Close it."]
    assert document.title == "Minutes"
    assert sections(document) == ["Agenda", "Agenda"]


def test_epub_chapters_in_reading_order() -> None:
    data = formats.epub(
        "A Novel", ["<h1>One</h1><p>It was night.</p>", "<h1>Two</h1><p>Morning came.</p>"]
    )
    document = parse("novel.epub", data, 10**6)
    assert check_offsets(document) == ["It was night.", "Morning came."]
    assert document.title == "A Novel"
    assert sections(document) == ["One", "Two"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.docx", b"not a zip", "not a readable archive"),
        ("a.epub", formats.odt("x", []), "not a readable document: it has no META-INF"),
        ("a.odt", b"PK\x05\x06" + b"\0" * 18, "not a readable document: it has no content.xml"),
    ],
)
def test_broken_archives_say_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        parse(name, data, 10**6)


def test_an_archive_part_expanding_past_the_cap_is_refused() -> None:
    data = formats.docx("t", [("", "x" * 5000)])
    with pytest.raises(Unreadable, match="size limit"):
        parse("bomb.docx", data, 1000)


needs_pdf = pytest.mark.skipif(
    importlib.util.find_spec("pypdfium2") is None, reason="the pdf extra is not installed"
)


@needs_pdf
def test_pdf_pages_are_numbered_and_passages_never_cross_them() -> None:
    data = formats.pdf([["Whales are mammals.", "They breathe air."], ["Page two speaks."]])
    document = parse("paper.pdf", data, 10**6)
    texts = check_offsets(document)
    assert [b.page for b in document.blocks] == [1, 2]
    assert texts == ["Whales are mammals.\nThey breathe air.", "Page two speaks."]
    assert document.text.count("\f") == 1


@needs_pdf
@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"%PDF-1.4\nbroken", "not a readable PDF"), (formats.pdf([[]]), "no text in any page")],
)
def test_broken_or_empty_pdfs_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        parse("bad.pdf", data, 10**6)


def test_pdf_without_the_extra_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pdfium(name: str, *args: object, **kwargs: object) -> object:
        if name == "pypdfium2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pdfium)
    with pytest.raises(Unreadable, match=r"seedindex\[pdf\]"):
        parse("a.pdf", b"%PDF-1.4", 10**6)


def test_plain_text_chapters_are_sections_not_passages() -> None:
    text = (
        "Moby Dick\n\nCHAPTER 1. Loomings.\n\nCall me Ishmael.\n\n"
        "CHAPTER 2. The Carpet-Bag.\n\nI stuffed a shirt.\n"
    )
    document = parse("moby.txt", text.encode(), 10**6)
    assert check_offsets(document) == ["Moby Dick", "Call me Ishmael.", "I stuffed a shirt."]
    assert sections(document) == ["", "CHAPTER 1. Loomings", "CHAPTER 2. The Carpet-Bag"]
    assert document.title == "Moby Dick"


# -- the offset contract, as a property of every text format -----------------------

_WORDS = st.text(alphabet="abcdeé车 *_`<>#=-|.:", min_size=1, max_size=12)
_LINES = st.lists(_WORDS, min_size=1, max_size=6).map(" ".join)
_PIECES: dict[str, st.SearchStrategy[str]] = {
    "md": st.one_of(
        _LINES,
        _LINES.map(lambda s: "# " + s),
        _LINES.map(lambda s: "## " + s),
        _LINES.map(lambda s: f"```\n{s}\n\n{s}\n```"),
        _LINES.map(lambda s: f"- {s}\n- {s}"),
        _LINES.map(lambda s: f"| {s} |\n|---|\n| x |"),
        st.just("{{#include x.rs}}"),
        st.just("<a id='x'></a>"),
    ),
    "rst": st.one_of(
        _LINES,
        _LINES.map(lambda s: f"{s.strip() or 'T'}\n{'=' * max(3, len(s.strip()))}"),
        _LINES.map(lambda s: f".. code-block::\n\n    {s}"),
        _LINES.map(lambda s: f".. {s}"),
        _LINES.map(lambda s: f"    {s}"),
    ),
    "adoc": st.one_of(
        _LINES,
        _LINES.map(lambda s: "== " + s),
        _LINES.map(lambda s: f"----\n{s}\n\n{s}\n----"),
        _LINES.map(lambda s: "// " + s),
    ),
    "org": st.one_of(
        _LINES,
        _LINES.map(lambda s: "* " + s),
        _LINES.map(lambda s: f"#+BEGIN_SRC\n{s}\n#+END_SRC"),
    ),
    "txt": st.one_of(_LINES, _LINES.map(lambda s: "CHAPTER 3. " + s)),
}


@pytest.mark.parametrize("extension", sorted(_PIECES))
def test_every_passage_is_the_files_own_text_at_its_offsets(extension: str) -> None:
    separators = st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\n\n"])

    @given(st.lists(st.tuples(_PIECES[extension], separators), max_size=12), st.integers(1, 8))
    def check(pieces: list[tuple[str, str]], max_words: int) -> None:
        text = "".join(piece + separator for piece, separator in pieces)
        document = parse(f"doc.{extension}", text.encode(), 10**6)
        assert document.text == text
        check_offsets(document, max_words)

    check()


def test_every_html_passage_is_the_extracted_text_at_its_offsets() -> None:
    tags = st.sampled_from(["p", "h1", "h2", "li", "pre", "div", "td", "script", "b"])

    @given(st.lists(st.tuples(tags, _LINES), max_size=12), st.integers(1, 8))
    def check(pieces: list[tuple[str, str]], max_words: int) -> None:
        from html import escape

        body = "".join(f"<{tag}>{escape(text)}</{tag}>" for tag, text in pieces)
        check_offsets(
            parse("page.html", f"<html><body>{body}</body></html>".encode(), 10**6), max_words
        )

    check()


def test_every_passage_of_an_office_or_epub_file_is_the_extracted_text_at_its_offsets() -> None:
    styles = st.sampled_from(["", "", "Heading1", "Heading2", "Title"])

    @given(st.lists(st.tuples(styles, _LINES), max_size=10), st.integers(1, 8))
    def check(blocks: list[tuple[str, str]], max_words: int) -> None:
        check_offsets(parse("a.docx", formats.docx("t", blocks), 10**6), max_words)
        levels = [(int(style[-1]) if style[-1:].isdigit() else 0, text) for style, text in blocks]
        check_offsets(parse("a.odt", formats.odt("t", levels), 10**6), max_words)
        from html import escape

        chapters = [f"<h1>{escape(a)}</h1><p>{escape(b)}</p>" for a, b in blocks]
        check_offsets(parse("a.epub", formats.epub("t", chapters), 10**6), max_words)

    check()


@needs_pdf
def test_every_pdf_passage_is_the_extracted_text_at_its_offsets() -> None:
    lines = st.lists(st.text(alphabet="abc xyz.", min_size=1, max_size=30), max_size=5)

    @given(st.lists(lines, min_size=1, max_size=4), st.integers(1, 8))
    def check(pages: list[list[str]], max_words: int) -> None:
        try:
            document = parse("a.pdf", formats.pdf(pages), 10**6)
        except Unreadable:  # pages with no words at all
            assert not any(line.strip(" .") for page in pages for line in page)
            return
        check_offsets(document, max_words)
        assert all(block.page is not None for block in document.blocks)

    check()


# -- through the index: Index.text, sections, pages ---------------------------------


def test_index_text_is_what_every_passage_points_into(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(
        {
            "guide.md": MARKDOWN,
            "manual.html": HTML,
            "report.docx": formats.docx(
                "Annual report", [("Heading1", "Budget"), ("", "We spent less on pointers.")]
            ),
        }
    )
    with Index.open(root, index_dir=index_dir) as ix:
        hits = ix.search("pointer OR tool OR spent", limit=50)
        assert {h.path for h in hits} == {"guide.md", "manual.html", "report.docx"}
        for hit in hits:
            assert ix.text(hit.path)[hit.start : hit.end] == hit.text
        assert ix.text("guide.md") == MARKDOWN
        (budget,) = [h for h in hits if h.path == "report.docx"]
        assert budget.section == "Budget"
        assert [h.path for h in ix.search('section:"Using Box"')] == ["guide.md"]
        assert {h.path for h in ix.search("tag:convoy")} == {"guide.md"}


def test_index_text_of_a_changed_file_says_so(make_corpus: MakeCorpus, index_dir: Path) -> None:
    from seedindex.errors import PassageNotFoundError, StaleDocumentError

    root = make_corpus({"a.md": "# A\n\nalpha"})
    with Index.open(root, index_dir=index_dir, auto_update=False) as ix:
        (root / "a.md").write_text("# A\n\nbeta")
        with pytest.raises(StaleDocumentError):
            ix.text("a.md")
        with pytest.raises(PassageNotFoundError):
            ix.text("../etc/passwd")


@needs_pdf
def test_pdf_passages_know_their_page(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"paper.pdf": formats.pdf([["Intro words."], ["Whales breathe air."]])})
    with Index.open(root, index_dir=index_dir) as ix:
        (hit,) = ix.search("whales")
        assert hit.page == 2
        assert ix.text("paper.pdf")[hit.start : hit.end] == hit.text


def test_a_phrase_matches_the_passage_text_not_its_title(
    make_corpus: MakeCorpus, index_dir: Path, config: Config
) -> None:
    root = make_corpus(
        {"a.md": "# Smart Pointers\n\nBox is one of them.", "b.md": "Use smart pointers."}
    )
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert [h.path for h in ix.search('"smart pointers"')] == ["b.md"]
        assert {h.path for h in ix.search("smart pointers")} == {"a.md", "b.md"}
        (about,) = [h for h in ix.search("smart pointers") if h.path == "a.md"]
        explained = ix.explain("smart pointers", about)
        assert all(part.frequency == 0 for part in explained.terms if part.word)
        assert all(part.context_frequency == 1 for part in explained.terms if part.word)

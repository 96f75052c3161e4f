from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedindex
from seedindex import Config, Index, Passage, query
from seedindex._analysis import stop_words, words
from seedindex.errors import ConfigError, ForeignIndexError, IndexDirError, SeedsError
from tests.conftest import SEED_FILE, MakeCorpus

SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines()


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    with Index.open(SEED_FILE.parent, index_dir=tmp_path_factory.mktemp("ix")) as ix:
        yield ix


def assert_exact(passages: list[Passage], root: Path) -> None:
    for p in passages:
        text = (root / p.path).read_text(encoding="utf-8")
        assert p.text == text[p.start : p.end]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("medical supplies", 5),  # multi-word
        ("convoys", 5),
        ('"humanitarian aid"', 1),  # phrase
        ("Qum", 6),
        ("Israel's defensive measures", 7),  # apostrophe: the seed has Israel’s
        ('"Iran\'s engagement"', 2),  # typed apostrophe, typographic in the text
        ("interfaith dialogue", 8),
        ("tumultuous", 10),
    ],
)
def test_bundled_seed_ranks_the_right_paragraph_first(
    seed_index: Index, text: str, line: int
) -> None:
    hits = seed_index.search(text)
    assert hits[0].line == line
    assert_exact(hits, SEED_FILE.parent)


def test_stemmed_query_finds_other_word_forms(seed_index: Index) -> None:
    hits = seed_index.search("educate")
    assert {h.line for h in hits} >= {2, 3, 9}
    assert all("educat" in h.text.lower() for h in hits)
    assert "[[educational]]" in hits[0].highlights.lower()


def test_passage_fields(seed_index: Index) -> None:
    (hit,) = seed_index.search('"aid convoys"')
    assert hit.path == SEED_FILE.name
    assert (hit.line, hit.end_line) == (5, 5)
    assert hit.text == SEED_LINES[4]
    assert hit.terms == ("aid convoys",)
    assert "[[aid]] [[convoys]]" in hit.highlights
    assert hit.highlights.replace("[[", "").replace("]]", "") == hit.text
    assert hit.score > 0


def test_more_matched_words_rank_first(seed_index: Index) -> None:
    hits = seed_index.search("convoys medical supplies", limit=10)
    counts = [len(h.terms) for h in hits]
    assert counts[0] == 3
    assert counts == sorted(counts, reverse=True)


def test_results_are_ordered_by_score_then_path_then_offset(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    same = "the same words " * 8 + "\n\n" + "the same words " * 8
    root = make_corpus({"b.txt": same, "a.txt": same, "c.txt": "other"})
    hits = query("words", seeds=root, index_dir=index_dir)
    assert [(h.path, h.line) for h in hits] == [
        ("a.txt", 1),
        ("a.txt", 3),
        ("b.txt", 1),
        ("b.txt", 3),
    ]
    assert len({h.score for h in hits}) == 1
    limited = query("words", seeds=root, index_dir=index_dir, limit=3)
    assert [(h.path, h.line) for h in limited] == [("a.txt", 1), ("a.txt", 3), ("b.txt", 1)]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_content_word_of_a_passage_finds_that_passage(
    seed_index: Index, data: st.DataObject
) -> None:
    line = data.draw(st.integers(min_value=1, max_value=len(SEED_LINES)))
    candidates = [w for w in words(SEED_LINES[line - 1]) if w.lower() not in stop_words()]
    word = data.draw(st.sampled_from(candidates))
    hits = seed_index.search(word, limit=len(SEED_LINES))
    assert line in {h.line for h in hits}, word


paragraphs = st.lists(
    st.text(st.sampled_from("abcdefgh ."), min_size=1, max_size=60), min_size=1, max_size=8
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(paragraphs, min_size=1, max_size=3), st.sampled_from(["\n", "\n\n", "\r\n\r\n"]))
def test_returned_text_always_equals_the_file_at_its_offsets(
    tmp_path_factory: pytest.TempPathFactory, files: list[list[str]], separator: str
) -> None:
    root = tmp_path_factory.mktemp("seeds")
    for number, paras in enumerate(files):
        (root / f"{number}.txt").write_bytes(separator.join(paras).encode())
    with Index.open(root, index_dir=tmp_path_factory.mktemp("ix")) as ix:
        for letter in "abcdefgh":
            hits = ix.search(letter + "*", limit=100)
            for hit in hits:
                text = (root / hit.path).read_bytes().decode()
                assert hit.text == text[hit.start : hit.end]
                assert hit.line == text.count("\n", 0, hit.start) + 1


def test_seeds_from_environment_and_bundled_default(
    make_corpus: MakeCorpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert query("convoys")[0].path == SEED_FILE.name  # bundled seeds, cache index
    root = make_corpus({"mine.txt": "convoys of my own"})
    monkeypatch.setenv("SEEDINDEX_SEEDS", str(root))
    assert [h.path for h in query("convoys")] == ["mine.txt"]


def test_index_dir_from_environment(
    make_corpus: MakeCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDINDEX_INDEX_DIR", str(tmp_path / "envix"))
    query("x", seeds=make_corpus({"a.txt": "x"}))
    assert (tmp_path / "envix" / "seedindex.json").exists()


def test_query_notices_changed_added_and_removed_files(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": "apples", "b.txt": "bananas"})
    assert [h.path for h in query("apples", seeds=root, index_dir=index_dir)] == ["a.txt"]
    (root / "a.txt").write_text("cherries now")
    (root / "c.txt").write_text("apples again")
    (root / "b.txt").unlink()
    assert [h.path for h in query("apples", seeds=root, index_dir=index_dir)] == ["c.txt"]
    assert [h.path for h in query("cherries", seeds=root, index_dir=index_dir)] == ["a.txt"]
    assert query("bananas", seeds=root, index_dir=index_dir) == []


def test_no_update_searches_the_index_as_it_is(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    (root / "a.txt").write_text("cherries")
    assert query("cherries", seeds=root, index_dir=index_dir, auto_update=False) == []
    assert len(query("cherries", seeds=root, index_dir=index_dir)) == 1


def test_update_and_build_report_what_changed(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "one\n\ntwo", "b.txt": "three"})
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.update().changed_anything is False
        (root / "a.txt").write_text("one")
        (root / "c.txt").write_text("four")
        (root / "b.txt").unlink()
        report = ix.update()
        assert (report.added, report.changed, report.removed) == (1, 1, 1)
        assert report.passages == 2
        os.utime(root / "c.txt", ns=(1, 1))
        touched = ix.update()
        assert (touched.touched, touched.passages_written) == (1, 0)
        full = ix.build()
        assert full.full
        assert full.added == 2
        assert full.passages == 2
        assert [h.path for h in ix.search("four")] == ["c.txt"]


def test_unreadable_files_are_skipped_with_a_warning_and_counted(
    make_corpus: MakeCorpus, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_corpus(
        {
            "good.txt": "fine words",
            "bad.txt": b"\x01\x02\x03\x04 no text \xff",
            "bin.md": b"a\0b",
            "latin.txt": "fine café, in Windows-1252".encode("cp1252"),
        }
    )
    with (
        caplog.at_level(logging.WARNING, logger="seedindex"),
        Index.open(root, index_dir=index_dir) as ix,
    ):
        assert ix.last_write is not None
        assert ix.last_write.legacy_text == 1
        assert ix.update().skipped == 2
        assert [h.path for h in ix.search("fine")] == ["good.txt", "latin.txt"]
        assert ix.search("café")[0].text == "fine café, in Windows-1252"
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "bad.txt" in messages
    assert "bin.md" in messages


def test_limit_must_be_positive(seed_index: Index) -> None:
    with pytest.raises(ConfigError):
        seed_index.search("aid", limit=0)


def test_missing_seeds_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedsError):
        query("x", seeds=tmp_path / "missing")


def test_foreign_directory_is_refused_and_left_untouched(
    make_corpus: MakeCorpus, tmp_path: Path
) -> None:
    users_folder = tmp_path / "my documents"
    users_folder.mkdir()
    (users_folder / "thesis.txt").write_text("precious")
    before = sorted(p.name for p in users_folder.iterdir())
    with pytest.raises(ForeignIndexError, match="not made by seedindex"):
        query("x", seeds=make_corpus({"a.txt": "x"}), index_dir=users_folder)
    assert sorted(p.name for p in users_folder.iterdir()) == before
    assert (users_folder / "thesis.txt").read_text() == "precious"


def test_index_path_that_is_a_file(make_corpus: MakeCorpus, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(IndexDirError, match="not a directory"):
        query("x", seeds=make_corpus({"a.txt": "x"}), index_dir=tmp_path / "file")


def test_damaged_index_is_rebuilt_with_a_warning(
    make_corpus: MakeCorpus, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_corpus({"a.txt": "apples"})
    query("apples", seeds=root, index_dir=index_dir)
    for engine_file in (index_dir / "whoosh").iterdir():
        engine_file.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="seedindex"):
        assert len(query("apples", seeds=root, index_dir=index_dir)) == 1
    assert "damaged" in caplog.text


def test_index_of_another_seeds_folder_or_settings_is_rebuilt(
    make_corpus: MakeCorpus, tmp_path: Path, index_dir: Path
) -> None:
    first = make_corpus({"a.txt": "apples"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.txt").write_text("apples")
    assert [h.path for h in query("apples", seeds=first, index_dir=index_dir)] == ["a.txt"]
    assert [h.path for h in query("apples", seeds=other, index_dir=index_dir)] == ["b.txt"]
    marker = json.loads((index_dir / "seedindex.json").read_text())
    assert marker["seeds"] == str(other)
    (other / "c.md").write_text("apples")
    config = Config(extensions=(".md",))
    assert [h.path for h in query("apples", seeds=other, index_dir=index_dir, config=config)] == [
        "c.md"
    ]


def test_closed_index_says_so(make_corpus: MakeCorpus, index_dir: Path) -> None:
    ix = Index.open(make_corpus({"a.txt": "x"}), index_dir=index_dir)
    ix.close()
    with pytest.raises(IndexDirError, match="closed"):
        ix.search("x")


def test_two_settings_of_one_folder_keep_their_own_default_index(
    make_corpus: MakeCorpus,
) -> None:
    root = make_corpus({"a.txt": "apples", "b.csv": "apples"})
    adoc = Config(extensions=(".csv",))
    with Index.open(root, config=adoc) as ix:
        assert [h.path for h in ix.search("apples")] == ["b.csv"]
    with Index.open(root) as ix:  # the default settings: another folder of the cache
        assert [h.path for h in ix.search("apples")] == ["a.txt"]
    with Index.open(root, config=adoc, auto_update=False) as ix:
        assert ix.last_write is None  # not rebuilt by the other settings' open
        assert [h.path for h in ix.search("apples")] == ["b.csv"]


def test_an_index_of_another_seedindex_version_is_rebuilt(
    make_corpus: MakeCorpus, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_corpus({"a.txt": "apples"})
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.last_write is not None
        assert ix.last_write.full
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.last_write is None
    monkeypatch.setattr("seedindex._index.__version__", "99.0")
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.last_write is not None
        assert ix.last_write.full
        assert [h.path for h in ix.search("apples")] == ["a.txt"]


def test_stats_of_a_missing_index_builds_nothing(make_corpus: MakeCorpus, index_dir: Path) -> None:
    root = make_corpus({"a.txt": "apples"})
    before = seedindex.stats(root, index_dir=index_dir)
    assert (before.files, before.updated, before.stale) == (0, None, True)
    assert not index_dir.exists()
    query("apples", seeds=root, index_dir=index_dir)
    after = seedindex.stats(root, index_dir=index_dir)
    assert (after.files, after.passages, after.stale) == (1, 1, False)
    assert after.updated is not None


def test_an_index_without_passages_answers_nothing(
    make_corpus: MakeCorpus, index_dir: Path, config: Config
) -> None:
    root = make_corpus({"blank.txt": " \n\n "})
    with Index.open(root, index_dir=index_dir, config=config) as ix:
        assert ix.search("anything") == []
        assert ix.search('"a phrase" OR pre*') == []
        assert ix.suggest("anythign") is None


def test_chinese_japanese_and_hindi_words_are_found_inside_text(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus(
        {
            "zh.txt": "新闻\n\n人道主义援助车队周一抵达北部。\n\n医疗用品短缺。",
            "ja.txt": "日記\n\nパンを食べた。\n\nハンは別の言葉。",
            "hi.txt": "लेख\n\nहिन्दी भाषा बोली जाती है।",
        }
    )
    with Index.open(root, index_dir=index_dir) as ix:
        (convoy,) = ix.search("车队")
        assert convoy.text == "人道主义援助车队周一抵达北部。"
        assert convoy.highlights == "人道主义援助[[车队]]周一抵达北部。"
        assert [h.text for h in ix.search("医疗用品")][:1] == ["医疗用品短缺。"]
        assert [h.text for h in ix.search("パン")] == ["パンを食べた。"]
        assert [h.text for h in ix.search("हिन्दी")] == ["हिन्दी भाषा बोली जाती है।"]


def test_a_language_of_the_index_stems_its_words(make_corpus: MakeCorpus, tmp_path: Path) -> None:
    root = make_corpus({"de.txt": "Die Häuser der Stadt sind alt.", "en.txt": "Old houses."})
    with Index.open(root, config=Config(language="german")) as german:
        assert [h.path for h in german.search("Haus")] == ["de.txt"]
        assert [h.terms for h in german.search("der Haus")] == [("Haus",)]  # "der" is a stop word
    with Index.open(root) as english:  # another index of the cache: English
        assert english.search("Haus") == []
    with pytest.raises(ConfigError, match="language must be one of"):
        Config(language="klingon")


def test_a_folder_whose_documents_hold_no_words_answers_nothing(
    make_corpus: MakeCorpus, index_dir: Path
) -> None:
    root = make_corpus({"a.txt": ".", "b.md": "# .\n\n--"})
    with Index.open(root, index_dir=index_dir) as ix:
        assert ix.search("anything") == []
        assert [(h.path, h.text) for h in ix.search("path:a.txt")] == [("a.txt", ".")]

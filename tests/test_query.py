from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from seedindex import Config, Index, QuerySyntaxError
from tests.conftest import MakeCorpus

TEXTS = {
    "a.txt": "Report\n\nHumanitarian aid convoys reached Gaza.\n\nThe café served naïve guests.",
    "b.txt": "Report\n\nEducational programs and medical aid.\n\nAid workers and women's groups.",
    "notes/c.md": (
        "# Notes\n\nPeace talks between Israel and Palestine.\n\nIsrael-Palestine relations."
    ),
}


@pytest.fixture
def ix(make_corpus: MakeCorpus, index_dir: Path, config: Config) -> Iterator[Index]:
    with Index.open(make_corpus(dict(TEXTS)), index_dir=index_dir, config=config) as opened:
        yield opened


def found(ix: Index, text: str) -> list[tuple[str, int]]:
    return sorted((h.path, h.line) for h in ix.search(text, limit=50))


def test_words_are_ored(ix: Index) -> None:
    assert found(ix, "convoys peace") == [("a.txt", 3), ("notes/c.md", 3)]


def test_boolean_operators_and_grouping(ix: Index) -> None:
    assert found(ix, "aid AND convoys") == [("a.txt", 3)]
    assert found(ix, "aid NOT convoys") == [("b.txt", 3), ("b.txt", 5)]
    assert found(ix, "(medical OR convoys) AND aid") == [("a.txt", 3), ("b.txt", 3)]


def test_phrases_and_slop(ix: Index) -> None:
    assert found(ix, '"medical aid"') == [("b.txt", 3)]
    assert found(ix, '"programs aid"') == []
    assert found(ix, '"programs aid"~3') == [("b.txt", 3)]


def test_prefix_wildcard_and_fuzzy(ix: Index) -> None:
    assert found(ix, "human*") == [("a.txt", 3)]
    assert found(ix, "wom?n*") == [("b.txt", 5)]
    assert found(ix, "convois~") == [("a.txt", 3)]
    assert ix.search("human*")[0].terms == ("human*",)


def test_path_filter(ix: Index) -> None:
    assert found(ix, "aid AND path:b.txt") == [("b.txt", 3), ("b.txt", 5)]
    assert found(ix, "Israel AND path:notes*") == [("notes/c.md", 3), ("notes/c.md", 5)]


def test_boost_changes_the_order(ix: Index) -> None:
    assert ix.search("medical convoys^5")[0].path == "a.txt"
    assert ix.search("medical^5 convoys")[0].path == "b.txt"


def test_hyphen_accents_and_apostrophes(ix: Index) -> None:
    assert found(ix, "Israel-Palestine") == [("notes/c.md", 5)]
    assert found(ix, '"Israel Palestine"') == [("notes/c.md", 5)]
    assert found(ix, "cafe") == found(ix, "CAFÉ") == [("a.txt", 5)]
    assert found(ix, "womens") == found(ix, "women’s") == [("b.txt", 5)]


@pytest.mark.parametrize(
    "text",
    [
        "what about (peace?",
        "peace)",
        '"unclosed phrase',
        "AND",
        "aid AND",
        "NOT",
        "title: ^ ~ : ( ) [ ]",
        "[a TO",
        "?",
        "*",
        "-- --",
        "'quoted' words",
        "",
        "   ",
    ],
)
def test_stray_punctuation_never_fails(ix: Index, text: str) -> None:
    ix.search(text)


def test_natural_language_question_finds_its_words(ix: Index) -> None:
    assert ("notes/c.md", 3) in found(ix, "what about (peace talks?")
    assert found(ix, "convoys?") == [("a.txt", 3)]


@pytest.mark.parametrize(
    ("text", "position"),
    [("(peace", 0), ("peace)", 5), ('aid "medical', 4)],
)
def test_strict_mode_says_where_the_syntax_breaks(ix: Index, text: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        ix.search(text, strict=True)
    assert caught.value.position == position
    assert f"character {position + 1}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_strict_mode_accepts_good_syntax(ix: Index) -> None:
    text = '"medical aid" OR (peace AND talks)'
    strict = sorted((h.path, h.line) for h in ix.search(text, strict=True))
    assert strict == found(ix, text) == [("b.txt", 3), ("notes/c.md", 3)]


@pytest.mark.parametrize(
    ("text", "position"),
    [("aid AND", 4), ("AND aid", 0), ("aid OR OR convoys", 4), ("NOT", 0), ("aid NOT", 4)],
)
def test_strict_mode_refuses_an_operator_with_nothing_beside_it(
    ix: Index, text: str, position: int
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        ix.search(text, strict=True)
    assert caught.value.position == position


def test_ranges_and_title_phrases_work(ix: Index) -> None:
    assert found(ix, "[convoys TO convoys]") == [("a.txt", 3)]
    assert found(ix, "{convoys TO convoys]") == []
    assert found(ix, '"educational programs" AND title:"report"') == [("b.txt", 3)]


def test_negated_words_are_not_reported_as_matches(ix: Index) -> None:
    (hit,) = [h for h in ix.search("aid NOT convoys") if h.line == 3]
    assert hit.terms == ("aid",)
    assert "convoys" not in hit.highlights.lower().replace("[[", "")


def test_title_filter_and_titles_count_for_passages(ix: Index) -> None:
    assert found(ix, "title:notes") == [("notes/c.md", 3), ("notes/c.md", 5)]
    # "Notes" is the heading of c.md: no passage of its own, the title of its passages.
    assert found(ix, "notes") == [("notes/c.md", 3), ("notes/c.md", 5)]
    assert {h.section for h in ix.search("notes")} == {"Notes"}


def test_stop_words_are_dropped_from_word_lists_but_kept_in_phrases(
    make_corpus: MakeCorpus, tmp_path: Path, config: Config
) -> None:
    root = make_corpus({"a.txt": "to be or not to be", "b.txt": "be quick, not slow"})
    with Index.open(root, index_dir=tmp_path / "ix2", config=config) as ix2:
        assert [h.path for h in ix2.search('"to be or not"')] == ["a.txt"]
        assert [h.terms for h in ix2.search("the quick")] == [("quick",)]
        assert {h.path for h in ix2.search("to be")} == {"a.txt", "b.txt"}  # only stop words


def test_per_file_keeps_the_best_passages_of_each_file(ix: Index) -> None:
    hits = ix.search("aid OR report", limit=10, per_file=1)
    assert sorted(h.path for h in hits) == ["a.txt", "b.txt"]


def test_explain_adds_up_to_the_score(ix: Index) -> None:
    for text in ["aid convoys", '"medical aid" OR workers', "human* NOT convoys"]:
        for hit in ix.search(text):
            explanation = ix.explain(text, hit)
            assert explanation.score == pytest.approx(hit.score)
            assert all(part.score >= 0 for part in explanation.terms)


@pytest.mark.parametrize(
    "text", ["aid", "humanitarian aid convoys", "aid NOT convoys", '"medical aid" OR peace']
)
def test_feedback_only_reorders_the_passages_the_query_finds(
    ix: Index, index_dir: Path, text: str
) -> None:
    exact_config = attrs.evolve(ix.config, feedback=False)
    with Index.open(ix.seeds, index_dir=index_dir, config=exact_config) as exact:
        assert found(ix, text) == found(exact, text)


def test_feedback_raises_passages_sharing_the_best_passages_words(
    make_corpus: MakeCorpus, index_dir: Path, config: Config
) -> None:
    seeds = make_corpus(
        {
            "a1.txt": "alpha beta gamma delta",  # the best passage for "alpha beta"
            "b1.txt": "alpha gamma delta omega",  # shares its other words
            "a2.txt": "alpha zeta eta theta",  # does not, and wins ties on its path
        }
    )
    exact_config = attrs.evolve(config, feedback=False)
    with Index.open(seeds, index_dir=index_dir, config=exact_config) as exact:
        assert [h.path for h in exact.search("alpha beta")] == ["a1.txt", "a2.txt", "b1.txt"]
    with Index.open(seeds, index_dir=index_dir, config=config) as ix:
        hits = ix.search("alpha beta")
        assert [h.path for h in hits] == ["a1.txt", "b1.txt", "a2.txt"]
        assert hits[1].terms == ("alpha",)  # lent words are no matches of the query
        explanation = ix.explain("alpha beta", hits[1])
        assert {(p.word, p.term) for p in explanation.terms if p.score > 0} == {
            ("alpha", "alpha"),
            ("", "gamma"),
            ("", "delta"),
        }
        assert explanation.score == pytest.approx(hits[1].score)


def test_explaining_the_passages_of_a_query_ranks_it_once(
    ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex import _searcher

    calls: list[str] = []
    rank = _searcher.rank

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("rank")
        return rank(*args, **kwargs)

    monkeypatch.setattr(_searcher, "rank", counted)
    hits = ix.search("aid workers")
    assert [ix.explain("aid workers", h).score for h in hits] == pytest.approx(
        [h.score for h in hits]
    )
    ix.explain("aid convoys", hits[0])
    assert len(calls) == 2  # the first query once, then the other
    ix.update()  # nothing changed: the same postings
    ix.explain("aid workers", hits[0])
    assert len(calls) == 3  # the last query ranked was the other one


def test_similar_passages(ix: Index) -> None:
    (source,) = ix.search('"medical aid"')
    similar = ix.similar(source)
    assert source not in similar
    # Of its words only "aid" is in other passages (words in one passage tell nothing).
    assert sorted((h.path, h.line) for h in similar) == [("a.txt", 3), ("b.txt", 5)]
    assert all(h.terms == ("aid",) for h in similar)
    at = ix.passage_at("b.txt", 3)
    assert (at.path, at.start, at.end, at.text) == (
        source.path,
        source.start,
        source.end,
        source.text,
    )


def test_passage_at_an_unknown_place(ix: Index) -> None:
    from seedindex.errors import PassageNotFoundError

    with pytest.raises(PassageNotFoundError):
        ix.passage_at("b.txt", 99)
    with pytest.raises(LookupError):
        ix.passage_at("nope.txt", 1)


def test_a_query_past_its_time_budget_returns_what_it_found_or_says_so(
    ix: Index, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from seedindex.errors import QueryTimeoutError

    hurried = attrs.evolve(ix.config, query_timeout=1e-9)  # past it at the first look
    with Index.open(ix.seeds, index_dir=index_dir, config=hurried) as quick:
        for text in ("aid convoys", "h*", "humanitarain~2", "[a TO z]"):
            with caplog.at_level(logging.WARNING, logger="seedindex"):
                assert quick.search(text) == []
            assert "stopped after" in caplog.text
            caplog.clear()
            with pytest.raises(QueryTimeoutError):
                quick.search(text, strict=True)
    assert found(ix, "aid convoys")  # the same index, with time enough: answers


def test_a_query_stopped_while_scoring_returns_the_passages_scored_so_far(
    ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine import SearchTimedOut
    from seedindex.engine._local import LocalSnapshot

    if ix.config.shards:
        pytest.skip("shards score a query in one go, on the servers")
    # Time to read both words' postings, and to score with the first word read.
    looks = {"left": 3}

    def running_out(self: LocalSnapshot) -> None:
        looks["left"] -= 1
        if looks["left"] < 0:
            raise SearchTimedOut([])

    monkeypatch.setattr(LocalSnapshot, "_in_time", running_out)
    hits = ix.search("report convoys")
    assert hits
    # One word's postings were read: every passage answered holds that word.
    held = [{w for w in ("report", "convoy") if w in (h.text + h.section).lower()} for h in hits]
    assert set.intersection(*held)


def test_a_search_stopped_anywhere_leaves_nothing_half_known(
    ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine import Search, SearchTimedOut
    from seedindex.engine._local import LocalSnapshot
    from seedindex.query import parse, tree_plan

    if ix.config.shards:
        pytest.skip("shards search on their servers")
    assert ix._searcher is not None
    snapshot = ix._searcher.engine.snapshot()
    assert isinstance(snapshot, LocalSnapshot)
    text = "*i* AND NOT zzz"  # a pattern of several words, its passages gathered a word at a time

    def request() -> Search:  # the query planned anew: nothing of it known yet
        plan = tree_plan(parse(text), text, snapshot)
        return Search(plan.match, plan.scored, limit=50)

    expected = snapshot.search(request())
    assert len(expected) > 1
    looks = {"left": 0, "seen": 0}

    def counted(self: LocalSnapshot) -> None:
        looks["seen"] += 1

    def running_out(self: LocalSnapshot) -> None:
        looks["left"] -= 1
        if looks["left"] < 0:
            raise SearchTimedOut([])

    counted_search = request()
    with monkeypatch.context() as counting:
        counting.setattr(LocalSnapshot, "_in_time", counted)
        snapshot.search(counted_search)
    for stop in range(looks["seen"]):
        searched = request()
        looks["left"] = stop
        with monkeypatch.context() as hurried:
            hurried.setattr(LocalSnapshot, "_in_time", running_out)
            with pytest.raises(SearchTimedOut):
                snapshot.search(searched)
        assert snapshot.search(searched) == expected, f"stopped at look {stop}"


def test_an_index_scored_in_arrays_ranks_as_one_scored_in_a_dict(
    ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.ranking import _arrays

    if ix.config.shards:
        pytest.skip("shards score on their servers")
    queries = ["aid", "aid workers", "(medical OR convoys) AND aid", '"medical aid" women', "is*"]
    ranked = {text: [(p.path, p.start, p.score) for p in ix.search(text)] for text in queries}
    tables: list[_arrays.ArrayTable] = []
    made = _arrays.ArrayTable.__init__

    def counted(table: _arrays.ArrayTable, *args: Any) -> None:
        tables.append(table)
        made(table, *args)

    monkeypatch.setattr(_arrays.ArrayTable, "__init__", counted)
    monkeypatch.setattr(_arrays, "ARRAYS_FROM", 0)
    with Index.open(ix.seeds, index_dir=ix.location, config=ix.config) as again:
        for text, expected in ranked.items():
            assert [(p.path, p.start, p.score) for p in again.search(text)] == expected
    assert tables  # the searches above were scored in arrays

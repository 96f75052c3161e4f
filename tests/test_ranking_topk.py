"""The pruned best passages are exhaustive scoring's, passage for passage and bit for bit."""

from __future__ import annotations

from collections.abc import Collection

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedindex.ranking import Bonus, Corpus, TermPostings, Wanted, best, top

PASSAGES = 40


def _path(doc: int) -> str:
    return f"file{doc // 3}.txt"  # three passages a file, numbered in file order


@st.composite
def _terms(draw: st.DrawFn, count: int) -> list[TermPostings]:
    terms = []
    for number in range(count):
        ids = sorted(draw(st.sets(st.integers(0, PASSAGES - 1), min_size=1, max_size=PASSAGES)))
        frequencies = [float(draw(st.integers(1, 6))) for _ in ids]
        weight = draw(st.sampled_from([0.0, 0.2, 1.0, 1.0, 2.0, 3.0]))
        terms.append(TermPostings(f"t{number}", weight, ids, frequencies))
    return terms


def _holding(terms: list[TermPostings], needs: frozenset[int]) -> set[int]:
    found = set(range(PASSAGES))
    for at in needs:
        found &= set(terms[at].ids)
    return found


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, object]:
    scored = draw(_terms(draw(st.integers(1, 6))))
    ranked = draw(_terms(draw(st.integers(0, 3))))
    bonuses = []
    for _ in range(draw(st.integers(0, 3))):
        needs = frozenset(draw(st.sets(st.integers(0, len(scored) - 1), max_size=len(scored))))
        # Given to some of the passages holding every term it needs.
        holders = sorted(_holding(scored, needs))
        chosen = draw(st.sets(st.sampled_from(holders))) if holders else set()
        bonuses.append((draw(st.sampled_from([0.5, 3.0, 12.0])), needs, frozenset(chosen)))
    matched = draw(st.none() | st.sets(st.integers(0, PASSAGES - 1)).map(frozenset))
    return {
        "lengths": draw(st.lists(st.integers(1, 60), min_size=PASSAGES, max_size=PASSAGES)),
        "scored": scored,
        "ranked": ranked,
        "bonuses": bonuses,
        "match": matched,
        "limit": draw(st.integers(1, 12)),
        "per_file": draw(st.none() | st.integers(1, 2)),
    }


def _exhaustive(corpus: Corpus, case: dict) -> list[tuple[int, float]]:  # type: ignore[type-arg]
    """Every passage scored, the way seedindex ranked before it pruned."""
    match = case["match"]
    scores = dict.fromkeys(match or (), 0.0)
    corpus.score(case["scored"], only=match, into=scores)
    corpus.score(case["ranked"], only=dict(scores), into=scores)
    for value, _needs, chosen in case["bonuses"]:
        for doc in chosen.intersection(scores):
            scores[doc] += value
    return best(scores, case["limit"], _path, case["per_file"])


def _matcher(matched: frozenset[int]):  # type: ignore[no-untyped-def]
    def match(within: Collection[int] | None) -> set[int]:
        return set(matched if within is None else matched.intersection(within))

    return match


def _with_columns(corpus: Corpus, terms: list[TermPostings]) -> list[TermPostings]:
    """The terms as an index kept in arrays gives them."""
    return [
        attrs.evolve(term, columns=corpus.columns(term.ids, term.frequencies)) for term in terms
    ]


# With arrays (numpy), from any size; without, from none.
TABLES = [pytest.param(0, id="arrays"), pytest.param(PASSAGES + 1, id="dict")]


@pytest.mark.parametrize("arrays_from", TABLES)
@settings(max_examples=400, deadline=None)
@given(case=_cases())
def test_the_pruned_best_are_exhaustive_scorings_exactly(case: dict, arrays_from: int) -> None:  # type: ignore[type-arg]
    corpus = Corpus(case["lengths"], live=PASSAGES, arrays_from=arrays_from)
    assert (corpus.arrays is not None) == (arrays_from == 0)
    bonuses = [Bonus(value, needs, _matcher(chosen)) for value, needs, chosen in case["bonuses"]]
    match = None if case["match"] is None else _matcher(case["match"])
    wanted = Wanted(
        _with_columns(corpus, case["scored"]),
        _with_columns(corpus, case["ranked"]),
        bonuses,
        case["limit"],
        case["per_file"],
        _path,
        match,
    )
    found = top(corpus, wanted, into={})
    assert found == _exhaustive(corpus, case)
    assert all(type(value) is float for _doc, value in found)


@pytest.mark.parametrize("arrays_from", TABLES)
def test_pruning_leaves_out_passages_that_cannot_make_the_best(arrays_from: int) -> None:
    """A rare word read first: once the common word left could not lift any other
    passage past the best, those holding only it are never scored."""
    lengths = [10] * 1000
    corpus = Corpus(lengths, live=1000, arrays_from=arrays_from)
    rare = TermPostings("rare", 5.0, [3, 7], [2.0, 2.0])
    common = TermPostings("common", 1.0, list(range(1000)), [1.0] * 1000)
    into: dict[int, float] = {}
    terms = _with_columns(corpus, [common, rare])
    found = top(corpus, Wanted(terms, [], [], 2, None, _path), into=into)
    assert [doc for doc, _score in found] == [3, 7]
    assert set(into) == {3, 7}  # the passages still in the running when scoring ended
    exhaustive = corpus.score([common, rare])
    assert found == best(exhaustive, 2, _path)


@pytest.mark.parametrize("arrays_from", TABLES)
def test_a_search_stopped_half_way_leaves_what_it_knew(arrays_from: int) -> None:
    corpus = Corpus([10] * 50, live=50, arrays_from=arrays_from)
    first = TermPostings("first", 3.0, [1, 2, 3], [1.0, 2.0, 1.0])
    second = TermPostings("second", 1.0, list(range(50)), [1.0] * 50)
    terms = _with_columns(corpus, [first, second])
    calls = []

    def each() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise TimeoutError

    into: dict[int, float] = {}
    with pytest.raises(TimeoutError):
        top(corpus, Wanted(terms, [], [], 2, None, _path), into=into, each=each)
    assert into == corpus.score([first])


def test_without_numpy_scores_are_kept_in_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    from seedindex.ranking import _arrays

    assert Corpus([10] * 5, live=5, arrays_from=0).arrays is not None
    monkeypatch.setattr(_arrays, "_numpy", lambda: None)
    corpus = Corpus([10] * 5, live=5, arrays_from=0)
    assert corpus.arrays is None
    assert corpus.columns([1, 2], [1.0, 1.0]) is None

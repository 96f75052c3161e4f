from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedindex.ranking import Corpus, TermPostings, best, kept_length


def test_idf_is_positive_and_falls_with_frequency() -> None:
    corpus = Corpus([10] * 100, live=100)
    assert corpus.idf(1) > corpus.idf(50) > corpus.idf(100) > 0
    assert math.isclose(corpus.idf(1), math.log(1 + 99.5 / 1.5))


def test_bm25_prefers_more_occurrences_rarer_terms_and_shorter_passages() -> None:
    corpus = Corpus([10, 10, 40, 10], live=4)
    rare = TermPostings("rare", 1.0, [0], [1.0])
    common = TermPostings("common", 1.0, [0, 1, 2, 3], [1.0, 3.0, 3.0, 1.0])
    scores = corpus.score([rare, common])
    assert scores[1] > scores[3]  # more occurrences
    assert scores[1] > scores[2]  # same count, shorter passage
    assert scores[0] > scores[1]  # the rare word outweighs repeats of a common one


def test_score_can_be_restricted_and_explained() -> None:
    corpus = Corpus([5, 6, 7], live=3)
    terms = [TermPostings("a", 2.0, [0, 2], [1.0, 2.0]), TermPostings("b", 1.0, [2], [1.0])]
    scores = corpus.score(terms)
    assert set(corpus.score(terms, only={2})) == {2}
    parts = corpus.explain(terms, 2)
    assert sum(value for _tf, _idf, value in parts) == scores[2]
    assert corpus.explain(terms, 1) == [(0.0, corpus.idf(2), 0.0), (0.0, corpus.idf(1), 0.0)]
    # Scoring term by term into the same scores adds up to scoring them together.
    into = corpus.score(terms[:1])
    assert corpus.score(terms[1:], into=into) is into
    assert into == scores


def test_best_breaks_ties_by_path_then_position_and_limits_per_file() -> None:
    paths = {0: "b", 1: "a", 2: "a", 3: "c"}
    scores = {0: 1.0, 1: 1.0, 2: 1.0, 3: 2.0}
    assert best(scores, 3, paths.__getitem__) == [(3, 2.0), (1, 1.0), (2, 1.0)]
    assert best(scores, 10, paths.__getitem__, per_file=1) == [(3, 2.0), (1, 1.0), (0, 1.0)]


@given(st.dictionaries(st.integers(0, 50), st.sampled_from([0.5, 1.0, 2.0])), st.integers(1, 60))
def test_best_is_a_prefix_of_the_full_order(scores: dict[int, float], limit: int) -> None:
    def path_of(doc: int) -> str:
        return f"f{doc % 7}"

    everything = sorted(scores.items(), key=lambda item: (-item[1], path_of(item[0]), item[0]))
    assert best(scores, limit, path_of) == everything[:limit]


def test_kept_lengths_are_the_lengths_whoosh_keeps() -> None:
    from whoosh.codec.whoosh3 import byte_to_length
    from whoosh.util.numeric import length_to_byte

    for length in [*range(3000), *range(3000, 200_000, 97)]:
        assert kept_length(length) == byte_to_length(length_to_byte(length)) >= min(length, 106374)


@given(
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 300)), min_size=1, max_size=300),
    st.booleans(),
)
def test_norms_worked_out_in_arrays_are_the_same_to_the_last_bit(
    lengths: list[tuple[int, int]], with_context: bool
) -> None:
    pytest.importorskip("numpy")
    text = [n for n, _c in lengths]
    context = [c for _n, c in lengths] if with_context else []
    in_lists = Corpus(text, len(text), context, arrays_from=len(text) + 1)
    in_arrays = Corpus(text, len(text), context, arrays_from=0)
    assert in_lists.arrays is None
    assert in_arrays.arrays is not None
    assert in_arrays.norms == in_lists.norms
    assert in_arrays.arrays.tolist() == in_lists.norms

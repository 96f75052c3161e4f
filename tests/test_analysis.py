from __future__ import annotations

import unicodedata
from types import SimpleNamespace

import pytest
import Stemmer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedindex import _analysis
from seedindex._analysis import MAX_WORD_CHARS, normalize, term, tokens, words


def terms_of(text: str) -> list[str]:
    return [t.term for t in tokens(text)]


def test_case_accents_and_typographic_apostrophes_fold_to_one_term() -> None:
    assert term("Iran’s") == term("Iran's") == term("IRANS") == term("iran")
    assert term("Café") == term("cafe")
    assert normalize("ﬁnal") == "final"  # NFKC ligature


def test_english_stemming_joins_word_forms() -> None:
    assert term("educate") == term("educating") == term("educational")
    assert term("convoys") == term("convoy")


def test_hyphenated_words_are_separate_tokens_with_positions() -> None:
    found = list(tokens("Israel-Palestine talks"))
    assert [t.term for t in found] == ["israel", "palestin", "talk"]
    assert [t.position for t in found] == [0, 1, 2]


def test_overlong_runs_are_not_indexed() -> None:
    assert terms_of("a" * (MAX_WORD_CHARS + 1) + " word") == ["word"]


def test_words_keep_what_was_typed() -> None:
    assert words("Iran’s (aid)?") == ["Iran’s", "aid"]


@given(st.text() | st.text(alphabet="救援车队抵达パンを食べるハン한국어ภาษาไทย ab1."))
def test_token_offsets_point_at_the_word(text: str) -> None:
    previous_start = -1
    for token in tokens(text):  # the letter pairs of unspaced scripts overlap by a letter
        assert previous_start < token.start < token.end <= len(text)
        assert term(text[token.start : token.end]) == token.term
        previous_start = token.start


def test_unspaced_scripts_become_overlapping_letter_pairs() -> None:
    assert terms_of("救援车队抵达") == ["救援", "援车", "车队", "队抵", "抵达"]
    assert terms_of("Python编程") == ["python", "编程"]
    assert terms_of("한국어") == ["한국", "국어"]
    assert terms_of("车") == ["车"]  # a lone letter is itself
    assert [(t.start, t.end) for t in tokens("a 车队抵")] == [(0, 1), (2, 4), (3, 5)]
    assert words("救援车队") == ["救援", "援车", "车队"]


def test_written_words_are_each_distinct_word_normalised_not_stemmed() -> None:
    text = "Studies of studies: Café CAFE café, 42 x Iran’s ﬁ a"
    assert _analysis.written_words(text) == ["cafe", "fi", "iran's", "of", "studies"]


@given(st.text() | st.text(alphabet="Aé1’ ab.\u0301\u200b\u00a0\u3000\t\n救援车"))
def test_written_words_are_the_normal_forms_of_the_words(text: str) -> None:
    written = _analysis.written_words(text)
    expected = {normalize(w) for w in words(text.lower())}
    assert written == sorted(w for w in expected if len(w) > 1 and not w.isdigit() and " " not in w)


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_unicode_folds_it(text: str) -> None:
    assert normalize(text) == unicodedata.normalize("NFKC", text).casefold()


def test_term_cache_stays_bounded_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_analysis, "_CACHED_WORDS", 2)
    stemmed: list[str] = []
    stemmer = Stemmer.Stemmer("english")

    def stem(word: str) -> str:
        stemmed.append(word)
        found: str = stemmer.stemWord(word)
        return found

    cache = _analysis._TermCache(SimpleNamespace(stemWord=stem))
    words = ["Running", "cafés", "educational", "Running", "Iran’s", "cafés"]
    assert [cache[w] for w in words] == ["run", "cafe", "educ", "run", "iran", "cafe"]
    assert len(cache) <= 2
    assert len(cache._previous) <= 2
    # "Running" came back from the previous generation; "cafés" was dropped with it
    assert stemmed == ["running", "cafes", "educational", "iran's", "cafes"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("e\u0301cole", "école"),  # NFD in the file, NFC typed
        ("zero\u200bwidthword", "zerowidthword"),
        ("soft\u00adhyphen", "softhyphen"),
        ("jo\u200dined", "joined"),
        ("b\ufeffom", "bom"),
        ("كَتَبَ", "كتب"),  # Arabic harakat
        ("كــتب", "كتب"),  # tatweel
    ],
)
def test_a_word_written_with_marks_or_invisible_characters_is_the_word(
    written: str, typed: str
) -> None:
    assert terms_of(written) == terms_of(typed)
    text = f"x {written} y"
    (token,) = list(tokens(text))[1:2]
    assert text[token.start : token.end] == written  # offsets into the text as written


def test_emoji_are_terms_and_other_scripts_keep_their_marks() -> None:
    assert terms_of("launch 🚀 now") == ["launch", "🚀", "now"]
    assert terms_of("हिन्दी") == ["हिन्दी"]  # vowel signs are part of the letters
    assert terms_of("パン") != terms_of("ハン")  # so is kana voicing
    assert terms_of("Ωμέγα Привет") == ["ωμεγα", "привет"]  # Greek and Cyrillic fold


_SCRIPTS = st.sampled_from(
    ["école", "naïve", "Ωμέγα", "Ёлка", "كَتَبَ", "हिन्दी", "パン", "Straße", "Ærø", "ñandú"]
)


@given(_SCRIPTS, st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]))
def test_a_word_in_any_canonical_form_is_one_term(word: str, form: str) -> None:
    written = unicodedata.normalize(form, word)  # type: ignore[arg-type]
    assert terms_of(written) == terms_of(word)


def test_a_language_stems_and_stops_its_own_words() -> None:
    assert terms_of("Häuser und Haus") == ["hauser", "und", "haus"]  # English: no match
    with _analysis.using("german"):
        assert terms_of("Häuser und Haus") == ["haus", "und", "haus"]
        assert "und" in _analysis.stop_terms()
    assert _analysis.term("Häuser") == "hauser"  # back to English after the block
    assert "the" in _analysis.stop_words()


@given(st.text(st.characters(max_codepoint=127)))
def test_an_ascii_text_has_the_words_the_full_pattern_finds(text: str) -> None:
    full = [m.span() for m in _analysis._WORD.finditer(text)]
    assert [m.span() for m in _analysis._ASCII_WORD.finditer(text)] == full


TRICKY = "ab ’'ʼ‘\u0301\u200b\u00ad.-🎉\ufe0fé1_"


@given(st.text(TRICKY, max_size=40), st.sets(st.integers(0, 40)))
@example("🎉\ufe0f1🎉", {0, 1})  # a symbol is a word whatever stands beside it
@settings(max_examples=400)
def test_places_are_the_words_typed_as_asked(text: str, picked: set[int]) -> None:
    counts = _analysis.word_counts(text)
    listed = sorted(counts)
    typed = {listed[at] for at in picked if at < len(listed)}
    asked = {word: counts[word] for word in typed}
    every = [(m.start(), m.end()) for m in _analysis._WORD.finditer(text) if m.group() in typed]
    assert _analysis.places(text, asked) == every

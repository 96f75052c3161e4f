from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from whoosh import formats

from seedindex._engine import PassagePositions, _schema


@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=50, unique=True).map(sorted))
def test_positions_round_trip_and_whoosh_reads_the_frequency(positions: list[int]) -> None:
    encoded = PassagePositions().encode(positions)
    assert PassagePositions().decode_positions(encoded) == positions
    assert PassagePositions().decode_frequency(encoded) == len(positions)


def test_positions_match_whoosh_for_the_same_text() -> None:
    text = "Aid convoys and aid workers: aid, aid's convoy"
    schema = _schema()
    ours = list(schema["text"].format.word_values(text, schema["text"].analyzer))
    theirs = list(formats.Positions().word_values(text, schema["text"].analyzer))
    assert [(t, n, w) for t, n, w, _ in ours] == [(t, n, w) for t, n, w, _ in theirs]
    decode = formats.Positions().decode_positions
    ours_positions = [PassagePositions().decode_positions(v) for *_, v in ours]
    assert ours_positions == [decode(v) for *_, v in theirs]

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from seedindex.sources import SourceFile
from seedindex.store import manifest as _manifest
from seedindex.store.manifest import Entry, Remembered, Seen, Unchanged

NAMES = st.lists(st.text("abc/\t\\", min_size=1, max_size=4), unique=True, max_size=30)


def _line(path: str, passages: int) -> str:
    escaped = path.replace("\\", "\\\\").replace("\t", "\\t")
    return f"{escaped}\t{len(path)}\t7\tsha\t{passages}\n"


@given(NAMES, NAMES, st.data())
def test_replay_gives_each_change_in_place_and_the_lines_between_as_they_are(
    listed: list[str], new: list[str], data: st.DataObject
) -> None:
    listed, new = sorted(listed), sorted(set(new) - set(listed))
    changed = sorted(data.draw(st.sets(st.sampled_from(listed))) if listed else set())
    removed = set(data.draw(st.sets(st.sampled_from(listed)))) - set(changed) if listed else set()
    lines = [_line(path, number) for number, path in enumerate(listed)]
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=len(lines), max_size=len(lines)))
    chunks, at = [], 0
    for size in sizes:
        if at < len(lines):
            chunks.append(lines[at : at + size])
            at += size
    suspects = tuple(SourceFile(p, p, 1, 1) for p in sorted([*changed, *new]))
    known = {p: Entry(len(p), 7, "sha", listed.index(p)) for p in [*changed, *removed]}
    remembered = Remembered(suspects, frozenset(removed), known, ("unread",), {})

    given_out: list[tuple[str, ...]] = []
    for item in _manifest.replay(chunks, remembered):
        if isinstance(item, Unchanged):
            assert item.files == item.text.count("\n")
            assert item.passages == sum(int(x.rsplit("\t", 1)[1]) for x in item.text.splitlines())
            given_out.extend(("line", x) for x in item.text.splitlines(keepends=True))
        else:
            assert isinstance(item, Seen)
            given_out.append(("seen", item.path, str(item.source is None), str(item.known)))

    expected: list[tuple[str, ...]] = []
    for path in sorted({*listed, *new}):
        if path in changed or path in new:
            expected.append(("seen", path, "False", str(known.get(path))))
        elif path in removed:
            expected.append(("seen", path, "True", str(known[path])))
        else:
            expected.append(("line", lines[listed.index(path)]))
    expected.append(("seen", "unread", "True", "None"))
    assert given_out == expected

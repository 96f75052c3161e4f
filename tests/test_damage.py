"""Damaged index files (issue 19): every mutation of an index of ours is detected, and
the index is rebuilt from the seeds or refused with a clear message; never exit 70, never
a wrong answer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from seedindex._cli import EXIT_INTERNAL, main

TEXTS = {
    f"doc{n}.txt": f"Title {n}\n\napples and pears number {n}\n\nmore words {n}" for n in range(30)
}


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zero_block(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(min(64, len(data) - middle))
    path.write_bytes(bytes(data))


def _flip(position: float) -> Callable[[Path], None]:
    def flip(path: Path) -> None:
        data = bytearray(path.read_bytes())
        if data:
            data[int(len(data) * position)] ^= 0x5A
        path.write_bytes(bytes(data))

    return flip


MUTATIONS: dict[str, Callable[[Path], None]] = {
    "delete": Path.unlink,
    "truncate": _truncate,
    "zero-block": _zero_block,
    "flip-start": _flip(0.05),
    "flip-middle": _flip(0.5),
    "flip-end": _flip(0.95),
}


def _answer(seeds: Path, index_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        ["query", "apples", "-n", "50", "--seeds", str(seeds), "--index-dir", str(index_dir)]
    )
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("damage")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, text in TEXTS.items():
        (seeds / name).write_text(text)
    index_dir = root / "index"
    assert main(["build", "-q", "--seeds", str(seeds), "--index-dir", str(index_dir)]) == 0
    return seeds, index_dir


def index_files(index_dir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(index_dir))
        for p in index_dir.rglob("*")
        if p.is_file() and p.name != "write.lock" and p.name != "seedindex.json"
    )


def test_the_mutations_reach_every_kind_of_file(pristine: tuple[Path, Path]) -> None:
    names = index_files(pristine[1])
    assert "manifest.json" in names
    assert any(n.endswith(".toc") for n in names)
    assert any(n.endswith(".seg") for n in names)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_damaged_file_is_detected_and_the_answer_stays_right(
    pristine: tuple[Path, Path],
    tmp_path: Path,
    mutation: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeds, original = pristine
    capsys.readouterr()
    expected = _answer(seeds, original, capsys)
    assert expected[0] == 0
    for name in index_files(original):
        index_dir = tmp_path / f"{mutation}-{name.replace('/', '_')}"
        shutil.copytree(original, index_dir)
        MUTATIONS[mutation](index_dir / name)
        code, out = _answer(seeds, index_dir, capsys)
        assert code != EXIT_INTERNAL, f"{mutation} of {name}"
        assert (code, out) == expected, f"{mutation} of {name}"
        assert _answer(seeds, index_dir, capsys) == expected, f"{mutation} of {name}, again"


def _marker_mutations() -> dict[str, Callable[[Path], None]]:
    def replace_by_folder(path: Path) -> None:
        path.unlink()
        path.mkdir()
        (path / "x").write_text("x")

    def append_garbage(path: Path) -> None:
        path.write_bytes(path.read_bytes() + b"\xff garbage")

    return MUTATIONS | {"folder": replace_by_folder, "garbage": append_garbage}


@pytest.mark.parametrize("mutation", sorted(_marker_mutations()))
def test_a_damaged_marker_has_a_way_out(
    pristine: tuple[Path, Path], tmp_path: Path, mutation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds, original = pristine
    capsys.readouterr()
    expected = _answer(seeds, original, capsys)
    index_dir = tmp_path / "index"
    shutil.copytree(original, index_dir)
    _marker_mutations()[mutation](index_dir / "seedindex.json")
    where = ["--seeds", str(seeds), "--index-dir", str(index_dir)]
    code = main(["query", "apples", "-n", "50", *where])
    said = capsys.readouterr()
    if code == 0:  # the damage left a marker that still reads as ours
        assert said.out == expected[1]
        return
    assert code == 4
    assert "seedindex build --force" in said.err
    assert main(["build", "--force", "-q", *where]) == 0
    capsys.readouterr()
    assert _answer(seeds, index_dir, capsys) == expected


def test_force_never_takes_a_folder_that_is_not_an_index(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    seeds, _original = pristine
    users = tmp_path / "mine"
    users.mkdir()
    (users / "manifest.json").write_text("my own")
    (users / "thesis.txt").write_text("precious")
    assert main(["build", "--force", "-q", "--seeds", str(seeds), "--index-dir", str(users)]) == 4
    assert sorted(p.name for p in users.iterdir()) == ["manifest.json", "thesis.txt"]
    assert (users / "manifest.json").read_text() == "my own"


def test_a_block_of_zeros_anywhere_in_a_segment_is_found(
    pristine: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds, original = pristine
    capsys.readouterr()
    expected = _answer(seeds, original, capsys)
    segment = next(name for name in index_files(original) if name.endswith(".seg"))
    size = (original / segment).stat().st_size
    for at in range(256, size, max(1, size // 16)):
        index_dir = tmp_path / f"zeros-at-{at}"
        shutil.copytree(original, index_dir)
        path = index_dir / segment
        data = bytearray(path.read_bytes())
        data[at : at + 64] = bytes(len(data[at : at + 64]))
        path.write_bytes(bytes(data))
        assert _answer(seeds, index_dir, capsys) == expected, f"zeros at byte {at} of {size}"

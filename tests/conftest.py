from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

from seedindex import Config

# Properties are about behaviour, not speed: no per-example deadline (a busy CI machine
# would make them flaky).
settings.register_profile("seedindex", deadline=None)
settings.load_profile("seedindex")

REPO = Path(__file__).resolve().parent.parent
SEED_FILE = REPO / "seeds" / "000_843d840d5ed5f2d7.txt"

MakeCorpus = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user cache or inherits seedindex settings."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("SEEDINDEX_SEEDS", raising=False)
    monkeypatch.delenv("SEEDINDEX_INDEX_DIR", raising=False)


@pytest.fixture
def make_corpus(tmp_path: Path) -> MakeCorpus:
    """Write {relative path: text or bytes} under a fresh seeds folder and return it."""

    def make(files: Mapping[str, str | bytes]) -> Path:
        root = tmp_path / "seeds"
        root.mkdir(exist_ok=True)
        for name, content in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture(params=["whoosh", "memory"])
def config(request: pytest.FixtureRequest) -> Config:
    """Settings with each engine in turn: the query language, ranking, spelling and
    explanations must not depend on the engine."""
    return Config(engine=request.param)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

from seedindex import Config
from seedindex.errors import IndexDirError
from seedindex.serving.shard import ShardServer, server_program

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


@pytest.fixture(params=["whoosh", "memory", "xapian"])
def config(request: pytest.FixtureRequest) -> Config:
    """Settings with each engine in turn: the query language, ranking, spelling and
    explanations must not depend on the engine (for xapian: on two shards)."""
    if request.param == "xapian":
        servers: StartShards = request.getfixturevalue("start_shards")
        return Config(shards=[server.address for server in servers(2)])
    return Config(engine=request.param)


StartShards = Callable[[int], list[ShardServer]]


def need_shard_servers() -> None:
    """Skip a test without Xapian's server and bindings, unless under CI, which has them."""
    missing = []
    if server_program() is None:
        missing.append("xapian-tcpsrv (Debian's package xapian-tools)")
    if importlib.util.find_spec("xapian") is None:
        missing.append("Xapian's bindings (pip install 'seedindex[shards]')")
    if missing:
        message = "shard tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def start_shards(tmp_path: Path) -> Iterator[StartShards]:
    """Start N writable shard servers on free loopback ports (stopped after the test)."""
    need_shard_servers()
    started: list[ShardServer] = []

    def start(count: int) -> list[ShardServer]:
        servers = []
        for _ in range(count):
            folder = tmp_path / f"shard{len(started)}"
            for attempt in range(3):  # (another program may take a free port first)
                server = ShardServer(folder, free_port(), writable=True)
                try:
                    server.start()
                    break
                except IndexDirError:
                    if attempt == 2:
                        raise
            started.append(server)
            servers.append(server)
        return servers

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"

"""The shard engine on loopback shard servers: the local index's ranking, dead and
restarted shards, readers elsewhere, interrupted writers. (The query language's tests
run against it too: the ``config`` fixture.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedindex import Config, Index, Shard, ShardUnavailableError
from seedindex.engine import EngineWriter
from seedindex.errors import ConfigError, IndexDirError, IndexLockedError
from seedindex.serving.shard import ShardServer

from .conftest import REPO, MakeCorpus, StartShards, free_port, need_shard_servers

TOPICS = {
    "convoys": "Aid convoys reached the city. Convoys of trucks carried food and water.",
    "reports": "The report on humanitarian aid was published. Reports say aid arrived late.",
    "water": "Clean water is scarce; water trucks and wells are the main supply of water.",
    "schools": "Schools reopened after the storm. Teachers and pupils returned to schools.",
}


def corpus(copies: int = 6) -> dict[str, str]:
    """Files of mixed topics, some alike, in folders: ties, contexts and titles."""
    files = {}
    for number in range(copies):
        for name, text in TOPICS.items():
            other = list(TOPICS.values())[number % len(TOPICS)]
            body = f"{name.title()} {number}\n\n{text}\n\n{other}\n\nNote {number}: {text[:40]}.\n"
            files[f"{name}/{name}-{number}.md" if number % 2 else f"{name}-{number}.txt"] = body
    return files


QUERIES = [
    "aid convoys",
    "water trucks",
    "humanitarian aid report",
    '"water trucks"',
    "schools AND NOT storm",
    "repor*",
    "wat?r",
    "convoy~1",
    "title:schools",
    "path:water* trucks",
    "aid^3 water",
    "[sc TO sd]",
    "teachers pupils schools reopened",
]


@pytest.fixture
def servers(start_shards: StartShards) -> list[ShardServer]:
    return start_shards(3)


def _shards(servers: list[ShardServer], **settings: object) -> Config:
    return Config(shards=[server.address for server in servers], **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("feedback", [True, False])
def test_shards_rank_as_the_local_index(
    make_corpus: MakeCorpus, tmp_path: Path, servers: list[ShardServer], feedback: bool
) -> None:
    seeds = make_corpus(corpus())
    with (
        Index.open(seeds, index_dir=tmp_path / "local", config=Config(feedback=feedback)) as local,
        Index.open(
            seeds, index_dir=tmp_path / "sharded", config=_shards(servers, feedback=feedback)
        ) as sharded,
    ):
        assert sharded.stats().passages == local.stats().passages
        for text in QUERIES:
            for per_file in (None, 1):
                want = local.search(text, limit=20, per_file=per_file)
                got = sharded.search(text, limit=20, per_file=per_file)
                assert [(p.path, p.start) for p in got] == [(p.path, p.start) for p in want], text
                assert all(abs(g.score - w.score) < 1e-9 for g, w in zip(got, want, strict=True))
        best = local.search("aid convoys")[0]
        assert sharded.explain("aid convoys", best).score == pytest.approx(
            local.explain("aid convoys", best).score, abs=1e-9
        )
        similar = [(p.path, p.start) for p in sharded.similar(best)]
        assert similar == [(p.path, p.start) for p in local.similar(best)]
        assert sharded.passage_at(best.path, best.line) == local.passage_at(best.path, best.line)


def test_a_file_goes_to_one_shard_and_updates_reach_it(
    make_corpus: MakeCorpus, index_dir: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus(corpus(2))
    with Index.open(seeds, index_dir=index_dir, config=_shards(servers)) as ix:
        (seeds / "water-0.txt").write_text("Nothing but zebras here.\n", encoding="utf-8")
        (seeds / "convoys-0.txt").unlink()
        (seeds / "new.txt").write_text("A zebra crossing.\n", encoding="utf-8")
        report = ix.update()
        assert (report.added, report.changed, report.removed) == (1, 1, 1)
        assert {p.path for p in ix.search("zebra")} == {"water-0.txt", "new.txt"}
        assert not ix.search("path:convoys-0.txt")
        assert len(ix.search("zebra", per_file=1)) == 2


def test_a_reader_elsewhere_sees_each_commit(
    make_corpus: MakeCorpus, tmp_path: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus(corpus(2))
    config = _shards(servers)
    # A machine that only searches: its own (empty) index directory, no updates.
    with (
        Index.open(seeds, index_dir=tmp_path / "writer", config=config) as writer,
        Index.open(
            seeds, index_dir=tmp_path / "reader", config=config, auto_update=False
        ) as reader,
    ):
        assert not reader.search("zebra")
        (seeds / "zebra.txt").write_text("One zebra.\n", encoding="utf-8")
        writer.update()
        assert [p.path for p in reader.search("zebra")] == ["zebra.txt"]


def test_a_dead_shard_is_named_and_a_restarted_one_used_again(
    make_corpus: MakeCorpus, index_dir: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus(corpus(3))
    with Index.open(seeds, index_dir=index_dir, config=_shards(servers)) as ix:
        before = ix.search("water trucks")
        servers[1].stop()
        with pytest.raises(ShardUnavailableError) as raised:
            ix.search("water trucks")
        assert raised.value.shards == (servers[1].address,)
        assert raised.value.exit_code == 4
        servers[1].start()
        assert ix.search("water trucks") == before


def test_partial_answers_from_the_live_shards_with_a_warning(
    make_corpus: MakeCorpus,
    index_dir: Path,
    servers: list[ShardServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    seeds = make_corpus(corpus(3))
    with Index.open(seeds, index_dir=index_dir, config=_shards(servers)) as ix:
        everywhere = {p.path for p in ix.search("water", limit=100)}
    servers[0].stop()
    config = _shards(servers, on_shard_error="partial")
    with (
        caplog.at_level(logging.WARNING, logger="seedindex"),
        Index.open(seeds, index_dir=index_dir, config=config, auto_update=False) as ix,
    ):
        partial = ix.search("water", limit=100)
    found = {p.path for p in partial}
    assert found
    assert found < everywhere
    assert partial.missing_shards == (servers[0].address,)
    assert servers[0].address in caplog.text


def test_a_writer_killed_mid_update_is_finished_by_the_next(
    make_corpus: MakeCorpus, tmp_path: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus(corpus(3))
    config = _shards(servers)
    index_dir = tmp_path / "index"
    with Index.open(seeds, index_dir=index_dir, config=config):
        pass
    for path in list(seeds.rglob("*.txt"))[:6]:
        path.write_text("Every zebra was rewritten.\n", encoding="utf-8")
    # Another process updates and is killed after a few passages are sent.
    script = textwrap.dedent(
        f"""
        import os, signal
        from seedindex import Config, Index
        from seedindex.engine.xapian import _write
        sent = []
        add = _write.ShardWriter.add
        def dying(self, document):
            add(self, document)
            sent.append(document)
            if len(sent) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        _write.ShardWriter.add = dying
        Index.open({str(seeds)!r}, index_dir={str(index_dir)!r}, shards={config.shards[0].address!r}
                   + ",{servers[1].address},{servers[2].address}")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, check=False)
    assert done.returncode == -9
    with Index.open(seeds, index_dir=index_dir, config=config) as ix:
        assert ix.last_write is not None
        assert ix.last_write.full
        with Index.open(seeds, index_dir=tmp_path / "fresh") as fresh:
            for text in ("zebra", "water trucks", "schools"):
                want = [(p.path, p.start) for p in fresh.search(text, limit=50)]
                assert [(p.path, p.start) for p in ix.search(text, limit=50)] == want


def test_one_writer_a_shard(servers: list[ShardServer]) -> None:
    from seedindex.engine.xapian import ShardEngine

    engine = ShardEngine(_shards(servers, lock_timeout=0.2))
    first = engine.writer(files=1)
    try:
        with pytest.raises(IndexLockedError):
            engine.writer(files=1)
    finally:
        first.cancel()
        engine.close()


def test_a_writer_waits_for_the_one_before_to_let_go(
    servers: list[ShardServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedindex.engine.xapian import ShardEngine, _connect

    refused = threading.Event()

    def sleep(seconds: float) -> None:
        refused.set()
        time.sleep(seconds)

    monkeypatch.setattr(
        _connect, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=sleep)
    )
    engine = ShardEngine(_shards(servers, lock_timeout=60))
    first = engine.writer(files=1)
    second: list[EngineWriter] = []
    waiting = threading.Thread(target=lambda: second.append(engine.writer(files=1)))
    waiting.start()
    assert refused.wait(60)
    first.cancel()
    waiting.join()
    try:
        assert len(second) == 1
    finally:
        for writer in second:
            writer.cancel()
        engine.close()


def test_shards_given_in_another_order_are_refused(
    make_corpus: MakeCorpus, tmp_path: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus(corpus(1))
    with Index.open(seeds, index_dir=tmp_path / "a", config=_shards(servers)):
        pass
    with pytest.raises(ConfigError, match="in the order they were written"):
        Index.open(seeds, index_dir=tmp_path / "b", config=_shards(servers[::-1]))


def test_shards_come_from_the_environment(
    make_corpus: MakeCorpus,
    index_dir: Path,
    servers: list[ShardServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEEDINDEX_SHARDS", ",".join(server.address for server in servers))
    with Index.open(make_corpus(corpus(1)), index_dir=index_dir) as ix:
        assert ix.config.engine == "xapian"
        assert len(ix.config.shards) == 3


@pytest.mark.parametrize(
    "shards",
    ["nowhere", "host:0", "host:99999", ":80", ""],
)
def test_bad_shard_addresses_are_refused(shards: str) -> None:
    with pytest.raises(ConfigError):
        Config(shards=shards) if shards else Config(engine="xapian")


def test_a_shard_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    need_shard_servers()
    with pytest.raises(IndexDirError, match="no shard database"):
        ShardServer(tmp_path / "none", free_port()).start()
    with (
        ShardServer(tmp_path / "one", free_port(), writable=True) as running,
        pytest.raises(IndexDirError, match="in use"),
    ):
        ShardServer(tmp_path / "two", running.port, writable=True).start()


def test_the_command_serves_a_shard_until_stopped(tmp_path: Path, make_corpus: MakeCorpus) -> None:
    need_shard_servers()
    port = free_port()
    command = [sys.executable, "-m", "seedindex", "shard", "serve", str(tmp_path / "db")]
    with subprocess.Popen(
        [*command, "--port", str(port), "--writable"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as server:
        assert server.stdout is not None
        try:
            assert "serving writable shard" in server.stdout.readline()
            found = _cli(
                "query",
                "convoys",
                "--shards",
                f"127.0.0.1:{port}",
                "--seeds",
                str(make_corpus(corpus(1))),
                "--index-dir",
                str(tmp_path / "ix"),
            )
            assert found.returncode == 0, found.stderr
            assert "convoys-0.txt" in found.stdout
        finally:
            server.terminate()
            assert server.wait(30) == 0
    gone = _cli(
        "query",
        "convoys",
        "--shards",
        f"127.0.0.1:{port}",
        "--seeds",
        str(tmp_path),
        "--index-dir",
        str(tmp_path / "ix2"),
        "--no-update",
    )
    assert gone.returncode == 4
    assert f"127.0.0.1:{port} did not answer" in gone.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "seedindex", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@given(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=200),
    st.integers(0, 10**9),
    st.one_of(st.none(), st.integers(1, 5000)),
)
def test_a_passage_comes_back_from_its_value_as_it_went_in(
    text: str, start: int, page: int | None
) -> None:
    pytest.importorskip("xapian")
    from seedindex.engine import NewDocument, NewPassage
    from seedindex.engine.xapian._layout import PASSAGE_SLOT, documents, stored

    passage = NewPassage(start, start + len(text), 3, 9, text, "ctx", "Sec", page)
    (document,) = documents(NewDocument("dir/ü b.txt", "T", (), [passage]), "batch")
    back = stored(document.get_value(PASSAGE_SLOT))
    assert (back.path, back.start, back.end, back.text, back.section, back.page) == (
        "dir/ü b.txt",
        start,
        start + len(text),
        text,
        "Sec",
        page,
    )


def test_a_replica_is_read_first_and_the_shard_itself_when_it_is_gone(
    make_corpus: MakeCorpus, tmp_path: Path, start_shards: StartShards
) -> None:
    import shutil

    (primary,) = start_shards(1)
    seeds = make_corpus(corpus(2))
    with Index.open(seeds, index_dir=tmp_path / "writer", shards=[primary.address]) as writer:
        before = writer.search("water trucks")
    shutil.copytree(primary.folder, tmp_path / "copy")  # what xapian-replicate keeps
    replica = ShardServer(tmp_path / "copy", free_port())
    shard = Shard(primary.address, replicas=(replica.address,))
    with replica:
        primary.stop()
        with Index.open(
            seeds, index_dir=tmp_path / "reader", shards=[shard], auto_update=False
        ) as ix:
            assert ix.search("water trucks") == before
    primary.start()
    with Index.open(seeds, index_dir=tmp_path / "reader", shards=[shard], auto_update=False) as ix:
        assert ix.search("water trucks") == before


def test_a_hung_shard_times_out_and_answers_again_when_it_wakes(
    make_corpus: MakeCorpus, index_dir: Path, servers: list[ShardServer]
) -> None:
    import signal

    seeds = make_corpus(corpus(2))
    config = _shards(servers, shard_timeout=0.3, shard_connect_timeout=0.3)
    with Index.open(seeds, index_dir=index_dir, config=config) as ix:
        before = ix.search("water trucks")
        hung = servers[2]
        group = os.getpgid(_pid(hung))
        os.killpg(group, signal.SIGSTOP)
        try:
            with pytest.raises(ShardUnavailableError) as raised:
                ix.search("water trucks")
            assert raised.value.shards == (hung.address,)
        finally:
            os.killpg(group, signal.SIGCONT)
        assert ix.search("water trucks") == before


def _pid(server: ShardServer) -> int:
    process = server._process
    assert process is not None
    return process.pid


def test_ranges_and_patterns_reach_words_of_other_scripts(
    make_corpus: MakeCorpus, tmp_path: Path, servers: list[ShardServer]
) -> None:
    seeds = make_corpus({"a.txt": "αλφα βήτα γάμμα ærø жизнь", "b.txt": "δέλτα βητα zoo"})
    with (
        Index.open(seeds, index_dir=tmp_path / "local") as local,
        Index.open(seeds, index_dir=tmp_path / "sharded", config=_shards(servers)) as sharded,
    ):
        for text in ("[βητα TO δ]", "{α TO γ}", "β*", "*α", "γ?μμα", "[ж TO жя]"):
            want = [(p.path, p.start, p.terms) for p in local.search(text)]
            assert want, text
            assert [(p.path, p.start, p.terms) for p in sharded.search(text)] == want, text

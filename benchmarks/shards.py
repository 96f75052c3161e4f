"""The local index against the same folder on remote Xapian shards (issue 16).

    python benchmarks/shards.py [--corpus DIR] [--scale 1,10] [--shards 4] [--queries N]

Needs ``xapian-tcpsrv`` (Debian's xapian-tools) and the shards extra. For each scale,
the collection is written as one file per document (N copies with distinct ids), N
shard servers are started on loopback (``seedindex.serving.shard.ShardServer``), and
the folder is built twice through the public API: into a local (Whoosh) index and onto
the shards. Then every query of the collection is run against both, with feedback on
and off, at the default limit of 10: the top-10 passages compared (same passages in
the same order, every score within 1e-9) and each search timed, warm (p50/p95).
Prints a table a scale and writes benchmarks/results/shards-<corpus>-x<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
from _corpora import RESULTS, SHARED, write_seeds
from relevance import load_queries

from seedindex import Config, Index, Passage
from seedindex.serving.shard import ShardServer

TOLERANCE = 1e-9


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def same(local: list[Passage], sharded: list[Passage]) -> bool:
    return [(p.path, p.start) for p in local] == [(p.path, p.start) for p in sharded] and all(
        abs(a.score - b.score) <= TOLERANCE for a, b in zip(local, sharded, strict=True)
    )


def measure(corpus: Path, scale: int, shards: int, queries: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="seedindex-shards-") as work:
        root = Path(work)
        seeds = root / "seeds"
        write_seeds(corpus, seeds, scale)
        servers = [
            ShardServer(root / f"shard{number}", free_port(), writable=True)
            for number in range(shards)
        ]
        for server in servers:
            server.start()
        try:
            return _measured(root, seeds, servers, queries)
        finally:
            for server in servers:
                server.stop()


def _measured(
    root: Path, seeds: Path, servers: list[ShardServer], queries: list[str]
) -> dict[str, Any]:
    result: dict[str, Any] = {"passages": 0, "build_s": {}, "runs": {}}
    opened: dict[str, Index] = {}
    for name, config in (
        ("local", Config()),
        ("shards", Config(shards=[server.address for server in servers])),
    ):
        began = time.perf_counter()
        opened[name] = Index.open(seeds, index_dir=root / name, config=config)
        result["build_s"][name] = time.perf_counter() - began
    try:
        result["passages"] = opened["local"].stats().passages
        for feedback in (True, False):
            runs = {
                name: Index.open(seeds, index_dir=root / name, config=config, auto_update=False)
                for name, ix in opened.items()
                if (config := attrs.evolve(ix.config, feedback=feedback))
            }
            try:
                result["runs"][f"feedback={'on' if feedback else 'off'}"] = _compared(runs, queries)
            finally:
                for ix in runs.values():
                    ix.close()
    finally:
        for ix in opened.values():
            ix.close()
    return result


def _compared(runs: dict[str, Index], queries: list[str]) -> dict[str, Any]:
    for text in queries[:5]:  # warm caches and connections, as a long-lived process would
        for ix in runs.values():
            ix.search(text)
    times: dict[str, list[float]] = {name: [] for name in runs}
    identical, worst = 0, 0.0
    for text in queries:
        found = {}
        for name, ix in runs.items():
            began = time.perf_counter()
            found[name] = ix.search(text)
            times[name].append(time.perf_counter() - began)
        local, sharded = found["local"], found["shards"]
        identical += same(local, sharded)
        differences = (abs(a.score - b.score) for a, b in zip(local, sharded, strict=False))
        worst = max([worst, *differences])
    return {
        "queries": len(queries),
        "identical_top10": identical,
        "max_score_difference": worst,
        **{f"{name}_p50_ms": percentile(t, 0.5) for name, t in times.items()},
        **{f"{name}_p95_ms": percentile(t, 0.95) for name, t in times.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "scifact")
    parser.add_argument("--scale", default="1", help="copies of the collection, e.g. 1,10")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=None, help="the first N queries only")
    args = parser.parse_args()
    queries = list(load_queries(args.corpus).values())[: args.queries]
    for scale in map(int, args.scale.split(",")):
        result = measure(args.corpus, scale, args.shards, queries)
        result.update(corpus=args.corpus.name, scale=scale, shards=args.shards)
        result["machine"] = f"{platform.machine()}, {platform.python_version()}"
        print(f"\n{args.corpus.name} x{scale}: {result['passages']} passages, {args.shards} shards")
        built = result["build_s"]
        print(f"build: local {built['local']:.1f} s, shards {built['shards']:.1f} s")
        for run, row in result["runs"].items():
            print(
                f"{run}: identical top-10 {row['identical_top10']}/{row['queries']} "
                f"(max |score difference| {row['max_score_difference']:.1e}); "
                f"p50/p95 local {row['local_p50_ms']:.1f}/{row['local_p95_ms']:.1f} ms, "
                f"shards {row['shards_p50_ms']:.1f}/{row['shards_p95_ms']:.1f} ms"
            )
        out = RESULTS / f"shards-{args.corpus.name}-x{scale}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

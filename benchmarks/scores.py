"""A search's scores kept in arrays (numpy, ``seedindex[fast]``) against kept in a dict,
on one index, in one process: the query latencies of each, taking turns, and whether
every query gave the same passages and scores.

    python benchmarks/scores.py [--scale 10] [--rounds 2]

Each round runs the queries once with each table (the first sight of each query's
words in that round: a snapshot keeps what it read), at limit 10 with highlights and
at limit 1000 with the passages' text, as ``speed.py`` does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _corpora import SHARED, write_seeds
from speed import load_queries

from seedindex import Index
from seedindex.ranking import _arrays


def run(seeds: Path, index_dir: Path, queries: list[str], limit: int) -> tuple[float, list[Any]]:
    """The p50 ms of the queries on a freshly opened index, and what each found."""
    found, times = [], []
    with Index.open(seeds, index_dir=index_dir, auto_update=False) as ix:
        for text in queries[:5]:
            ix.search(text, limit=limit)  # warm the way a long-lived process would
        for text in queries:
            began = time.perf_counter()
            passages = ix.search(text, limit=limit)
            for passage in passages:
                passage.highlights if limit <= 10 else passage.text  # noqa: B018
            times.append(1000 * (time.perf_counter() - began))
            found.append([(p.path, p.start, p.score) for p in passages])
    times.sort()
    return times[len(times) // 2], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "scifact")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if _arrays.norms_array([0.0], 0) is None:
        sys.exit("numpy is not installed: pip install 'seedindex[fast]'")
    queries = load_queries(args.corpus, None)
    with tempfile.TemporaryDirectory(prefix="seedindex-scores-") as tmp:
        seeds, index_dir = Path(tmp) / "seeds", Path(tmp) / "index"
        write_seeds(args.corpus, seeds, args.scale)
        with Index.open(seeds, index_dir=index_dir) as ix:
            passages = ix.stats().passages
        print(f"{args.corpus.name} x{args.scale}: {passages} passages, {len(queries)} queries")
        everywhere = _arrays.ARRAYS_FROM
        for limit in (10, 1000):
            results: dict[str, list[Any]] = {}
            for round_ in range(args.rounds):
                for table, least in (("dict", passages + 1), ("arrays", everywhere)):
                    _arrays.ARRAYS_FROM = least
                    p50, results[table] = run(seeds, index_dir, queries, limit)
                    print(f"  limit {limit}, round {round_ + 1}, {table:6}: p50 {p50:.1f} ms")
            same = results["dict"] == results["arrays"]
            print(f"  limit {limit}: same passages and scores for every query: {same}")
            if not same:
                sys.exit(1)


if __name__ == "__main__":
    main()

"""Speed of seedindex beside raw Whoosh and SQLite FTS5, in one run (issue 6).

    python benchmarks/speed.py [--corpus DIR] [--scale N] [--queries N] [--builds N]

The collection is written as one file per document (``--scale N``: N copies with
distinct ids). seedindex indexes the folder; raw Whoosh (StemmingAnalyzer, default
writer) and FTS5 (``porter unicode61``) index the very passages seedindex made. For
each: build time (in a fresh child process, with its peak memory; the median of
``--builds`` builds, 3 unless told, the systems taking turns), throughput, index size,
and warm query latency over the collection's queries (limit 10) with and without
highlights. Then the cold one-shot CLI query on the bundled seed against the floors
``python -c pass`` and ``python -c "import whoosh.index, whoosh.qparser"``. Prints a
table and writes benchmarks/results/speed-<corpus>-x<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _corpora import RESULTS, SHARED, write_seeds
from _memory import run_sampled

HERE = RESULTS.parent

# --- the three builds, each run in a child process: python speed.py --child KIND SEEDS OUT


def build_seedindex(seeds: Path, out: Path) -> None:
    from seedindex import Index

    with Index.open(seeds, index_dir=out, auto_update=False) as ix:
        stats = ix.stats()
    print(json.dumps({"passages": stats.passages}))


def passages_of(seeds: Path) -> list[tuple[str, str]]:
    """The (path, text) passages seedindex makes of the seeds folder."""
    from seedindex import Config
    from seedindex.documents import parse, passages

    words = Config().max_passage_words
    found = []
    for path in sorted(seeds.iterdir()):
        document = parse(path.name, path.read_bytes(), 1 << 30)
        spans = passages(document, words)
        found += [(path.name, document.text[s.start : s.end]) for s in spans]
    return found


def build_whoosh(seeds: Path, out: Path) -> None:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    passages = passages_of(seeds)
    schema = fields.Schema(
        text=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True), path=fields.ID(stored=True)
    )
    out.mkdir()
    began = time.perf_counter()
    writer = index.create_in(str(out), schema).writer()
    for path, text in passages:
        writer.add_document(text=text, path=path)
    writer.commit()
    print(json.dumps({"passages": len(passages), "index_seconds": time.perf_counter() - began}))


def build_fts5(seeds: Path, out: Path) -> None:
    import sqlite3

    passages = passages_of(seeds)
    began = time.perf_counter()
    db = sqlite3.connect(out)
    db.execute(
        "CREATE VIRTUAL TABLE p USING fts5(text, path UNINDEXED, tokenize='porter unicode61')"
    )
    db.executemany("INSERT INTO p (text, path) VALUES (?, ?)", [(t, p) for p, t in passages])
    db.commit()
    db.close()
    print(json.dumps({"passages": len(passages), "index_seconds": time.perf_counter() - began}))


BUILDERS = {"seedindex": build_seedindex, "whoosh": build_whoosh, "fts5": build_fts5}


def child_build(kind: str, seeds: Path, out: Path) -> dict[str, float]:
    """Run one build in a fresh process; its wall time, peak memory and what it printed.

    Peak memory is of the whole process tree (``_memory``); without /proc, the child's
    own peak plus its largest worker's.
    """
    began = time.perf_counter()
    printed, peak = run_sampled(
        [sys.executable, __file__, "--child", kind, str(seeds), str(out)],
        env={**_as_installed(), "PYTHONPATH": str(HERE)},
    )
    seconds = time.perf_counter() - began
    lines = printed.strip().splitlines()
    result: dict[str, float] = json.loads(lines[-2])
    result["peak_memory_mb"] = peak or float(lines[-1])
    result["build_seconds"] = seconds
    result["index_mb"] = _size(out) / 1e6
    return result


def build_all(seeds: Path, work: Path, runs: int) -> dict[str, dict[str, float]]:
    """Each system's build ``runs`` times, taking turns (a machine's drift then touches
    all three alike): the median time, the highest peak memory, every time, and what
    the last build printed. The last builds stay in ``work`` for the queries."""
    found: dict[str, list[dict[str, float]]] = {kind: [] for kind in BUILDERS}
    for _ in range(runs):
        for kind, builds in found.items():
            out = work / f"{kind}-index"
            if out.is_dir():
                shutil.rmtree(out)
            out.unlink(missing_ok=True)
            builds.append(child_build(kind, seeds, out))
    return {kind: _summary(builds) for kind, builds in found.items()}


def _summary(builds: list[dict[str, float]]) -> dict[str, Any]:
    times = [build["build_seconds"] for build in builds]
    return {
        **builds[-1],
        "build_seconds": statistics.median(times),
        "build_seconds_runs": times,
        "peak_memory_mb": max(build["peak_memory_mb"] for build in builds),
    }


def _as_installed() -> dict[str, str]:
    """This environment, but free to cache bytecode as ``pip install`` does.

    (With PYTHONDONTWRITEBYTECODE, a source checkout would compile seedindex's modules
    in every process while Whoosh's installed bytecode is ready.)
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- warm queries ----------------------------------------------------------------


def load_queries(corpus: Path, count: int | None) -> list[str]:
    with open(corpus / "queries.jsonl", encoding="utf-8") as lines:
        queries = [json.loads(line)["text"] for line in lines]
    return queries[:count] if count else queries


def timed(run_query, queries: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for text in queries[:5]:
        run_query(text)  # warm caches the way a long-lived process would
    times = []
    for text in queries:
        began = time.perf_counter()
        run_query(text)
        times.append(1000 * (time.perf_counter() - began))
    times.sort()
    return {"p50_ms": times[len(times) // 2], "p95_ms": times[int(len(times) * 0.95)]}


def query_seedindex(seeds: Path, out: Path, queries: list[str]) -> dict[str, float]:
    from seedindex import Index

    with Index.open(seeds, index_dir=out, auto_update=False) as ix:
        with_highlights = timed(lambda q: ix.search(q, limit=10), queries)
    return {f"highlights_{k}": v for k, v in with_highlights.items()}


def query_whoosh(out: Path, queries: list[str]) -> dict[str, float]:
    from whoosh import index, qparser

    ix = index.open_dir(str(out))
    parser = qparser.QueryParser("text", ix.schema, group=qparser.OrGroup)
    syntax = re.compile(r"[^\w\s]")
    with ix.searcher() as searcher:

        def plain(text: str) -> None:
            list(searcher.search(parser.parse(syntax.sub(" ", text)), limit=10))

        def highlighted(text: str) -> None:
            for hit in searcher.search(parser.parse(syntax.sub(" ", text)), limit=10):
                hit.highlights("text")

        result = {f"plain_{k}": v for k, v in timed(plain, queries).items()}
        result.update({f"highlights_{k}": v for k, v in timed(highlighted, queries).items()})
    ix.close()
    return result


def query_fts5(out: Path, queries: list[str]) -> dict[str, float]:
    import sqlite3

    db = sqlite3.connect(out)
    word = re.compile(r"\w+")

    def match(text: str) -> str:
        return " OR ".join(f'"{w}"' for w in word.findall(text)) or '""'

    def plain(text: str) -> None:
        db.execute(
            "SELECT path, text FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10", (match(text),)
        ).fetchall()

    def highlighted(text: str) -> None:
        db.execute(
            "SELECT path, snippet(p, 0, '[[', ']]', '...', 64) FROM p WHERE p MATCH ? "
            "ORDER BY bm25(p) LIMIT 10",
            (match(text),),
        ).fetchall()

    result = {f"plain_{k}": v for k, v in timed(plain, queries).items()}
    result.update({f"highlights_{k}": v for k, v in timed(highlighted, queries).items()})
    db.close()
    return result


# --- cold start -------------------------------------------------------------------


def cold(command: list[str], runs: int = 15) -> float:
    """Median wall time of a fresh process, in ms, with bytecode cached as a user has it."""
    env = _as_installed()
    subprocess.run(command, check=False, capture_output=True, env=env)  # writes the bytecode
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True, env=env)
        times.append(1000 * (time.perf_counter() - began))
    return statistics.median(times)


def cold_start(work: Path) -> dict[str, float]:
    env_index = str(work / "cold-index")
    # The installed command, as a user runs it (``python -m seedindex`` without one).
    script = Path(sys.executable).with_name("seedindex")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "seedindex"]
    cli = [*command, "query", "humanitarian aid", "--index-dir", env_index]
    subprocess.run(cli, check=True, capture_output=True)  # build the bundled seed's index once
    return {
        "python_pass_ms": cold([sys.executable, "-c", "pass"]),
        "import_whoosh_ms": cold([sys.executable, "-c", "import whoosh.index, whoosh.qparser"]),
        "seedindex_cli_ms": cold(cli),
    }


# --- report -----------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import resource

        kind, seeds, out = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        BUILDERS[kind](seeds, out)
        # The parallel build's workers are children: count the largest beside the parent.
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print((own + workers) / 1024)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "scifact")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--queries", type=int, help="only the first N queries")
    parser.add_argument(
        "--builds", type=int, default=3, help="builds of each system (the median is shown)"
    )
    args = parser.parse_args()
    queries = load_queries(args.corpus, args.queries)
    with tempfile.TemporaryDirectory(prefix="seedindex-speed-") as tmp:
        work = Path(tmp)
        seeds = work / "seeds"
        files = write_seeds(args.corpus, seeds, args.scale)
        megabytes = _size(seeds) / 1e6
        warm = "import seedindex._cli, seedindex.engine.whoosh._write, seedindex.sources"
        subprocess.run([sys.executable, "-c", warm], check=True, env=_as_installed())
        results = build_all(seeds, work, args.builds)
        for kind in BUILDERS:
            results[kind]["mb_per_s"] = megabytes / results[kind]["build_seconds"]
            results[kind]["passages_per_s"] = (
                results[kind]["passages"] / results[kind]["build_seconds"]
            )
        results["seedindex"].update(query_seedindex(seeds, work / "seedindex-index", queries))
        results["whoosh"].update(query_whoosh(work / "whoosh-index", queries))
        results["fts5"].update(query_fts5(work / "fts5-index", queries))
        startup = cold_start(work)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    report = {
        "corpus": args.corpus.name,
        "scale": args.scale,
        "files": files,
        "megabytes": megabytes,
        "queries": len(queries),
        "machine": machine,
        "results": results,
        "cold": startup,
    }
    print_table(report)
    RESULTS.mkdir(exist_ok=True)
    name = f"speed-{args.corpus.name}-x{args.scale}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")


def print_table(report: dict) -> None:  # type: ignore[type-arg]
    r = report["results"]
    s, w, f = r["seedindex"], r["whoosh"], r["fts5"]
    print(
        f"{report['corpus']} x{report['scale']}: {report['files']} files, "
        f"{report['megabytes']:.1f} MB, {s['passages']:.0f} passages, "
        f"{report['queries']} queries; {report['machine']}"
    )
    rows = [
        (f"build s (median of {len(s['build_seconds_runs'])})", "build_seconds", True),
        ("build MB/s", "mb_per_s", False),
        ("passages/s", "passages_per_s", False),
        ("peak memory MB (PSS)", "peak_memory_mb", True),
        ("index MB", "index_mb", True),
        ("query p50 ms, highlights", "highlights_p50_ms", True),
        ("query p95 ms, highlights", "highlights_p95_ms", True),
        ("query p50 ms, plain", "plain_p50_ms", True),
        ("query p95 ms, plain", "plain_p95_ms", True),
    ]
    print(f"| {'measure':26} | seedindex | raw Whoosh | FTS5 | seedindex/Whoosh | seedindex/FTS5 |")
    print("|---|---|---|---|---|---|")
    for label, key, _lower_is_better in rows:
        mine = s.get(key, s.get(key.replace("plain", "highlights")))
        theirs = [w.get(key), f.get(key)]
        cells = [_cell(v) for v in [mine, *theirs]]
        ratios = [_cell(mine / t) if mine and t else "" for t in theirs]
        print(f"| {label:26} | " + " | ".join(cells + ratios) + " |")
    c = report["cold"]
    ratio = c["seedindex_cli_ms"] / c["import_whoosh_ms"]
    print(
        f"cold CLI query on the bundled seed: {c['seedindex_cli_ms']:.0f} ms; floors: "
        f"python -c pass {c['python_pass_ms']:.0f} ms, import whoosh.index+qparser "
        f"{c['import_whoosh_ms']:.0f} ms (ratio {ratio:.2f})"
    )


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


if __name__ == "__main__":
    main()

"""Speed of seedindex beside raw Whoosh, SQLite FTS5 and tantivy, in one run (issues 6, 15).

    python benchmarks/speed.py [--corpus DIR] [--scale 1,10,20] [--queries N] [--builds N]

The collection is written as one file per document (``--scale N``: N copies with
distinct ids; several scales, comma-separated, are measured one after the other in
the same run). seedindex indexes the folder; raw Whoosh (StemmingAnalyzer, default
writer), FTS5 (``porter unicode61``) and tantivy (``en_stem``, when the ``tantivy``
package of the bench extra is there) index the very passages seedindex made. For
each: build time (in a fresh child process, with its peak memory; the median of
``--builds`` builds, 3 unless told, the systems taking turns), throughput, index size,
and warm query latency over the collection's queries at limit 10 (with highlights
where the system makes them) and at limit 1000 (the passages' text). For seedindex
also: the slowest of a set of expensive query forms (``x*``, ``*``, ``word~2``, long
wildcards, ranges) with the memory it took, and the time from editing a 3 MB file of
the folder to the next query's answer. Then the cold one-shot CLI query on the
bundled seed against the floors ``python -c pass`` and ``python -c "import
whoosh.index, whoosh.qparser"``. Prints a table a scale and writes
benchmarks/results/speed-<corpus>-x<scale>.json.
"""

from __future__ import annotations

import argparse
import contextlib
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

from _corpora import RESULTS, SHARED, documents, write_large_files, write_seeds
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


def build_tantivy(seeds: Path, out: Path) -> None:
    import tantivy

    passages = passages_of(seeds)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("path", stored=True, tokenizer_name="raw")
    out.mkdir()
    began = time.perf_counter()
    index = tantivy.Index(builder.build(), path=str(out))
    writer = index.writer()
    for path, text in passages:
        writer.add_document(tantivy.Document(text=text, path=path))
    writer.commit()
    writer.wait_merging_threads()
    print(json.dumps({"passages": len(passages), "index_seconds": time.perf_counter() - began}))


BUILDERS = {
    "seedindex": build_seedindex,
    "whoosh": build_whoosh,
    "fts5": build_fts5,
    "tantivy": build_tantivy,
}


def systems() -> list[str]:
    """The systems this machine can measure (tantivy only with the bench extra)."""
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return ["seedindex", "whoosh", "fts5"]
    return list(BUILDERS)


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
    found: dict[str, list[dict[str, float]]] = {kind: [] for kind in systems()}
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


def _both(run_query, queries: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Limit 10 (``highlights_``) and limit 1000 (``deep_``) latencies."""
    result = {f"highlights_{k}": v for k, v in timed(lambda q: run_query(q, 10), queries).items()}
    result.update({f"deep_{k}": v for k, v in timed(lambda q: run_query(q, 1000), queries).items()})
    return result


#: Query forms that cost the most: patterns over the whole vocabulary, far spellings.
EXPENSIVE = ["c*", "*", "protein~2", "a~99", "*a*e*i*", "?????*", "[a TO z]", "{a TO m}"]


def query_seedindex(seeds: Path, out: Path, queries: list[str]) -> dict[str, Any]:
    from seedindex import Index

    with Index.open(seeds, index_dir=out, auto_update=False) as ix:

        def run(text: str, limit: int) -> None:
            for passage in ix.search(text, limit=limit):
                if limit <= 10:
                    passage.highlights  # noqa: B018 (worked out when read)
                else:
                    passage.text  # noqa: B018

        result: dict[str, Any] = _both(run, queries)
        result["expensive"] = expensive(ix)
    result["edit_3mb_ms"] = edit_to_answer(seeds, out)
    return result


def expensive(ix: Any) -> dict[str, dict[str, float]]:
    """Each expensive form's time and the memory it took above what was in use."""
    found = {}
    for text in EXPENSIVE:
        _reset_peak()
        before = _rss_mb("VmRSS")
        began = time.perf_counter()
        ix.search(text, limit=10)
        found[text] = {
            "ms": 1000 * (time.perf_counter() - began),
            "memory_mb": max(0.0, _rss_mb("VmHWM") - before),
        }
    return found


def _reset_peak() -> None:
    """Let the process's peak memory start again from what it holds now (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_mb(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def edit_to_answer(seeds: Path, out: Path) -> float:
    """ms from editing a 3 MB file of the folder to the next query's answer: opening the
    index (which finds the change and updates it) and the query, the file indexed once
    before."""
    from seedindex import Index

    texts = [text for _id, _title, text in documents(SHARED / "scifact")]
    book = seeds / "big-book.txt"
    body = "\n\n".join(texts)
    book.write_text(body[:3_000_000], encoding="utf-8")
    with Index.open(seeds, index_dir=out) as ix:
        ix.search("protein")  # the new file indexed
    book.write_text(body[:3_000_000] + "\n\nA paragraph of zanzibarine words.\n")
    began = time.perf_counter()
    with Index.open(seeds, index_dir=out) as ix:  # as the next query would: it updates
        hits = ix.search("zanzibarine")
    elapsed = 1000 * (time.perf_counter() - began)
    book.unlink()
    if not hits or hits[0].path != book.name:
        raise SystemExit("the edited file's new words were not found")
    return elapsed


def query_whoosh(out: Path, queries: list[str]) -> dict[str, float]:
    from whoosh import index, qparser

    ix = index.open_dir(str(out))
    parser = qparser.QueryParser("text", ix.schema, group=qparser.OrGroup)
    syntax = re.compile(r"[^\w\s]")
    with ix.searcher() as searcher:

        def run(text: str, limit: int) -> None:
            for hit in searcher.search(parser.parse(syntax.sub(" ", text)), limit=limit):
                hit.highlights("text") if limit <= 10 else hit["text"]

        result = _both(run, queries)
    ix.close()
    return result


def query_fts5(out: Path, queries: list[str]) -> dict[str, float]:
    import sqlite3

    db = sqlite3.connect(out)
    word = re.compile(r"\w+")

    def match(text: str) -> str:
        return " OR ".join(f'"{w}"' for w in word.findall(text)) or '""'

    def run(text: str, limit: int) -> None:
        shown = "snippet(p, 0, '[[', ']]', '...', 64)" if limit <= 10 else "text"
        db.execute(
            f"SELECT path, {shown} FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?",
            (match(text), limit),
        ).fetchall()

    result = _both(run, queries)
    db.close()
    return result


def query_tantivy(out: Path, queries: list[str]) -> dict[str, float]:
    import tantivy

    index = tantivy.Index.open(str(out))
    searcher = index.searcher()
    word = re.compile(r"\w+")

    def run(text: str, limit: int) -> None:
        query = index.parse_query(" ".join(word.findall(text)) or "nothing", ["text"])
        for _score, address in searcher.search(query, limit).hits:
            searcher.doc(address)["text"]

    return _both(run, queries)


QUERIERS = {"whoosh": query_whoosh, "fts5": query_fts5, "tantivy": query_tantivy}


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
    parser.add_argument("--scale", default="1", help="copies of the collection: N or N,M,...")
    parser.add_argument("--queries", type=int, help="only the first N queries")
    parser.add_argument("--folder", type=Path, help="builds only, of this flat folder of files")
    parser.add_argument(
        "--large-files",
        action="store_true",
        help="builds only, of 100 large files made of 8 copies of the corpus",
    )
    parser.add_argument(
        "--builds", type=int, default=3, help="builds of each system (the median is shown)"
    )
    args = parser.parse_args()
    if args.folder:
        measure_folder(args.folder, args.builds)
        return
    if args.large_files:
        with tempfile.TemporaryDirectory(prefix="seedindex-large-") as tmp:
            folder = Path(tmp) / f"{args.corpus.name}-large-files"
            write_large_files(args.corpus, folder)
            measure_folder(folder, args.builds)
        return
    queries = load_queries(args.corpus, args.queries)
    reports = [
        measure(args.corpus, int(scale), queries, args.builds) for scale in args.scale.split(",")
    ]
    for report in reports:
        print_table(report)
        RESULTS.mkdir(exist_ok=True)
        name = f"speed-{args.corpus.name}-x{report['scale']}.json"
        (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    if len(reports) > 1:
        print_growth(reports)


def measure(corpus: Path, scale: int, queries: list[str], builds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="seedindex-speed-") as tmp:
        work = Path(tmp)
        seeds = work / "seeds"
        files = write_seeds(corpus, seeds, scale)
        megabytes = _size(seeds) / 1e6
        warm = "import seedindex._cli, seedindex.engine.whoosh._write, seedindex.sources"
        subprocess.run([sys.executable, "-c", warm], check=True, env=_as_installed())
        results = build_all(seeds, work, builds)
        for kind in results:
            results[kind]["mb_per_s"] = megabytes / results[kind]["build_seconds"]
            results[kind]["passages_per_s"] = (
                results[kind]["passages"] / results[kind]["build_seconds"]
            )
        for kind in results:
            out = work / f"{kind}-index"
            if kind == "seedindex":
                results[kind].update(query_seedindex(seeds, out, queries))
            else:
                results[kind].update(QUERIERS[kind](out, queries))
        startup = cold_start(work)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return {
        "corpus": corpus.name,
        "scale": scale,
        "files": files,
        "megabytes": megabytes,
        "queries": len(queries),
        "machine": machine,
        "numpy": _numpy_version(),
        "results": results,
        "cold": startup,
    }


def _numpy_version() -> str | None:
    """numpy's version, when installed (seedindex[fast]: a large index scored in arrays)."""
    try:
        import numpy
    except ImportError:
        return None
    return str(numpy.__version__)


def measure_folder(folder: Path, builds: int) -> None:
    """Each system's build of ``folder`` (a flat folder of files), as a table."""
    megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    with tempfile.TemporaryDirectory(prefix="seedindex-speed-") as tmp:
        results = build_all(folder, Path(tmp), builds)
    print(f"{folder.name}: {len(list(folder.iterdir()))} files, {megabytes:.1f} MB")
    mine = results["seedindex"]
    for kind, found in results.items():
        print(
            f"  {kind}: build {found['build_seconds']:.2f} s "
            f"({mine['build_seconds'] / found['build_seconds']:.2f}x of it), "
            f"peak memory {found['peak_memory_mb']:.0f} MB, index {found['index_mb']:.1f} MB"
        )


def print_growth(reports: list[dict[str, Any]]) -> None:
    """How query latency grows with the folder, beside tantivy's."""
    first = reports[0]
    print(f"growth from x{first['scale']} (query p50 at limit 10 / limit 1000):")
    for report in reports[1:]:
        cells = []
        for kind in ("seedindex", "tantivy"):
            if kind not in report["results"]:
                continue
            now, then = report["results"][kind], first["results"][kind]
            cells.append(
                f"{kind} {now['highlights_p50_ms'] / then['highlights_p50_ms']:.2f}x / "
                f"{now['deep_p50_ms'] / then['deep_p50_ms']:.2f}x"
            )
        print(f"  x{report['scale']}: " + "; ".join(cells))


def print_table(report: dict) -> None:  # type: ignore[type-arg]
    r = report["results"]
    s = r["seedindex"]
    others = [kind for kind in r if kind != "seedindex"]
    print(
        f"{report['corpus']} x{report['scale']}: {report['files']} files, "
        f"{report['megabytes']:.1f} MB, {s['passages']:.0f} passages, "
        f"{report['queries']} queries; {report['machine']}; "
        f"numpy {report['numpy'] or 'not installed (scores in dicts)'}"
    )
    rows = [
        (f"build s (median of {len(s['build_seconds_runs'])})", "build_seconds"),
        ("build MB/s", "mb_per_s"),
        ("passages/s", "passages_per_s"),
        ("peak memory MB (PSS)", "peak_memory_mb"),
        ("index MB", "index_mb"),
        ("query p50 ms, limit 10", "highlights_p50_ms"),
        ("query p95 ms, limit 10", "highlights_p95_ms"),
        ("query p50 ms, limit 1000", "deep_p50_ms"),
        ("query p95 ms, limit 1000", "deep_p95_ms"),
    ]
    names = " | ".join(others)
    ratios = " | ".join(f"seedindex/{kind}" for kind in others)
    print(f"| {'measure':26} | seedindex | {names} | {ratios} |")
    print("|---" * (2 + 2 * len(others)) + "|")
    for label, key in rows:
        mine = s.get(key)
        theirs = [r[kind].get(key) for kind in others]
        cells = [_cell(v) for v in [mine, *theirs]]
        shares = [_cell(mine / t) if mine and t else "" for t in theirs]
        print(f"| {label:26} | " + " | ".join(cells + shares) + " |")
    worst = max(s["expensive"].items(), key=lambda item: item[1]["ms"])
    memory = max(v["memory_mb"] for v in s["expensive"].values())
    print(
        f"expensive forms: slowest {worst[0]!r} {worst[1]['ms']:.0f} ms; most memory "
        f"{memory:.0f} MB; " + ", ".join(f"{k} {v['ms']:.0f}" for k, v in s["expensive"].items())
    )
    print(f"edit a 3 MB file, then query: {s['edit_3mb_ms']:.0f} ms to the answer")
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

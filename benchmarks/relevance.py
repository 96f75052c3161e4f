"""Ranking quality and query speed on a BEIR-format test collection (issue 5).

    python benchmarks/relevance.py [--corpus DIR] [--limit-queries N]

Writes the collection as one file per document (title, a blank line, text) into
a temporary seeds folder, indexes it through the public API, runs every query
through ``Index.search`` and reports nDCG@10 and Recall@100 (trec_eval's
definitions, through pytrec_eval) of the documents ranked by their best passage
(``per_file=1, limit=100``). Query time is measured first, as a user meets it:
``Index.search(text)`` with the default limit of 10 passages, highlights included,
each query the first time the open index sees it (mean, p50, p95). Only the
evaluation reads the relevance judgments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pytrec_eval
from _corpora import RESULTS, SHARED, doc_id, write_seeds

from seedindex import Config, Index


def load_queries(corpus: Path) -> dict[str, str]:
    with open(corpus / "queries.jsonl", encoding="utf-8") as lines:
        return {str(q["_id"]): q["text"] for q in map(json.loads, lines)}


def load_qrels(corpus: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(corpus / "qrels.tsv", encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            query_id, document, score = line.rstrip("\n").split("\t")
            qrels.setdefault(query_id, {})[document] = int(score)
    return qrels


def rank_documents(ix: Index, text: str) -> dict[str, float]:
    """The best 100 documents, each scored by its best passage."""
    return {doc_id(p.path): p.score for p in ix.search(text, limit=100, per_file=1)}


def evaluate(corpus: Path, limit_queries: int | None, semantic: bool = False) -> dict[str, float]:
    qrels = load_qrels(corpus)
    queries = {q: t for q, t in load_queries(corpus).items() if q in qrels}
    if limit_queries:
        queries = dict(list(queries.items())[:limit_queries])
    with tempfile.TemporaryDirectory(prefix="seedindex-relevance-") as work:
        seeds = Path(work) / "seeds"
        write_seeds(corpus, seeds)
        began = time.perf_counter()
        config = Config(semantic=semantic)
        with Index.open(seeds, index_dir=Path(work) / "index", config=config) as ix:
            build = time.perf_counter() - began
            times = []
            for text in list(queries.values())[:5]:
                ix.search(text)  # warm caches the way a long-lived process would
            for text in queries.values():  # each query timed the first time it is seen
                started = time.perf_counter()
                ix.search(text)
                times.append(time.perf_counter() - started)
            run = {query_id: rank_documents(ix, text) for query_id, text in queries.items()}
    evaluator = pytrec_eval.RelevanceEvaluator(
        {q: qrels[q] for q in queries}, {"ndcg_cut.10", "recall.100"}
    )
    per_query = evaluator.evaluate(run)
    times.sort()
    return {
        "queries": len(queries),
        "ndcg@10": statistics.mean(m["ndcg_cut_10"] for m in per_query.values()),
        "recall@100": statistics.mean(m["recall_100"] for m in per_query.values()),
        "query_ms_mean": 1000 * statistics.mean(times),
        "query_ms_p50": 1000 * times[len(times) // 2],
        "query_ms_p95": 1000 * times[int(len(times) * 0.95)],
        "build_s": build,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "scifact")
    parser.add_argument("--limit-queries", type=int, help="only the first N judged queries")
    parser.add_argument(
        "--semantic", action="store_true", help="also rank fused with the semantic signal"
    )
    args = parser.parse_args()
    result = evaluate(args.corpus, args.limit_queries)
    show(args.corpus.name, "lexical", result)
    if args.semantic:
        fused = evaluate(args.corpus, args.limit_queries, semantic=True)
        show(args.corpus.name, "semantic", fused)
        result = {**result, **{f"semantic_{k}": v for k, v in fused.items()}}
    if not args.limit_queries:
        RESULTS.mkdir(exist_ok=True)
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        out = RESULTS / f"relevance-{args.corpus.name}.json"
        out.write_text(json.dumps({"machine": machine, **result}, indent=2) + "\n")


def show(name: str, kind: str, result: dict[str, float]) -> None:
    print(
        f"{name} {kind}: {result['queries']} queries  "
        f"nDCG@10 {result['ndcg@10']:.3f}  R@100 {result['recall@100']:.3f}  "
        f"query ms mean {result['query_ms_mean']:.1f} p50 {result['query_ms_p50']:.1f} "
        f"p95 {result['query_ms_p95']:.1f}  (build {result['build_s']:.1f} s)"
    )


if __name__ == "__main__":
    main()

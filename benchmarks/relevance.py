"""Ranking quality and query speed on a BEIR-format test collection (issue 5).

    python benchmarks/relevance.py [--corpus DIR] [--limit-queries N] [--semantic]

Writes the collection as one file per document (title, a blank line, text) into
a temporary seeds folder, indexes it through the public API, runs every query
through ``Index.search`` and reports nDCG@10 and Recall@100 (trec_eval's
definitions, through pytrec_eval) of the documents ranked by their best passage
(``per_file=1, limit=100``). Query time is measured first, as a user meets it:
``Index.search(text)`` with the default limit of 10 passages, highlights included,
each query the first time the open index sees it (mean, p50, p95). Only the
evaluation reads the relevance judgments. ``--semantic`` (issue 18) also builds an
index with ``Config(semantic=True)`` and reports both rankings side by side, the two
timed query by query in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

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


def evaluate(corpus: Path, limit_queries: int | None, semantic: bool = False) -> dict[str, Any]:
    """The lexical ranking's measures (and with ``semantic``, the fused ranking's, under
    ``semantic``). With both, the two indexes are open together and each query is timed
    on both, the first time each sees it, taking turns at going first: the machine's
    drifting speed falls on both alike."""
    qrels = load_qrels(corpus)
    queries = {q: t for q, t in load_queries(corpus).items() if q in qrels}
    if limit_queries:
        queries = dict(list(queries.items())[:limit_queries])
    kinds = ["lexical", "semantic"] if semantic else ["lexical"]
    with tempfile.TemporaryDirectory(prefix="seedindex-relevance-") as work, ExitStack() as open_:
        seeds = Path(work) / "seeds"
        write_seeds(corpus, seeds)
        indexes, builds = {}, {}
        for kind in kinds:
            began = time.perf_counter()
            config = Config(semantic=kind == "semantic")
            indexes[kind] = open_.enter_context(
                Index.open(seeds, index_dir=Path(work) / kind, config=config)
            )
            builds[kind] = time.perf_counter() - began
        times = latencies(list(indexes.values()), list(queries.values()))
        runs = {
            kind: {query_id: rank_documents(ix, text) for query_id, text in queries.items()}
            for kind, ix in indexes.items()
        }
    result = measures(qrels, runs["lexical"], times[0], builds["lexical"])
    if semantic:
        fused = measures(qrels, runs["semantic"], times[1], builds["semantic"])
        result["semantic"] = fused
    return result


def latencies(indexes: list[Index], queries: list[str]) -> list[list[float]]:
    """Each index's time for each query (``Index.search(text)``, the default limit),
    the first time it sees it; the indexes take turns at going first."""
    for text in queries[:5]:
        for ix in indexes:
            ix.search(text)  # warm caches the way a long-lived process would
    times: list[list[float]] = [[] for _ix in indexes]
    for number, text in enumerate(queries):
        turn = range(len(indexes)) if number % 2 == 0 else reversed(range(len(indexes)))
        for at in turn:
            started = time.perf_counter()
            indexes[at].search(text)
            times[at].append(time.perf_counter() - started)
    return times


def quality(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """Mean nDCG@10 and Recall@100 of ``run`` (trec_eval's definitions)."""
    evaluator = pytrec_eval.RelevanceEvaluator(
        {q: qrels[q] for q in run}, {"ndcg_cut.10", "recall.100"}
    )
    per_query = evaluator.evaluate(run)
    return {
        "ndcg@10": statistics.mean(m["ndcg_cut_10"] for m in per_query.values()),
        "recall@100": statistics.mean(m["recall_100"] for m in per_query.values()),
    }


def measures(
    qrels: dict[str, dict[str, int]],
    run: dict[str, dict[str, float]],
    times: list[float],
    build: float,
) -> dict[str, Any]:
    times = sorted(times)
    return {
        "queries": len(run),
        **quality(qrels, run),
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
        "--semantic",
        action="store_true",
        help="also rank fused with the semantic signal, timed beside the lexical ranking",
    )
    args = parser.parse_args()
    result = evaluate(args.corpus, args.limit_queries, semantic=args.semantic)
    show(args.corpus.name, "lexical", result)
    if args.semantic:
        fused = result.pop("semantic")
        show(args.corpus.name, "semantic", fused)
        gain = fused["ndcg@10"] - result["ndcg@10"]
        ratio = fused["query_ms_p50"] / result["query_ms_p50"]
        print(f"{args.corpus.name}: semantic nDCG@10 {gain:+.4f}, query p50 {ratio:.2f}x lexical")
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

"""How the semantic fusion's settings were chosen (issue 18): nDCG@10 gained over the
lexical ranking for each lexical share and each count of lexical and semantic
candidates, on collections kept apart from SciFact and CISI (Cranfield and CACM, from
``smart.py``).

    python benchmarks/fusion.py CORPUS_DIR [CORPUS_DIR ...] [--shares 0.6,0.7,0.8]
        [--lexical 100,200,400] [--semantic 100,400,1000]

Documents are ranked by their best passage, as in ``relevance.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _corpora import write_seeds
from relevance import load_qrels, load_queries, quality, rank_documents

import seedindex._searcher as searcher
import seedindex.semantic._fusion as fusion
from seedindex import Config, Index


def numbers(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def ndcg(ix: Index, qrels: dict[str, dict[str, int]], queries: dict[str, str]) -> float:
    run = {q: rank_documents(ix, text) for q, text in queries.items()}
    return quality(qrels, run)["ndcg@10"]


def sweep(corpus: Path, args: argparse.Namespace) -> None:
    qrels = load_qrels(corpus)
    queries = {q: t for q, t in load_queries(corpus).items() if q in qrels}
    with tempfile.TemporaryDirectory(prefix="seedindex-fusion-") as work:
        seeds = Path(work) / "seeds"
        write_seeds(corpus, seeds)
        with Index.open(seeds, index_dir=Path(work) / "lexical") as ix:
            lexical = ndcg(ix, qrels, queries)
        print(f"{corpus.name}: lexical nDCG@10 {lexical:.4f}; gains:")
        config = Config(semantic=True)
        with Index.open(seeds, index_dir=Path(work) / "semantic", config=config) as ix:
            for share in args.shares:
                fusion.LEXICAL_SHARE = share
                for lexical_count in args.lexical:
                    searcher.LEXICAL_CANDIDATES = int(lexical_count)
                    row = []
                    for semantic_count in args.semantic:
                        searcher.SEMANTIC_CANDIDATES = int(semantic_count)
                        gain = ndcg(ix, qrels, queries) - lexical
                        row.append(f"{int(semantic_count)}: {gain:+.4f}")
                    print(
                        f"  share {share} lexical {int(lexical_count)}, semantic " + "  ".join(row)
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", type=Path, nargs="+")
    parser.add_argument("--shares", type=numbers, default=[0.6, 0.65, 0.7, 0.75, 0.8])
    parser.add_argument("--lexical", type=numbers, default=[100, 200, 400])
    parser.add_argument("--semantic", type=numbers, default=[100, 400, 1000])
    args = parser.parse_args()
    for corpus in args.corpora:
        sweep(corpus, args)


if __name__ == "__main__":
    main()

"""Classic SMART-format test collections (Cranfield, CACM) as BEIR-format folders, for
``relevance.py --corpus`` and ``fusion.py`` (issue 18: the fusion's settings were chosen
on these, so that SciFact and CISI measure it unseen).

    python benchmarks/smart.py cranfield DIR OUT   # DIR: cran.all.1400, cran.qry, cranqrel
    python benchmarks/smart.py cacm DIR OUT        # DIR: cacm.all, query.text, qrels.text

The files are public (the SMART distributions, mirrored in many repositories); they are
not kept here. Cranfield's judgments number its queries in order (not by their ``.I``)
and grade 1 (a complete answer) to 4 (of least interest): graded 4 to 1 here, and -1 (no
interest) left out. CACM's are binary.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path


def records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(id, {field letter: text}) of each ``.I`` record."""
    text = path.read_text(encoding="latin-1")
    for chunk in re.split(r"^\.I\s+", text, flags=re.M)[1:]:
        number, _newline, rest = chunk.partition("\n")
        fields = {
            m.group(1): " ".join(m.group(2).split())
            for m in re.finditer(r"^\.([A-Z])\s*\n(.*?)(?=^\.[A-Z]\s*$|\Z)", rest, re.M | re.S)
        }
        yield number.strip(), fields


def write(
    out: Path,
    docs: dict[str, dict[str, str]],
    queries: dict[str, str],
    qrels: dict[tuple[str, str], int],
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as lines:
        for doc, fields in docs.items():
            record = {"_id": doc, "title": fields.get("T", ""), "text": fields.get("W", "")}
            lines.write(json.dumps(record) + "\n")
    with open(out / "queries.jsonl", "w", encoding="utf-8") as lines:
        for query, text in queries.items():
            lines.write(json.dumps({"_id": query, "text": text}) + "\n")
    with open(out / "qrels.tsv", "w", encoding="utf-8") as lines:
        lines.write("query-id\tcorpus-id\tscore\n")
        for (query, doc), grade in qrels.items():
            lines.write(f"{query}\t{doc}\t{grade}\n")


def cranfield(source: Path, out: Path) -> None:
    docs = dict(records(source / "cran.all.1400"))
    queries = {str(n): f.get("W", "") for n, (_i, f) in enumerate(records(source / "cran.qry"), 1)}
    qrels = {}
    for line in (source / "cranqrel").read_text().splitlines():
        if line.split():
            query, doc, grade = line.split()[:3]
            if 1 <= int(grade) <= 4:
                qrels[(query, doc)] = 5 - int(grade)
    write(out, docs, queries, qrels)


def cacm(source: Path, out: Path) -> None:
    docs = dict(records(source / "cacm.all"))
    queries = {str(int(i)): f.get("W", "") for i, f in records(source / "query.text")}
    qrels = {}
    for line in (source / "qrels.text").read_text().splitlines():
        if line.split():
            query, doc = line.split()[:2]
            qrels[(str(int(query)), str(int(doc)))] = 1
    write(out, docs, queries, qrels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["cranfield", "cacm"])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    (cranfield if args.kind == "cranfield" else cacm)(args.source, args.out)


if __name__ == "__main__":
    main()

"""Index lifecycle costs on SciFact written as one file per document (issue 4).

    python benchmarks/lifecycle.py [--corpus DIR] [--scales 1 5]

For each scale: full build time and peak memory (in a fresh child process), then the
time of an update after touching one file, changing one, adding ten, and with
nothing changed (each the median of three, on different files), each as a share of
the full build. Writes benchmarks/results/lifecycle.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _corpora import RESULTS, SHARED, write_seeds
from _memory import run_sampled

from seedindex import Index

_CHILD_BUILD = """
import json, resource, sys, time
from seedindex import Index
began = time.perf_counter()
with Index.open(sys.argv[1], index_dir=sys.argv[2], auto_update=False) as ix:
    seconds = time.perf_counter() - began
    stats = ix.stats()
# Without /proc: the parent plus its largest worker (the parallel build's processes).
peak_kb = sum(resource.getrusage(who).ru_maxrss
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"seconds": seconds, "passages": stats.passages, "files": stats.files,
                  "index_mb": stats.size_bytes / 1e6, "peak_memory_mb": peak_kb / 1024}))
"""


def build_in_child(seeds: Path, index_dir: Path) -> dict[str, float]:
    printed, peak = run_sampled([sys.executable, "-c", _CHILD_BUILD, str(seeds), str(index_dir)])
    result: dict[str, float] = json.loads(printed)
    result["peak_memory_mb"] = peak or result["peak_memory_mb"]  # the whole process tree
    return result


# Each kind of update is timed this many times (on different files); the median counts.
_REPEATS = 3


def _median(change: Callable[[int], None], ix: Index) -> float:
    """The median time of ``update()`` after ``change(n)``, for n in range(_REPEATS)."""
    times = []
    for n in range(_REPEATS):
        change(n)
        began = time.perf_counter()
        ix.update()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _append(path: Path) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\nOne more paragraph about benchmark updates.\n")


def _add_ten(seeds: Path, round_: int) -> None:
    for n in range(10):
        (seeds / f"added-{round_}-{n}.txt").write_text(f"Added document {n} about updates.\n")


def measure(corpus: Path, scale: int, work: Path) -> dict[str, float]:
    seeds, index_dir = work / f"seeds-{scale}", work / f"index-{scale}"
    files = write_seeds(corpus, seeds, scale)
    row = {
        "scale": scale,
        "files": files,
        "mb": sum(p.stat().st_size for p in seeds.iterdir()) / 1e6,
    }
    row.update(build_in_child(seeds, index_dir))
    victims = sorted(seeds.iterdir())[:_REPEATS]
    with Index.open(seeds, index_dir=index_dir, auto_update=False) as ix:
        row["nothing_changed_s"] = _median(lambda _n: None, ix)
        row["touch_one_s"] = _median(lambda n: os.utime(victims[n]), ix)
        row["change_one_s"] = _median(lambda n: _append(victims[n]), ix)
        row["add_ten_s"] = _median(lambda n: _add_ten(seeds, n), ix)
    began = time.perf_counter()
    Index.open(seeds, index_dir=index_dir).close()  # what a one-shot query pays to check
    row["open_and_check_s"] = time.perf_counter() - began
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED / "scifact")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 5])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="seedindex-bench-") as work:
        for scale in args.scales:
            rows.append(measure(args.corpus, scale, Path(work)))
            print_row(rows[-1])
    RESULTS.mkdir(exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    (RESULTS / "lifecycle.json").write_text(
        json.dumps({"corpus": args.corpus.name, "machine": machine, "rows": rows}, indent=2) + "\n"
    )


def print_row(row: dict[str, float]) -> None:
    build = row["seconds"]
    print(
        f"scale {row['scale']:g}: {row['files']:g} files, {row['mb']:.1f} MB, "
        f"{row['passages']:g} passages; build {build:.2f} s, "
        f"peak memory {row['peak_memory_mb']:.0f} MB, index {row['index_mb']:.1f} MB"
    )
    for key in (
        "nothing_changed_s",
        "touch_one_s",
        "change_one_s",
        "add_ten_s",
        "open_and_check_s",
    ):
        print(f"  {key:18} {row[key] * 1000:8.1f} ms  {100 * row[key] / build:5.2f}% of build")


if __name__ == "__main__":
    main()

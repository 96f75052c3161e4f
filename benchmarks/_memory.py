"""Peak memory of a child process and all its descendants, for the benchmarks.

Memory is each process's proportional set size (PSS: pages shared between the
processes, as a forked worker shares its parent's, are counted once in the
sum), or its RSS where the kernel does not report PSS.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# Reading a process's PSS walks its page tables (about 1.4 ms for 100 MB): sampled
# more often, the measuring would slow the build it measures.
_INTERVAL = 0.2


def run_sampled(command: list[str], **popen: object) -> tuple[str, float]:
    """Run ``command``; what it printed, and the peak memory (MB) of its process tree.

    Sampled every 0.2 s from /proc (a parallel build's workers run at once, so
    their memory adds up); 0.0 where there is no /proc. Raises SystemExit if the
    command fails.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **popen)  # type: ignore[call-overload]
    peak = 0.0
    while True:
        peak = max(peak, _tree_rss_mb(process.pid))
        try:  # not a sleep: the caller times the command, which may end meanwhile
            process.wait(timeout=_INTERVAL)
        except subprocess.TimeoutExpired:
            continue
        break
    printed, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command[:3])} ...")
    return str(printed), peak


def _tree_rss_mb(pid: int) -> float:
    """Memory of a process and all its descendants now (0 without /proc)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total_kb += _memory_kb(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
        except (OSError, AttributeError):
            continue  # gone meanwhile, or a zombie without memory
    return total_kb / 1024


def _memory_kb(pid: int) -> int:
    try:
        report, field = Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss"
    except OSError:
        report, field = Path(f"/proc/{pid}/status").read_text(), "VmRSS"
    return int(re.search(rf"^{field}:\s+(\d+)", report, re.MULTILINE).group(1))  # type: ignore[union-attr]

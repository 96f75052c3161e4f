"""Peak memory of a child process and all its descendants, for the benchmarks."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path


def run_sampled(command: list[str], **popen: object) -> tuple[str, float]:
    """Run ``command``; what it printed, and the peak RSS (MB) of its process tree.

    Sampled every 20 ms from /proc (a parallel build's workers run at once, so
    their memory adds up); 0.0 where there is no /proc. Raises SystemExit if the
    command fails.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **popen)  # type: ignore[call-overload]
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.02)
    printed, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command[:3])} ...")
    return str(printed), peak


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants now (0 without /proc)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
        except (OSError, AttributeError):
            continue  # gone meanwhile, or a zombie without memory
    return total_kb / 1024

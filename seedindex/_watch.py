"""Following a seeds folder: each batch of changes re-indexes what changed.

Changes come from the operating system through watchfiles (``seedindex[watch]``),
gathered over a short pause so that an editor's save (a temporary file, then a
rename) is one update; without watchfiles, or when the system's watch limit is
reached, the folder is looked at again every few seconds instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger("seedindex")

#: Milliseconds of quiet that end a batch of changes.
DEBOUNCE_MS = 200
#: Seconds between looks at the folder when it cannot be watched.
POLL_SECONDS = 2.0


def batches(seeds: Path, ignored: Path, stop: threading.Event) -> Iterator[object]:
    """One item per batch of changes under ``seeds`` (none in ``ignored``, the index's
    own folder), until ``stop`` is set."""
    try:
        import watchfiles
    except ImportError:
        logger.warning("watchfiles is not installed (pip install 'seedindex[watch]'): polling")
        yield from _polls(stop)
        return
    ignored_prefix = str(ignored.resolve())

    def wanted(change: Any, path: str) -> bool:
        return not path.startswith(ignored_prefix) and not Path(path).name.startswith(".")

    try:
        yield from watchfiles.watch(
            seeds,
            watch_filter=wanted,
            debounce=DEBOUNCE_MS,
            stop_event=stop,
            raise_interrupt=False,
            yield_on_timeout=False,
        )
    except OSError as exc:  # the system's watch limit, a folder gone...
        logger.warning("cannot watch %s (%s): polling every %g s", seeds, exc, POLL_SECONDS)
        yield from _polls(stop)


def _polls(stop: threading.Event) -> Iterator[object]:
    while not stop.wait(POLL_SECONDS):
        yield None


def follow(
    update: Callable[[], Any],
    events: Iterable[object],
    on_update: Callable[[Any], None] | None,
    stop: threading.Event,
) -> None:
    """Call ``update`` after each batch of ``events``; report what it changed."""
    for _batch in events:
        if stop.is_set():
            return
        report = update()
        if report.changed_anything:
            logger.info(
                "re-indexed: %d added, %d changed, %d removed",
                report.added,
                report.changed,
                report.removed,
            )
            if on_update is not None:
                on_update(report)

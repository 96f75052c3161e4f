"""Writing files so that a reader never sees them half-written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


def write_atomically(
    path: Path, text: str | Callable[[TextIO], None], *, durable: bool = True
) -> None:
    """Replace ``path`` in one step; ``durable`` also waits until the disk has it.

    ``text`` is what to write, or a function that writes it to the file it is given.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                text(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)

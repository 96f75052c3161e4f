"""Whoosh imported and adjusted for seedindex, every change of its behaviour in one place.

Written against whoosh-reloaded 2.7.5 (``SUPPORTED``). With that release:

- Whoosh loads without two heavy modules it never needs here: ``whoosh.compat``
  imports ``urllib.request`` (for a download helper) and ``whoosh.reading`` the
  ``cached_property`` package (which imports ``asyncio``), about 40 ms of a 150 ms
  one-shot query. While those two modules load, light stand-ins take the heavy
  modules' places in ``sys.modules`` and are removed straight after.
- Segment files are read in place (``_InPlaceBufferFile``) instead of copied whole
  into a ``BytesIO`` by every reader.

With any release, every segment file carries a CRC that our readers check
(``_install_checksums``).

Any other Whoosh runs on its stock code paths: slower, still correct (``PATCHED``
says which). Whatever the release, Whoosh's pickles (schema, segments, stored
passages, postings blocks) are read with an unpickler that builds only the classes
an index of ours holds (``_unpickle``), while seedindex reads (``ours()``): an index
directory is data, never code. Both changes apply only inside ``ours()``, so a
program that uses Whoosh itself beside seedindex keeps Whoosh's own behaviour.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import io
import os
import sys
import time
import traceback
import types
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

SUPPORTED = "2.7.5"

_OURS = contextvars.ContextVar("seedindex_reads_whoosh", default=False)


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


@contextmanager
def _stand_in(name: str, **attributes: Any) -> Iterator[None]:
    if name in sys.modules:
        yield
        return
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    try:
        yield
    finally:
        if sys.modules.get(name) is module:
            del sys.modules[name]


def _import_whoosh() -> str:
    """Import Whoosh, lean where its modules allow; its version."""
    try:
        with (
            _stand_in("urllib.request", urlretrieve=_urlretrieve),
            # The package's descriptor does what the standard library's does for Whoosh's one use.
            _stand_in("cached_property", cached_property=functools.cached_property),
        ):
            import whoosh.compat
            import whoosh.reading
    except ImportError:  # another Whoosh, laid out otherwise: imported as it is
        for name in [m for m in sys.modules if m == "whoosh" or m.startswith("whoosh.")]:
            del sys.modules[name]
    import whoosh

    return ".".join(map(str, whoosh.__version__))


RELEASE = _import_whoosh()
#: Whether this is the Whoosh seedindex's speed-ups were written for.
PATCHED = RELEASE == SUPPORTED

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def ours() -> Iterator[None]:
    """Whoosh is read by seedindex: pickles restricted, segments read in place."""
    token = _OURS.set(True)
    try:
        yield
    finally:
        _OURS.reset(token)


def scoped(method: Callable[P, R]) -> Callable[P, R]:
    """Run a method that calls Whoosh inside ``ours()``."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with ours():
            return method(*args, **kwargs)

    return run


def reads(method: Callable[P, R]) -> Callable[P, R]:
    """``scoped``, for a method that reads the index: whatever Whoosh raises on damaged
    files (a missing segment, a flipped byte: KeyError, zlib.error, EOFError...) is a
    ``CorruptEngineError``."""
    return _damage_as(method)


def writes(method: Callable[P, R]) -> Callable[P, R]:
    """``reads``, for a method that also writes: an OSError (a full disk, a read-only
    directory) stays what it is."""
    return _damage_as(method, keep=OSError)


def drop_quietly(exc: BaseException) -> None:
    """Whoosh leaves files open when it fails (on damaged files, or a writer half
    made): they are closed, quietly, with the frames of its exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        traceback.clear_frames(exc.__traceback__)
        gc.collect()


def close_files(whoosh_object: object) -> None:
    """Close every file that ``whoosh_object`` holds, through Whoosh's and our objects
    and their containers: a Whoosh writer that fails while it cancels (on a full disk)
    keeps files open, and removed files free no disk space while open."""
    seen: set[int] = set()
    todo = [whoosh_object]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, io.IOBase):
            with contextlib.suppress(OSError, ValueError):
                item.close()
        elif isinstance(item, list | tuple | dict | set) or _is_whoosh_made(item):
            todo.extend(gc.get_referents(item))


def _is_whoosh_made(item: object) -> bool:
    module = getattr(type(item), "__module__", "") or ""
    return module.startswith(("whoosh.", "seedindex.engine.whoosh."))


def _damage_as(method: Callable[P, R], keep: type[Exception] | None = None) -> Callable[P, R]:
    from .. import CorruptEngineError

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _OURS.set(True)  # ours(), without a context manager's cost on the query path
        try:
            return method(*args, **kwargs)
        except CorruptEngineError:
            raise
        except Exception as exc:
            if keep is not None and isinstance(exc, keep):
                raise
            problem = f"{type(exc).__name__}: {exc}"
            drop_quietly(exc)
        finally:
            _OURS.reset(token)
        raise CorruptEngineError(problem)

    return run


def reading_ours() -> bool:
    return _OURS.get()


# The segment attribute (pickled with it in the TOC) holding its compound file's CRC.
_FILE_CHECKSUM = "_seedindex_file_crc"
_CHUNK = 1 << 20


# A file's checksum is not worked out again by this process while its stat stays the
# same (an index of 130 MB takes 50 ms to read through at each opening). Only for files
# settled a while before they were read: one written again at once could keep its size
# and times, which a file system records in ticks of milliseconds.
_SETTLED_SECONDS = 2.0
_CHECKED_MOST = 256
_checked: dict[tuple[str, int, int, int, int, int], int] = {}


def _file_checksum(storage: Any, name: str) -> int | None:
    """The CRC-32 of a file of a storage on disk (None for a storage in memory)."""
    folder = getattr(storage, "folder", None)
    if folder is None:
        return None
    path = os.path.join(folder, name)
    with open(path, "rb") as file:
        st = os.fstat(file.fileno())
        key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        crc = _checked.get(key)
        if crc is not None:
            return crc
        crc = 0
        while chunk := file.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED_SECONDS * 1e9:
        if len(_checked) >= _CHECKED_MOST:
            _checked.clear()
        _checked[key] = crc
    return crc


def _install_checksums() -> None:
    """Every segment file gets a CRC when it is made, read again before a reader of
    ours opens it: damage that Whoosh would read as other postings or as no match (a
    block of zeros in a term table, say) is found, and the index rebuilt."""
    from whoosh.codec import base

    create, open_compound = base.Segment.create_compound_file, base.Segment.open_compound_file

    def create_compound_file(self: Any, storage: Any) -> None:
        create(self, storage)
        crc = _file_checksum(storage, self.make_filename(self.COMPOUND_EXT))
        if crc is not None:
            setattr(self, _FILE_CHECKSUM, crc)

    def open_compound_file(self: Any, storage: Any) -> Any:
        expected = getattr(self, _FILE_CHECKSUM, None)
        if expected is not None and reading_ours():
            name = self.make_filename(self.COMPOUND_EXT)
            if _file_checksum(storage, name) != expected:
                raise ValueError(f"segment file {name} does not match its checksum")
        return open_compound(self, storage)

    base.Segment.create_compound_file = create_compound_file
    base.Segment.open_compound_file = open_compound_file


def _install() -> None:
    from . import _unpickle

    _unpickle.install(reading_ours)
    _install_checksums()
    if PATCHED:
        from whoosh.filedb import compound

        from ._read import InPlaceBufferFile

        compound.BufferFile = InPlaceBufferFile


_install()

"""Finding the document files under a seeds folder, and reading their bytes safely."""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs

from .._config import Config
from ..errors import SeedsError


@attrs.frozen
class SourceFile:
    """A file found under the seeds folder, known by its stat only."""

    path: str  # POSIX, relative to the seeds root
    location: str  # where to open it (a str: a Path per file costs a scan dearly)
    size: int
    mtime_ns: int
    # Which file the walk saw, so that a file swapped before it is read is told apart,
    # and when its mode or owner last changed (a file unreadable once is tried again).
    device: int = 0
    inode: int = 0
    ctime_ns: int = 0


@attrs.frozen
class Loaded:
    """A file's bytes, as read, and their hash."""

    source: SourceFile
    data: bytes | bytearray
    sha256: str


@attrs.frozen
class Skipped:
    """A file that is not indexed, and why."""

    path: str
    reason: str


def walk(
    root: Path, config: Config, others: Counter[str] | None = None
) -> Iterator[SourceFile | Skipped]:
    """Every document file under ``root`` in path order, and what is left out, one at
    a time: a folder of any size or depth is walked without a list of its files in
    memory (and without recursion). Files of other types are counted by their ending
    in ``others``, if given."""
    root_stat = check_root(root)
    seen_dirs = {(root_stat.st_dev, root_stat.st_ino)}
    return _walk(str(root), root.resolve(), seen_dirs, config, others)


def check_root(root: Path) -> os.stat_result:
    """The seeds folder's stat; SeedsError when it is missing or not a folder."""
    try:
        st = root.stat()
    except FileNotFoundError:
        raise SeedsError(f"seeds folder not found: {root}") from None
    except OSError as exc:
        raise SeedsError(f"cannot open seeds folder {root}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SeedsError(f"seeds path is not a folder: {root}")
    return st


def find(root: Path, path: str, config: Config) -> SourceFile | Skipped:
    """The document file ``path`` (POSIX, relative to ``root``) as the walk would see it,
    or why it is not one."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return Skipped(path, "not a path inside the seeds folder")
    if any(p.startswith(".") for p in parts) or not path.lower().endswith(config.extensions):
        return Skipped(path, "not a document file of the seeds folder")
    found = _stat(os.path.join(root, *parts), path, root.resolve(), config)
    if isinstance(found, Skipped):
        return found
    st, location = found
    if not stat.S_ISREG(st.st_mode):
        return Skipped(path, "not a regular file")
    return SourceFile(
        path, location, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, st.st_ctime_ns
    )


def _walk(
    root: str,
    real_root: Path,
    seen_dirs: set[tuple[int, int]],
    config: Config,
    others: Counter[str] | None,
) -> Iterator[SourceFile | Skipped]:
    """The document files depth first in path order, and what is left out; hidden
    names are passed over. A stack of the folders being listed stands for recursion."""
    try:
        stack = [(os.path.join(root, ""), "", _listing(root))]
    except OSError as exc:
        raise SeedsError(f"cannot list seeds folder {root}: {exc.strerror}") from None
    while stack:
        base, prefix, keys = stack[-1]
        key = next(keys, None)
        if key is None:
            stack.pop()
            continue
        name = key.removesuffix("/")
        rel = prefix + name
        if name == key and not rel.lower().endswith(config.extensions):
            if others is not None:
                others[os.path.splitext(name)[1].lower() or "(no ending)"] += 1
            continue
        location = base + name
        found = _stat(location, rel, real_root, config)
        if isinstance(found, Skipped):
            yield found
            continue
        st, location = found
        if stat.S_ISREG(st.st_mode):
            if st.st_size > config.max_file_bytes:
                yield Skipped(rel, f"larger than {config.max_file_bytes} bytes")
            else:
                yield SourceFile(
                    rel, location, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, st.st_ctime_ns
                )
        elif stat.S_ISDIR(st.st_mode):
            if (st.st_dev, st.st_ino) in seen_dirs:
                yield Skipped(rel, "folder already visited (symbolic link loop)")
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            try:
                stack.append((os.path.join(location, ""), rel + "/", _listing(location)))
            except OSError as exc:
                yield Skipped(rel, f"cannot list folder: {exc.strerror}")


def _listing(folder: str) -> Iterator[str]:
    """The names in ``folder``, a folder's with a slash, in path order: held as one
    string while walked (a list of 50,000 names would cost 4 MB, the string 1 MB).

    Raises OSError when the folder cannot be listed.
    """
    with os.scandir(folder) as entries:
        keys = [_path_order(e) for e in entries if not e.name.startswith(".")]
    keys.sort()
    return _split_names("\0".join(keys))  # no name holds a NUL


def _split_names(joined: str) -> Iterator[str]:
    start = 0
    while start < len(joined):
        end = joined.find("\0", start)
        end = len(joined) if end < 0 else end
        yield joined[start:end]
        start = end + 1


def _path_order(entry: os.DirEntry[str]) -> str:
    """A folder sorts as its name and a slash: depth first is then whole-path order."""
    try:
        return entry.name + "/" if entry.is_dir() else entry.name
    except OSError:
        return entry.name


def _stat(
    location: str, rel: str, real_root: Path, config: Config
) -> tuple[os.stat_result, str] | Skipped:
    """What ``location`` is and where to open it (a symbolic link's target, so that
    the read need not follow links), or why it is left out."""
    try:
        st = os.lstat(location)
    except OSError as exc:  # gone since it was listed
        return Skipped(rel, f"cannot read: {exc.strerror}")
    # Plain names that are no links (nearly all) need no closer look.
    if rel.isascii() and not stat.S_ISLNK(st.st_mode):
        return st, location
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(_printable(rel), "file name is not valid UTF-8")
    if not stat.S_ISLNK(st.st_mode):
        return st, location
    try:
        target = Path(location).resolve(strict=True)
        if not config.follow_external_links and not target.is_relative_to(real_root):
            return Skipped(rel, "symbolic link points outside the seeds folder")
        return os.stat(target), str(target)
    except (OSError, RuntimeError) as exc:
        return Skipped(rel, f"cannot follow: {getattr(exc, 'strerror', None) or exc}")


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "backslashreplace").decode("utf-8")


# Opened without following a link (the walk resolved links and checked where they
# lead), and without waiting for a writer should the file have become a pipe.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_READ_CHUNK = 1 << 20
_SMALL_READ = 1 << 12


def read(source: SourceFile, max_bytes: int) -> Loaded | Skipped:
    """Read one file's bytes, or say why they cannot be.

    The file read is the one the walk saw: a file swapped since (for a link, a pipe, a
    device or another file) is skipped, and no more than ``max_bytes`` are read.
    """
    try:
        fd = os.open(source.location, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Skipped(source.path, "became a symbolic link after the folder was walked")
        return Skipped(source.path, f"cannot read: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Skipped(source.path, "not a regular file when read")
        if source.inode and (st.st_dev, st.st_ino) != (source.device, source.inode):
            return Skipped(source.path, "replaced by another file while the folder was walked")
        data = _read_at_most(fd, max_bytes + 1, st.st_size)
    except OSError as exc:
        return Skipped(source.path, f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return Skipped(source.path, f"larger than {max_bytes} bytes")
    import hashlib  # here: a query on an unchanged folder reads and hashes nothing

    digest = hashlib.sha256(data).hexdigest()
    # The stat of the file as opened: a change after it is seen by the next update.
    read_as = attrs.evolve(source, size=len(data), mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns)
    return Loaded(read_as, data, digest)


def _read_at_most(fd: int, limit: int, expected: int) -> bytearray:
    """Up to ``limit`` bytes, in one buffer (a list of chunks joined would hold the
    file twice). Reads ask for the ``expected`` size and a byte (to see the end), not
    for the limit: each read allocates what it asks for."""
    data = bytearray()
    while len(data) < limit:
        wanted = max(expected + 1 - len(data), _SMALL_READ)
        chunk = os.read(fd, min(limit - len(data), wanted, _READ_CHUNK))
        if not chunk:
            break
        data += chunk
    return data

"""Finding the documents under a seeds folder and reading them as text."""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import attrs

from .._config import Config
from ..errors import SeedsError

_BINARY_PROBE = 8192
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)  # before UTF-16's: LE starts alike
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@attrs.frozen
class SourceFile:
    """A file found under the seeds folder, known by its stat only."""

    path: str  # POSIX, relative to the seeds root
    location: str  # where to open it (a str: a Path per file costs a scan dearly)
    size: int
    mtime_ns: int


@attrs.frozen
class Document:
    """A file read as text: ``text`` is what every passage offset points into."""

    source: SourceFile
    text: str
    sha256: str


@attrs.frozen
class Skipped:
    """A file that is not indexed, and why."""

    path: str
    reason: str


def walk(root: Path, config: Config) -> Iterator[SourceFile | Skipped]:
    """Every document file under ``root`` in path order, and what is left out, one at
    a time: a folder of any size is walked without a list of its files in memory."""
    root_stat = check_root(root)
    seen_dirs = {(root_stat.st_dev, root_stat.st_ino)}
    return _walk(str(root), "", root.resolve(), seen_dirs, config)


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


def _walk(
    folder: str, prefix: str, real_root: Path, seen_dirs: set[tuple[int, int]], config: Config
) -> Iterator[SourceFile | Skipped]:
    """The document files depth first in path order, and what is left out; hidden
    names are passed over."""
    try:
        keys = _listing(folder)
    except OSError as exc:
        if not prefix:
            raise SeedsError(f"cannot list seeds folder {folder}: {exc.strerror}") from None
        yield Skipped(prefix.rstrip("/"), f"cannot list folder: {exc.strerror}")
        return
    base = os.path.join(folder, "")
    for key in keys:
        name = key.removesuffix("/")
        rel = prefix + name
        if name == key and not rel.lower().endswith(config.extensions):
            continue
        location = base + name
        st = _stat(location, rel, real_root, config)
        if isinstance(st, Skipped):
            yield st
        elif stat.S_ISREG(st.st_mode):
            if st.st_size > config.max_file_bytes:
                yield Skipped(rel, f"larger than {config.max_file_bytes} bytes")
            else:
                yield SourceFile(rel, location, st.st_size, st.st_mtime_ns)
        elif stat.S_ISDIR(st.st_mode):
            if (st.st_dev, st.st_ino) in seen_dirs:
                yield Skipped(rel, "folder already visited (symbolic link loop)")
                continue
            seen_dirs.add((st.st_dev, st.st_ino))
            yield from _walk(location, rel + "/", real_root, seen_dirs, config)


def _listing(folder: str) -> Iterator[str]:
    """The names in ``folder``, a folder's with a slash, in path order: held as one
    string while walked (a list of 50,000 names would cost 4 MB, the string 1 MB)."""
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


def _stat(location: str, rel: str, real_root: Path, config: Config) -> os.stat_result | Skipped:
    """What ``location`` is (through a symbolic link), or why it is left out."""
    try:
        st = os.lstat(location)
    except OSError as exc:  # gone since it was listed
        return Skipped(rel, f"cannot read: {exc.strerror}")
    # Plain names that are no links (nearly all) need no closer look.
    if rel.isascii() and not stat.S_ISLNK(st.st_mode):
        return st
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(_printable(rel), "file name is not valid UTF-8")
    try:
        if stat.S_ISLNK(st.st_mode):
            target = Path(location).resolve(strict=True)
            if not config.follow_external_links and not target.is_relative_to(real_root):
                return Skipped(rel, "symbolic link points outside the seeds folder")
        return os.stat(location)
    except (OSError, RuntimeError) as exc:
        return Skipped(rel, f"cannot follow: {getattr(exc, 'strerror', None) or exc}")


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "backslashreplace").decode("utf-8")


def read(source: SourceFile) -> Document | Skipped:
    """Read one file as text, or say why it cannot be."""
    try:
        with open(source.location, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Skipped(source.path, f"cannot read: {exc.strerror or exc}")
    try:
        text = decode(data)
    except ValueError as exc:
        return Skipped(source.path, str(exc))
    import hashlib  # here: a query on an unchanged folder reads and hashes nothing

    digest = hashlib.sha256(data).hexdigest()
    return Document(attrs.evolve(source, size=len(data)), text, digest)


def decode(data: bytes) -> str:
    """UTF-8 (a byte order mark is dropped), or UTF-32 or UTF-16 when it starts with
    its BOM.

    Raises ValueError saying why the bytes are not text.
    """
    if data.startswith(_UTF32_BOMS):
        try:
            return data.decode("utf-32")
        except UnicodeDecodeError:
            raise ValueError("not valid UTF-32 despite its byte order mark") from None
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValueError("not valid UTF-16 despite its byte order mark") from None
    if b"\0" in data[:_BINARY_PROBE]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None

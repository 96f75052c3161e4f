"""Files: walking the seeds folder and reading each document file's bytes safely."""

from ._files import Loaded, Skipped, SourceFile, check_root, find, read, walk

__all__ = ["Loaded", "Skipped", "SourceFile", "check_root", "find", "read", "walk"]

"""Operating-system failures as one sentence: what happened, to which path, what to do."""

from __future__ import annotations

import errno

from twin._errors import TwinError

ADVICE = {
    errno.ENOSPC: "the disk is full; free some space or point TWIN_CACHE_DIR / the output elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EROFS: "the file system is read-only; write somewhere writable (TWIN_CACHE_DIR, --out, -o)",
    errno.EACCES: "permission denied; choose a path you may write, or fix its permissions",
    errno.EPERM: "the operation is not permitted there; choose another path",
    errno.EISDIR: "that path is a folder, not a file; give a file name",
    errno.ENOTDIR: "a part of that path is a file, not a folder; check TWIN_CACHE_DIR and the output path",
    errno.EEXIST: "something already exists there and is in the way; remove it or choose another path",
    errno.ENAMETOOLONG: "the file name is too long for the file system; use a shorter name",
    errno.ENOENT: "the path does not exist; check it",
}


class FileSystemError(TwinError, OSError):
    """A file-system failure, told in one sentence with the path and what to do."""


def as_sentence(exc: OSError) -> FileSystemError:
    """The :class:`FileSystemError` for ``exc`` (keeps the errno)."""
    where = exc.filename or exc.filename2 or "a file"
    advice = ADVICE.get(exc.errno or 0, "check the path and the disk")
    message = f"cannot write or read {where}: {exc.strerror or type(exc).__name__}; {advice}."
    error = FileSystemError(message)
    error.errno = exc.errno
    return error

"""Atomic writes and input-keyed cache paths.

A write goes to a temporary file in the target folder and is renamed into place, so an
interrupted run never leaves a half-written cache entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from twin._errors import InvalidInputError


def file_fingerprint(path: Path) -> dict[str, object]:
    """What identifies a file's content cheaply: resolved path, size and modification time."""
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cache_key(*parts: object) -> str:
    """A short stable hash of JSON-serialisable parts (paths are stringified)."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_UMASK = os.umask(0)
os.umask(_UMASK)


def special_file(path: Path) -> bool:
    """Whether ``path`` is there as anything but a regular file (a link, a folder, a device)."""
    return path.is_symlink() or (path.exists() and not path.is_file())


def atomic_write(path: Path, write: Callable[[Path], object], heal: bool = False) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` in one rename.

    A ``path`` that exists as anything but a regular file (a device such as ``/dev/null``, a
    folder, a link) is refused: the rename would replace it. ``heal`` (twin's own caches): a
    link or special file there is a damaged entry, removed and written anew (the link itself,
    never what it points to); a folder is still refused."""
    special = special_file(path)
    if special and heal and (path.is_symlink() or not path.is_dir()):
        path.unlink()
        special = False
    if special:
        msg = (f"{path} exists and is not a regular file (a device, a folder or a link); "
               "choose the path of a new or ordinary file.")  # fmt: skip
        raise InvalidInputError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def cache_write(path: Path, write: Callable[[Path], object]) -> Path:
    """:func:`atomic_write` for twin's own caches: a damaged entry (a link, a special file)
    is replaced, not refused."""
    return atomic_write(path, write, heal=True)


def cache_write_bytes(path: Path, data: bytes) -> Path:
    """:func:`atomic_write_bytes` for twin's own caches (see :func:`cache_write`)."""
    return cache_write(path, lambda tmp: tmp.write_bytes(data))

"""Output paths checked before any work is done.

A file a command writes must be a regular file or a new name in an existing folder: never a
device (``/dev/null`` would be replaced by the atomic rename), a folder, a link, or one of the
command's own inputs. A folder a command fills must be a folder or a new name. ``-`` means
standard output where the command offers it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from twin._errors import InvalidInputError
from twin.store.atomic import special_file

STDOUT = "-"


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (hard links and ``..`` included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def check_file_output(
    option: str,
    value: str,
    inputs: Iterable[Path] = (),
    stdout_ok: bool = False,
    cache_dir: Path | None = None,
) -> None:
    """Refuse ``value`` as the file ``option`` writes, in one sentence, unless it is a regular
    file or a new name in an existing folder that is none of ``inputs`` and lies outside twin's
    own ``cache_dir`` (whose files are inputs of every command)."""
    if value == STDOUT:
        if stdout_ok:
            return
        msg = f"{option} - (standard output) is not offered here; name a file."
        raise InvalidInputError(msg)
    path = Path(value).expanduser()
    if special_file(path):
        kind = ("a link" if path.is_symlink() else "a folder" if path.is_dir()
                else "a device or special file")  # fmt: skip
        msg = f"{option} {value} is {kind}, not a regular file; name a new or ordinary file."
        raise InvalidInputError(msg)
    if cache_dir is not None and _inside(path, cache_dir):
        msg = (f"{option} {value} lies inside twin's cache folder {cache_dir}, whose files "
               "every command reads; write the file elsewhere.")  # fmt: skip
        raise InvalidInputError(msg)
    parent = path.parent
    if not parent.is_dir():
        msg = f"{option} {value}: the folder {parent} does not exist; create it or name a file in an existing folder."  # fmt: skip
        raise InvalidInputError(msg)
    for source in inputs:
        if source.exists() and path.exists() and _same_file(path, source):
            msg = f"{option} {value} is one of this command's inputs ({source}); name another file."
            raise InvalidInputError(msg)


def check_folder_output(
    option: str, value: str, inputs: Iterable[Path] = (), cache_dir: Path | None = None
) -> None:
    """Refuse ``value`` as the folder ``option`` fills unless it is a folder or a new name
    outside twin's ``cache_dir``."""
    path = Path(value).expanduser()
    if cache_dir is not None and _inside(path, cache_dir):
        msg = (f"{option} {value} lies inside twin's cache folder {cache_dir}; name a folder "
               "elsewhere.")  # fmt: skip
        raise InvalidInputError(msg)
    if path.exists() and not path.is_dir():
        msg = f"{option} {value} exists and is not a folder; name a folder or a new name."
        raise InvalidInputError(msg)
    for source in inputs:
        if source.exists() and path.exists() and _same_file(path, source):
            msg = f"{option} {value} is one of this command's inputs; name another folder."
            raise InvalidInputError(msg)

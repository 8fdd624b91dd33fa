"""Bounded reads of the small JSON files twin keeps beside its caches.

A cache's JSON (an entry's meta, a checksum record, a layer's attributes) is a few kilobytes.
It is read only when it is a regular file of at most ``MAX_JSON_BYTES`` (a link to
``/dev/zero`` or a runaway file is never read into memory) and holds the kind of value expected
(an object where an object is stored); anything else is a ``ValueError`` the caller already
treats as a damaged entry.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from twin._errors import InvalidInputError

MAX_JSON_BYTES = 16 << 20


def read_json(
    path: Path, kind: type | tuple[type, ...] = dict, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """The JSON value in ``path`` (of type ``kind``); ``ValueError`` when it is not a regular
    file, is larger than ``max_bytes``, is not JSON or holds another kind of value (an
    :class:`~twin.InvalidInputError`, a ``ValueError``);
    ``FileNotFoundError`` when it is missing."""
    path = Path(path)
    info = path.stat()  # follows a link: what would be read
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(f"{path.name} is not a regular file")
    if info.st_size > max_bytes:
        raise InvalidInputError(
            f"{path.name} holds {info.st_size:,} bytes, more than {max_bytes:,}"
        )
    with path.open("rb") as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInputError(f"{path.name} is larger than {max_bytes:,} bytes")
    value = json.loads(data)
    if not isinstance(value, kind):
        raise InvalidInputError(
            f"{path.name} holds a {type(value).__name__} where a {kind} belongs"
        )
    return value

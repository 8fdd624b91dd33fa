"""A stamp of what a build reads from the store besides the district itself.

A long-running face (the viewer) keys its cached builds on it, so a ``twin calibrate``,
``twin measurements import`` or ``twin import`` run while it is open reaches its next page.
"""

from __future__ import annotations

import hashlib

from twin.settings import Settings
from twin.store.inventories import inventories_folder
from twin.store.measurements import measurements_folder


def stored_inputs(slug: str, settings: Settings) -> str:
    """A digest of the measured signal, calibration and imported inventories of ``slug``
    (each file's name, size and modification time); the same while none of them changes."""
    parts: list[str] = []
    for folder in (measurements_folder(slug, settings), inventories_folder(slug, settings)):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.name.startswith("."):  # an atomic write's temporary file
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:  # renamed by a concurrent write: the next call sees it
                    continue
                parts.append(f"{folder.name}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

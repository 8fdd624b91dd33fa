"""Content digests of districts and frames: the keys of the on-disk stores."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pandas as pd
import shapely

from twin._errors import InvalidInputError
from twin.model import District


def file_sha256(path: Path) -> str:
    """The SHA-256 of a regular file's bytes, read in 1 MiB blocks (``ValueError`` for anything
    else: a device such as ``/dev/zero`` would never end)."""
    if not stat.S_ISREG(Path(path).stat().st_mode):
        raise InvalidInputError(f"{Path(path).name} is not a regular file")
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> bytes:
    """A digest of a frame's values and geometry (index ignored)."""
    plain = frame.drop(columns="geometry") if "geometry" in frame else frame
    try:
        hashed = pd.util.hash_pandas_object(plain, index=False)
    except TypeError:  # unhashable cells (lists, dicts): hash their text
        hashed = pd.util.hash_pandas_object(plain.astype(str), index=False)
    digest = hashlib.sha256(hashed.to_numpy().tobytes())
    if "geometry" in frame:
        digest.update(b"".join(shapely.to_wkb(frame.geometry.to_numpy(), output_dimension=2)))
    return digest.digest()


def district_digest(district: District) -> bytes:
    """A digest of what a district is: boundary, POIs, demand and the street graph's size."""
    digest = hashlib.sha256(shapely.to_wkb(district.boundary))
    digest.update(frame_digest(district.pois))
    digest.update(frame_digest(district.demand))
    streets = district.streets
    digest.update(f"{streets.n_nodes}:{streets.n_edges}".encode() if streets else b"-")
    return digest.digest()

"""Everything twin keeps on disk, below the analysis, in one package.

* :mod:`twin.store.atomic`: atomic writes and input-keyed cache paths (the lowest layer; the
  download caches of :mod:`twin.sources` use it too);
* :mod:`twin.store.digest`: content digests of districts and frames, the keys of the stores;
* :mod:`twin.store.district`: the district cache (:func:`load_district`);
* :mod:`twin.store.layers` and :mod:`twin.store.inventories`: generated layers and imported
  inventories;
* :mod:`twin.store.coverage`: measured hexagons, keyed by every input of the engine;
* :mod:`twin.store.measurements`: measured signal and the 5G calibration.

``load_district`` is importable from here; the submodules load on first use, so
``twin.store.atomic`` stays importable from the sources without a cycle.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from twin.store.district import load_district

__all__ = ["load_district"]


def __getattr__(name: str) -> Any:
    if name == "load_district":
        return import_module("twin.store.district").load_district
    msg = f"module 'twin.store' has no attribute {name!r}"
    raise AttributeError(msg)

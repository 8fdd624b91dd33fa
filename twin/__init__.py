"""twin: a digital-twin viewer for Shanghai district infrastructure.

Data flows one way: sources → district model → layers → grid/network → analysis → render →
app / CLI / export. One run configuration (:class:`Settings`) is resolved at the edge and passed
down; one pipeline (:func:`build`) serves every face, measuring a district once at its base
resolution (res 10) and aggregating any coarser view from it. The public API (load, build,
generate, import, recommend, what-if, export) is importable from here; heavy libraries load on
first use, so ``import twin`` stays quick::

    import twin
    district = twin.load_district("hongkou")
    result = twin.build(district)
    print(twin.format_report(result.report))
    result.cells(9)  # res-9 hexagons summed from the base: the same district figures
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from twin._errors import (
    CRSMismatchError,
    DataNotFoundError,
    EmptyAreaError,
    InvalidInputError,
    NetworkAccessError,
    TwinError,
    TwinWarning,
    UnknownDistrictError,
)
from twin.districts import DistrictPreset, PlanTarget, load_presets, plan_districts, resolve
from twin.settings import Settings

__version__ = "0.2.0"

# public name: module that defines it (imported on first access)
_LAZY = {
    "District": "twin.model",
    "load_district": "twin.api",
    "Norms": "twin.norms",
    "load_norms": "twin.norms",
    "Build": "twin.analysis.build",
    "Coverage": "twin.analysis.engine",
    "CoverageParams": "twin.analysis.engine",
    "RadioParams": "twin.analysis.radio",
    "Scenario": "twin.analysis.whatif",
    "format_report": "twin.analysis.report",
    "ReachRule": "twin.network",
    "StreetNetwork": "twin.network",
    "ImportReport": "twin.inventory",
    "build": "twin.api",
    "generate_layer": "twin.api",
    "import_inventory": "twin.api",
    "recommend_sites": "twin.api",
    "scenario": "twin.api",
    "export": "twin.api",
}

if TYPE_CHECKING:  # pragma: no cover
    from twin.analysis.build import Build
    from twin.analysis.engine import Coverage, CoverageParams
    from twin.analysis.radio import RadioParams
    from twin.analysis.report import format_report
    from twin.analysis.whatif import Scenario
    from twin.api import (
        build,
        export,
        generate_layer,
        import_inventory,
        load_district,
        recommend_sites,
        scenario,
    )
    from twin.inventory import ImportReport
    from twin.model import District
    from twin.network import ReachRule, StreetNetwork
    from twin.norms import Norms, load_norms


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'twin' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Build",
    "CRSMismatchError",
    "Coverage",
    "CoverageParams",
    "DataNotFoundError",
    "District",
    "DistrictPreset",
    "EmptyAreaError",
    "ImportReport",
    "InvalidInputError",
    "NetworkAccessError",
    "Norms",
    "PlanTarget",
    "RadioParams",
    "ReachRule",
    "Scenario",
    "Settings",
    "StreetNetwork",
    "TwinError",
    "TwinWarning",
    "UnknownDistrictError",
    "__version__",
    "build",
    "export",
    "format_report",
    "generate_layer",
    "import_inventory",
    "load_district",
    "load_norms",
    "load_presets",
    "plan_districts",
    "recommend_sites",
    "resolve",
    "scenario",
]

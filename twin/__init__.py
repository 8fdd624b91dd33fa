"""twin: a digital-twin viewer for Shanghai district infrastructure.

Data flows one way: sources → district model → layers → analysis on H3 → render → app / CLI.
"""

from twin._errors import (
    CRSMismatchError,
    DataNotFoundError,
    EmptyAreaError,
    InvalidInputError,
    NetworkAccessError,
    StreetNetworkUnavailableError,
    TwinError,
    UnknownDistrictError,
)
from twin.districts import DistrictPreset, PlanTarget, load_presets, plan_districts, resolve
from twin.model import District, district, load_district
from twin.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "CRSMismatchError",
    "DataNotFoundError",
    "District",
    "DistrictPreset",
    "EmptyAreaError",
    "InvalidInputError",
    "NetworkAccessError",
    "PlanTarget",
    "Settings",
    "StreetNetworkUnavailableError",
    "TwinError",
    "UnknownDistrictError",
    "__version__",
    "district",
    "load_district",
    "load_presets",
    "plan_districts",
    "resolve",
]

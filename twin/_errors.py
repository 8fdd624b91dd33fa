"""Errors raised by twin: one hierarchy, each also a familiar builtin.

Every message says what is wrong and how to fix it, in one sentence.
"""

from __future__ import annotations


class TwinError(Exception):
    """Base class of every error twin raises on purpose."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else self.__class__.__name__


class UnknownDistrictError(TwinError, KeyError):
    """A district name, adcode or slug that matches no preset."""


class DataNotFoundError(TwinError, FileNotFoundError):
    """A data file or cached product is missing; the message names the file or the command."""


class InvalidInputError(TwinError, ValueError):
    """Input that cannot be used as given (broken file, missing column, bad value)."""


class CRSMismatchError(InvalidInputError):
    """Coordinates in a different reference system than declared (e.g. GCJ-02 passed as WGS-84)."""


class EmptyAreaError(InvalidInputError):
    """An area or selection that contains nothing to work on."""


class NetworkAccessError(TwinError, ConnectionError):
    """Online data was needed but could not be downloaded (offline mode or no connection)."""


class TwinWarning(UserWarning):
    """Base class of every warning twin issues (a result stands, but read it with care).

    ``code`` is stable (match on it, never on the wording, which may change or be translated).
    """

    code = "twin"

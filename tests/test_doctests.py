"""Docstring examples are run: every module of twin (and twin.layers) as a doctest."""

import doctest
import importlib

import pytest
from test_structure import MODULES


@pytest.mark.parametrize("name", sorted(MODULES))
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def test_the_examples_are_counted():
    """At least the examples of the served shares, the zoom and the CRS run (not all skipped)."""
    attempted = 0
    for name in ("twin.analysis.served", "twin.render.deckmap", "twin.crs", "twin.districts"):
        attempted += doctest.testmod(importlib.import_module(name)).attempted
    assert attempted >= 8

"""Points inside a polygon by lookup: shapely's answer to the bit, on shapes that test it."""

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

from twin.inside import MIN_POINTS, _grid_of, contains_xy


def _points(geometry, n, seed=0):
    """Random points over the bounding box and a little beyond, the boundary's own vertices,
    points on its segments, exact cell corners and NaN."""
    rng = np.random.default_rng(seed)
    west, south, east, north = geometry.bounds
    pad = 0.05 * max(east - west, north - south)
    x = rng.uniform(west - pad, east + pad, n)
    y = rng.uniform(south - pad, north + pad, n)
    ring = shapely.get_coordinates(geometry.boundary)
    halves = (ring[:-1] + ring[1:]) / 2  # on the boundary (or a hair off it)
    # one float step inside each side of the bounding box, along each side
    along_x, along_y = np.linspace(west, east, 257), np.linspace(south, north, 257)
    hair_x = np.concatenate([np.full(257, np.nextafter(west, east)),
                             np.full(257, np.nextafter(east, west)), along_x, along_x])  # fmt: skip
    hair_y = np.concatenate([along_y, along_y, np.full(257, np.nextafter(south, north)),
                             np.full(257, np.nextafter(north, south))])  # fmt: skip
    x = np.concatenate([x, ring[:, 0], halves[:, 0], hair_x, [np.nan, 1.0, np.inf], [west, east]])
    y = np.concatenate([y, ring[:, 1], halves[:, 1], hair_y, [1.0, np.nan, 0.0], [south, north]])
    return x, y


SHAPES = {
    "circle": Point(0, 0).buffer(1000.0, 256),
    "with a hole": Polygon(
        [(0, 0), (3000, 0), (3000, 2000), (0, 2000)],
        [[(1000, 500), (2000, 500), (2000, 1500), (1000, 1500)]],
    ),
    "two parts": MultiPolygon([box(0, 0, 100, 100), box(5000, 5000, 5300, 5050)]),
    "a sliver": Polygon([(0, 0), (10000, 3), (10000, 4), (0, 1)]),
    # its height over a cell's size rounds down by one in floating point (a review's find)
    "rounding at the top": box(0, -3, 9.9748894221029, 0.8574767687038554),
    "in degrees": box(121.1, 30.9, 121.5, 31.3).difference(Point(121.3, 31.1).buffer(0.05)),
    "a star": Polygon(
        [
            (np.cos(a) * r, np.sin(a) * r)
            for a, r in zip(np.linspace(0, 2 * np.pi, 41)[:-1], [900, 300] * 20, strict=True)
        ]
    ),
}


@pytest.mark.parametrize("name", SHAPES)
def test_the_lookup_answers_as_shapely_does(name):
    shape = SHAPES[name]
    x, y = _points(shape, 4 * MIN_POINTS)
    before = _grid_of.cache_info().misses + _grid_of.cache_info().hits
    np.testing.assert_array_equal(contains_xy(shape, x, y), shapely.contains_xy(shape, x, y))
    assert _grid_of.cache_info().misses + _grid_of.cache_info().hits == before + 1  # by grid


def test_other_shapes_and_inputs_are_answered_as_shapely_does():
    """A collection's boundary is not its parts' (shapely gives none): shapely answers it;
    scalars, integers and broadcast shapes keep shapely's shapes."""
    collection = GeometryCollection([box(0, 0, 10, 10), box(20, 0, 30, 10)])
    x, y = _points(collection, 4 * MIN_POINTS, seed=3)
    np.testing.assert_array_equal(
        contains_xy(collection, x, y), shapely.contains_xy(collection, x, y)
    )
    square = box(0, 0, 4, 4)
    assert contains_xy(square, 1, 1).shape == () and bool(contains_xy(square, 1, 1))
    grid = contains_xy(square, np.arange(300)[:, None] % 5, np.arange(200)[None, :] % 5)
    assert grid.shape == (300, 200)
    np.testing.assert_array_equal(
        grid, shapely.contains_xy(square, np.arange(300)[:, None] % 5, np.arange(200)[None, :] % 5)
    )


@pytest.mark.pack
def test_the_lookup_answers_as_shapely_does_on_a_districts_region(minhang):
    from twin.context import LayerContext

    region = LayerContext(minhang).region
    inner = region.buffer(-1.0)
    for shape in (region, inner):
        x, y = _points(shape, 300_000, seed=1)
        found = contains_xy(shape, x, y)
        np.testing.assert_array_equal(found, shapely.contains_xy(shape, x, y))
        assert 0.2 < found.mean() < 0.9  # a real mix of both sides
    grid = np.meshgrid(
        np.linspace(*region.bounds[::2], 400), np.linspace(*region.bounds[1::2], 300)
    )
    assert contains_xy(region, *grid).shape == (300, 400)
    np.testing.assert_array_equal(contains_xy(region, *grid), shapely.contains_xy(region, *grid))

"""Data-set thumbnails: size, colours where the points are, background elsewhere."""

import numpy as np
import pytest

from lossdash import data
from lossdash.charts import base, thumbnails


@pytest.mark.parametrize("name", data.names())
def test_every_generated_set_gets_a_square_rgb_thumbnail(name):
    image = thumbnails.thumbnail(data.generate(name, 60), size=48)
    assert image.shape == (48, 48, 3) and image.dtype == np.uint8
    assert (image != thumbnails.BACKGROUND).any()


def test_points_take_their_class_colour_and_position():
    ds = data.Dataset(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]), "classification")
    image = thumbnails.thumbnail(ds, size=20, dot=1)
    orange = thumbnails.rgb(base.palette(1))
    blue = thumbnails.rgb(base.palette(0))
    # x = 1, y = 1 is the top right corner (5 % margin); x = 0, y = 0 the bottom left
    np.testing.assert_array_equal(image[1, 18], orange)
    np.testing.assert_array_equal(image[18, 1], blue)
    assert (image[10, 10] == thumbnails.BACKGROUND).all()

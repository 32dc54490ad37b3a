"""Batch iteration over the uint8 store, and the affine augmentation."""
import tracemalloc

import numpy as np
import pytest

from digitlab.data.augment import random_affine
from digitlab.data.batches import iterate_batches
from digitlab.data.store import ImageSet


def numbered_set(n, h=4, w=3):
    """Image i is filled with the value i and labelled i, so a batch shows which samples it holds."""
    images = np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None], (n, h, w)).copy()
    return ImageSet(images, np.arange(n), [str(i) for i in range(n)])


def sample_ids(batches):
    """The sample ids of every batch, after checking each image still carries its own label."""
    ids = []
    for x, y in batches:
        np.testing.assert_array_equal(np.rint(x[:, 0, 0, 0] * 255), y)
        ids.append(y)
    return ids


def test_in_order_pass_yields_every_sample_once():
    ids = sample_ids(iterate_batches(numbered_set(103), 10))
    assert [len(b) for b in ids] == [10] * 10 + [3]
    np.testing.assert_array_equal(np.concatenate(ids), np.arange(103))


def test_shuffled_pass_yields_every_sample_once_in_a_new_order():
    rng = np.random.default_rng(0)
    image_set = numbered_set(103)
    first = np.concatenate(sample_ids(iterate_batches(image_set, 16, rng)))
    second = np.concatenate(sample_ids(iterate_batches(image_set, 16, rng)))
    for order in (first, second):
        np.testing.assert_array_equal(np.sort(order), np.arange(103))
    assert not np.array_equal(first, np.arange(103))
    assert not np.array_equal(first, second)


def test_batches_are_float32_unit_range_nhwc():
    images = np.random.default_rng(0).integers(0, 256, (37, 5, 7), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    image_set = ImageSet(images, np.zeros(37, np.int64), ["a"])
    batches = list(iterate_batches(image_set, 8))
    for x, _ in batches:
        assert x.dtype == np.float32 and x.shape[1:] == (5, 7, 1)
        assert x.min() >= 0.0 and x.max() <= 1.0
    x = np.concatenate([b[0] for b in batches])
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_allclose(x[..., 0] * 255, images, atol=1e-4)


def test_iteration_never_copies_the_whole_set():
    n, h, w = 20000, 28, 28
    images = np.random.default_rng(0).integers(0, 256, (n, h, w), dtype=np.uint8)
    image_set = ImageSet(images, np.zeros(n, np.int64), ["a"])
    tracemalloc.start()
    try:
        seen = sum(len(y) for _, y in iterate_batches(image_set, 64, np.random.default_rng(0)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == n
    float_copy = n * h * w * 4
    assert peak < float_copy / 20  # not even a uint8 copy (a quarter of this) fits


def test_random_affine_with_zero_ranges_is_identity():
    x = np.random.default_rng(0).random((3, 9, 12)).astype(np.float32)
    out = random_affine(x, np.random.default_rng(1), max_shift=0.0, max_degrees=0.0, max_scale=0.0)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_random_affine_keeps_shape_dtype_and_range():
    x = np.random.default_rng(0).random((4, 9, 12)).astype(np.float32)
    out = random_affine(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, x)


class FixedShiftRng:
    """Stands in for a Generator: each draw is the midpoint of its range, except the
    (N, 2) shift draw, which gives every image the shift (dy, dx)."""

    def __init__(self, dy, dx):
        self.shift = np.array([dy, dx], dtype=np.float64)

    def uniform(self, low, high, size):
        if np.shape(size) == (2,):  # size is (N, 2), not N
            return np.broadcast_to(self.shift, size).copy()
        return np.full(size, (low + high) / 2.0)


@pytest.mark.parametrize("dy, dx", [(2, -1), (-3, 2), (0, 4), (-1, 0)])
def test_random_affine_integer_shift_moves_the_image(dy, dx):
    n, h, w = 2, 9, 12
    x = np.random.default_rng(0).random((n, h, w)).astype(np.float32) + 0.5
    out = random_affine(x, FixedShiftRng(dy, dx), max_shift=5.0, max_degrees=0.0, max_scale=0.0)
    expected = np.zeros_like(x)
    expected[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_the_warp_is_smooth_and_bounded():
    from digitlab.data.augment import smooth_displacement

    field = smooth_displacement(50, 28, 28, 1.5, np.random.default_rng(0))
    assert field.shape == (50, 28, 28) and field.dtype == np.float32
    assert np.abs(field).max() <= 1.5
    assert np.abs(field).max() > 1.0  # the nodes reach near the bound
    # Neighbouring pixels move alike: no step larger than a node's swing over a grid cell.
    assert np.abs(np.diff(field, axis=1)).max() <= 2 * 1.5 / (27 / 3.0) + 1e-5
    assert np.abs(np.diff(field, axis=2)).max() <= 2 * 1.5 / (27 / 3.0) + 1e-5


def test_a_warp_moves_ink_and_none_leaves_the_affine_map_as_it_was():
    x = np.zeros((4, 28, 28), np.float32)
    x[:, 6:22, 12:16] = 1.0
    still = {"max_shift": 0.0, "max_degrees": 0.0, "max_scale": 0.0}  # the identity map
    np.testing.assert_allclose(random_affine(x, np.random.default_rng(3), warp=0.0, **still), x, atol=1e-6)
    assert np.abs(random_affine(x, np.random.default_rng(3), warp=1.5, **still) - x).max() > 0.2
    plain = random_affine(x, np.random.default_rng(3))
    warped = random_affine(x, np.random.default_rng(3), warp=1.5)  # the same map, its random draws first
    assert np.abs(warped - plain).max() > 0.2

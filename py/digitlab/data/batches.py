"""Batch-by-batch iteration: the store stays as it is, one float batch at a time."""
import numpy as np


def iterate_batches(data, batch_size, rng=None, augment=None):
    """Yield (x, y): x a float32 batch of network input (`data.batch`), y int labels.

    `data` is an ImageSet (uint8 images, made (B, H, W, 1) in [0, 1] and augmented here) or a
    FeatureSet (features cached from a network's frozen layers, used as they are). With `rng` the
    order is a fresh permutation of indices (the set is never copied or reordered); every sample
    appears exactly once per pass.
    """
    n = len(data)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield data.batch(idx, rng, augment), data.labels[idx]

"""Weight initialisers: keep activation variance steady from layer to layer.

Without a random generator (rng None) they give zeros: the weights of a model about to be loaded
from a file, where drawing random numbers would only cost time (about 50 ms of the page's boot).
"""
import numpy as np


def he_normal(rng, shape, fan_in):
    """He et al. 2015, for ReLU layers: N(0, 2 / fan_in)."""
    if rng is None:
        return np.zeros(shape, np.float32)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def glorot_uniform(rng, shape, fan_in, fan_out):
    """Glorot & Bengio 2010, for linear/softmax outputs: U(±sqrt(6 / (fan_in + fan_out)))."""
    if rng is None:
        return np.zeros(shape, np.float32)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)

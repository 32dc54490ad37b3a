"""Temperature scaling: make a model's confidence mean what it says.

A network trained to a low loss is over-confident on digits it has not seen: its softmax says
99.9 % where it is right 97 % of the time. Dividing the logits by one temperature T, fitted on
digits held out of training, keeps every reading the same and makes the confidences honest
(Guo et al., "On Calibration of Modern Neural Networks", 2017), so one threshold can say "not sure".
"""
import numpy as np

from .data.batches import iterate_batches
from .nn.losses import softmax_cross_entropy

LOWEST, HIGHEST = 0.05, 20.0  # the temperatures searched
STEPS = 60  # golden-section steps: the bracket shrinks to ~1e-12 of its log-width


def logits_of(model, image_set, batch_size=256):
    """(N, classes) logits and (N,) labels of every image in the set, in order."""
    logits, labels = [], []
    for x, y in iterate_batches(image_set, batch_size):
        logits.append(model.forward(x))
        labels.append(y)
    return np.concatenate(logits).astype(np.float64), np.concatenate(labels)


def fit_temperature(logits, labels):
    """The T that minimises the held-out negative log-likelihood of softmax(logits / T).

    The NLL is convex in 1/T, so a golden-section search over log T finds its minimum.
    """
    def nll(log_t):
        return softmax_cross_entropy(logits / np.exp(log_t), labels)[0]

    low, high = np.log(LOWEST), np.log(HIGHEST)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(STEPS):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(a) < nll(b):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))

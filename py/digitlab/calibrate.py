"""Temperature scaling: make a model's confidence mean what it says.

A network trained to a low loss is over-confident on digits it has not seen: its softmax says
99.9 % where it is right 97 % of the time. Dividing the logits by one temperature T, fitted on
digits held out of training, keeps every reading the same and makes the confidences honest
(Guo et al., "On Calibration of Modern Neural Networks", 2017), so one threshold can say "not sure".

A good model misreads only a few of the held-out digits, and the temperature hangs on those few:
so it is fitted on the digits as they are and on COPIES passes of them augmented as the model was
trained (moved, warped, photographed), which is also how the reader meets digits.
"""
import numpy as np

from .data.batches import iterate_batches
from .nn.losses import softmax_cross_entropy
from .train import augmentation

LOWEST, HIGHEST = 0.05, 20.0  # the temperatures searched
STEPS = 60  # golden-section steps: the bracket shrinks to ~1e-12 of its log-width
# Augmented passes over the calibration digits. Fitted on their 640 held-out digits alone, models of
# the built-in recipe and of three variants of it, trained apart, came out 0.41 to 0.78
# (tests/bench/bench_recipes.py; those of seed 0 misread 2 to 5), and the built-in model 0.96 (9 of its 800
# misread); with 4 passes more, 0.58 to 0.65, and 0.76 to 0.84 as the passes are drawn (8: 0.75 to 0.83).
COPIES = 4


def logits_of(model, image_set, batch_size=256, rng=None, augment=None):
    """(N, classes) logits and (N,) labels of every image in the set: in order, or with `rng` in a
    random order, each image augmented by `augment`."""
    logits, labels = [], []
    for x, y in iterate_batches(image_set, batch_size, rng, augment):
        logits.append(model.forward(x))
        labels.append(y)
    return np.concatenate(logits).astype(np.float64), np.concatenate(labels)


def calibration_logits(model, image_set, config):
    """Logits and labels of the held-out `image_set` as it is, then of COPIES passes of it augmented
    as TrainConfig `config` augments (none when it does not)."""
    rng = np.random.default_rng(config.seed)
    passes = [logits_of(model, image_set)]
    if config.augment:
        passes += [logits_of(model, image_set, rng=rng, augment=augmentation(config)) for _ in range(COPIES)]
    return np.concatenate([logits for logits, _ in passes]), np.concatenate([labels for _, labels in passes])


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

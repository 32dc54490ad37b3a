"""Transfer learning: a new classifier on the stroke features a trained network already computes.

The base network (the built-in feature network, taught digits and glyphs: data/glyphs.py) is cut
after its convolutions. The layers below the cut are frozen: each image's features are computed
once, batch by batch, with a few augmented copies of each image (a handful of examples per class
needs them), and only a small head -- dropout and a new dense layer, one output per label -- is
trained on those cached features: seconds, where training the whole network takes minutes. Base
and head are one Sequential, saved like any model.

Like `train.fit`, every step here is a generator of the same progress events, so the CLI and the
page's worker show a transfer run as they show any training.
"""
import functools

import numpy as np

from .data.augment import random_affine
from .data.batches import iterate_batches
from .errors import DigitlabError
from .nn.model import Sequential
from .nn.zoo import classifier
from .train import TrainConfig, fit, total_steps

NAME = "transfer"  # what a model made here is called (its file's architecture name, which the page's words follow)
BASE_NETWORK = "The network to start from"  # what the words call a base network
COPIES = 30  # augmented copies of each image cached besides the image itself...
# ...fewer when the set is larger, at most this many rows: copies make up for a handful of examples,
# and caching is most of a run's time. At 30 a class, on our dev folders (tests/sets/classes.py seeds
# 3-6, seven few-shot seeds), 3,000 rows read letters 99.0-99.1 % and shapes 98.4-98.6 %, where 2,000
# read 99.0 and 98.2-98.3, for half as much time again (7.3 s not 4.9 in CPython for the seven).
# More copies did not help at 5 a class (60 not 30: letters 98.0 not 97.9, shapes 96.1 not 96.0).
FEATURE_ROWS = 3000
FEATURE_BYTES = 32 * 2 ** 20  # and the cache stays within this many bytes, whatever a base's feature size
# The copies are turned and warped more than training augments digits (10 degrees, and a warp of 1.5
# pixels in the digit network's recipe): a handful of examples a class has to stand for every way of
# writing it. On our dev folders (tests/sets/classes.py seeds 3-6, three few-shot seeds each), with 30
# copies not 15, this read 96.4 % of the validation pictures at 5 a class, where copies turned up to 10
# degrees and not warped read 95.0; at 2 a class 89.0 not 85.0, at 30 a class as well (98.9 not 98.7).
# 20 degrees or 4 pixels read no better.
COPY_DEGREES = 15.0
COPY_WARP = 2.5
HEAD = TrainConfig(epochs=20, lr=5e-3, weight_decay=1e-3, augment=False)  # augmentation is in the copies
HEAD_DROPOUT = 0.3
FEATURE_BATCH = 64  # images per frozen forward pass: bounds the conv layers' working memory


class FeatureSet:
    """Cached features and their labels, read batch by batch as an ImageSet is."""

    def __init__(self, features, labels, label_names):
        self.features, self.labels, self.label_names = features, np.asarray(labels, np.int64), list(label_names)

    def __len__(self):
        return len(self.features)

    def batch(self, index, rng=None, augment=None):
        return self.features[index]  # (B, D): augmented when cached


def head_start(spec):
    """Index of the first head layer: the first dense one. The convolutions below it are the stroke
    features; the base's dense layers learnt its own classes, so a new head replaces them. On our
    letter folders (tests/bench/bench_transfer.py, 5 examples a class, 7 copies, the `wide` digit
    network) a head on the conv features read 94 % of the validation letters, one on the last dense
    features 53 %; on a network taught 8,000 named glyphs too (data/glyphs.py), 96 % and 89 %."""
    dense = [i for i, layer in enumerate(spec) if layer["type"] == "dense"]
    if not dense:
        raise DigitlabError("the base network has no dense layer, so nothing says where its features end")
    return dense[0]


def with_new_head(base, label_names, seed=0):
    """A model of `base`'s feature layers (copied, frozen) and a new head with one output per label."""
    start = head_start(base.spec)
    spec = base.spec[:start] + [{"type": "dropout", "rate": HEAD_DROPOUT}, classifier(len(label_names))]
    model = Sequential(spec, base.input_shape, seed=seed)
    for mine, theirs in zip(model.layers[:start], base.layers[:start]):
        for key, value in theirs.params.items():
            mine.params[key][...] = value
    model.frozen = start
    return model


def features(model, image_set, copies, seed):
    """Cache the features of `image_set` through `model`'s frozen layers: the images, then `copies`
    augmented passes over them, batch by batch into one preallocated array. A generator: it yields a
    {"event": "features"} progress event per batch (a page stays responsive) and returns the FeatureSet."""
    feature_layers = model.layers[:model.frozen]
    rows = np.empty(((1 + copies) * len(image_set),) + model.shapes[model.frozen], np.float32)  # (N', D)
    labels = np.empty(len(rows), np.int64)
    rng = np.random.default_rng(seed)
    augment = functools.partial(random_affine, max_degrees=COPY_DEGREES, warp=COPY_WARP)
    filled = 0
    for copy in range(1 + copies):
        for x, y in iterate_batches(image_set, FEATURE_BATCH, *((rng, augment) if copy else ())):
            for layer in feature_layers:
                x = layer.forward(x)  # (B, 28, 28, 1) -> ... -> (B, D)
            rows[filled:filled + len(y)], labels[filled:filled + len(y)] = x, y
            filled += len(y)
            yield {"event": "features", "done": filled, "total": len(rows)}
    return FeatureSet(rows, labels, image_set.label_names)


def copies_for(image_count, feature_size):
    """How many augmented copies of each image to cache, within FEATURE_ROWS and FEATURE_BYTES."""
    rows = min(FEATURE_ROWS, FEATURE_BYTES // (4 * feature_size))
    return int(max(0, min(COPIES, rows // max(1, image_count) - 1)))


def fit_head(model, train_set, val_set=None, seed=0, epochs=None):
    """Train `model`'s head on cached features of `train_set` for `epochs` (HEAD's by default); yield
    the caching's progress events, then train.fit's events, scored on `val_set` each epoch when given."""
    cached = yield from features(model, train_set, _copies(model, len(train_set)), seed)
    val = None
    if val_set is not None and len(val_set):
        val = yield from features(model, val_set, 0, seed)
    yield from fit(model.top(model.frozen), cached, head_config(seed, epochs), val)


def head_config(seed, epochs=None):
    """How a head trains: HEAD's rate, batch and L2 whatever a run asks for, with its seed and epochs."""
    return TrainConfig(**dict(HEAD.as_dict(), seed=seed, epochs=epochs or HEAD.epochs))


def head_steps(model, image_count, config):
    """How many batches `fit_head` trains the head for with `config` (head_config's): its batch
    events count up to this."""
    return total_steps((1 + _copies(model, image_count)) * image_count, config)


def _copies(model, image_count):
    """copies_for `image_count` images of the features `model`'s frozen layers give."""
    (feature_size,) = model.shapes[model.frozen]  # (D,)
    return copies_for(image_count, feature_size)

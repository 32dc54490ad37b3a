"""Training in time slices, for a host that must stay responsive (the browser worker).

A session wraps `train.fit`'s event generator: `step` runs batches until a
time budget is spent and returns the events for the charts; `report` scores
the finished model on the test set, with the digits it got wrong.
"""
import base64
import time

import numpy as np

from .nn.model import Sequential
from .nn.zoo import ARCHITECTURES, architecture
from .train import TrainConfig, evaluate, fit
from .transfer import fit_head, head_steps, with_new_head

MAX_MISTAKES_SHOWN = 24


def pixels_b64(image):
    """A uint8 image as base64 text, the compact way to hand pixels to the page."""
    return base64.b64encode(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).decode("ascii")


def subset_per_label(image_set, per_label):
    """The first `per_label` images of each label (all of them when per_label is None)."""
    if per_label is None:
        return image_set
    index = np.concatenate([np.flatnonzero(image_set.labels == k)[:per_label]
                            for k in range(len(image_set.label_names))])
    return image_set.subset(np.sort(index))


class TrainingSession:
    def __init__(self, train_set, test_set, name, config, base=None):
        """Train architecture `name` from scratch, or with a `base` network a new head on its features."""
        if base is None and name not in ARCHITECTURES:
            raise ValueError("unknown model %r" % name)
        self.architecture, self.config = ("transfer" if base is not None else name), config
        self.train_set, self.test_set = train_set, test_set
        if base is not None:
            self.model = with_new_head(base, train_set.label_names, seed=config.seed)
            self.events = fit_head(self.model, train_set, test_set, seed=config.seed, epochs=config.epochs)
            self.total_steps = head_steps(self.model, len(train_set), config.epochs)
        else:
            spec = architecture(name, len(train_set.label_names))
            self.model = Sequential(spec, train_set.images.shape[1:] + (1,), seed=config.seed)
            self.events = fit(self.model, train_set, config, val_set=test_set)
            self.total_steps = -(-len(train_set) // config.batch_size) * config.epochs
        self.done = False

    def step(self, seconds):
        """Train until `seconds` have passed (at least one batch); return the new events."""
        deadline = time.perf_counter() + seconds
        batches, epochs = [], []
        while not self.done and (not batches or time.perf_counter() < deadline):
            event = next(self.events, None)
            if event is None:
                self.done = True
            elif event["event"] == "batch":
                batches.append(event)
            elif event["event"] == "epoch":
                epochs.append(event)  # (a transfer run's feature caching only needs the time slices)
        return {"batches": batches, "epochs": epochs, "done": self.done}

    def report(self):
        """Test accuracy, per-class accuracy, confusion matrix and the misclassified images; the
        accuracy None when there is no test set (a folder too small to hold images out)."""
        if self.test_set is None:
            return {"accuracy": None, "loss": None, "per_class": {}, "confusion": [], "labels": [], "mistakes": []}
        return evaluation_report(self.model, self.test_set)


def evaluation_report(model, test_set):
    """`evaluate`'s scores of `model` on `test_set`, with a few of the images it got wrong."""
    predicted = []
    scores = evaluate(model, test_set, predictions=predicted)
    predicted = np.array(predicted, dtype=np.int64)
    wrong = spread_over_labels(np.flatnonzero(predicted != test_set.labels), test_set.labels, MAX_MISTAKES_SHOWN)
    names = test_set.label_names
    scores["mistakes"] = [{"truth": names[test_set.labels[i]], "predicted": names[predicted[i]],
                           "pixels": pixels_b64(test_set.images[i])} for i in wrong]
    return scores


def spread_over_labels(index, labels, limit):
    """Up to `limit` of `index`, taken from each true label in turn, so every class shows."""
    queues = [list(index[labels[index] == k]) for k in np.unique(labels[index])]
    picked = []
    while len(picked) < limit and any(queues):
        picked.extend(q.pop(0) for q in queues if q)
    return picked[:limit]


def samples(image_set, per_label):
    """A few images of every label, for a panel that shows what the data looks like."""
    shown = subset_per_label(image_set, per_label)
    return [{"label": shown.label_names[y], "pixels": pixels_b64(x)} for x, y in zip(shown.images, shown.labels)]


def config_from(payload):
    """TrainConfig from the page's settings, within sane bounds."""
    return TrainConfig(epochs=_bounded(payload, "epochs", 1, 50, 3), batch_size=_bounded(payload, "batch_size", 8, 1024, 64),
                       lr=float(payload.get("lr", 2e-3)), augment=bool(payload.get("augment", True)))


def _bounded(payload, key, low, high, default):
    return max(low, min(high, int(payload.get(key, default))))

"""Training in time slices, for a host that must stay responsive (the browser worker).

A session wraps `train.fit`'s event generator: `step` runs batches until a
time budget is spent and returns the events for the charts; `report` scores
the finished model on the test set, with the digits it got wrong.
"""
import base64
import time

import numpy as np

from .errors import DigitlabError
from .nn.model import Sequential
from .nn.zoo import architecture
from .train import TrainConfig, evaluate, fit, total_steps
from .transfer import NAME as TRANSFER, fit_head, head_config, head_steps, with_new_head

MAX_MISTAKES_SHOWN = 24

# The page's training settings, defined once: the engine checks them, its `info` hands them to the
# page, which fills its fields from them and says next to a field what is wrong with its value.
# Bounds keep a tab responsive (a batch of 1,024 is the kernel's sweet spot; 50 epochs of MNIST are
# minutes); a short run is the page's default, the rest is TrainConfig's.
SETTINGS = {
    "epochs": {"default": 3, "min": 1, "max": 50, "kind": "int"},
    "batch_size": {"default": TrainConfig().batch_size, "min": 8, "max": 1024, "kind": "int"},
    "lr": {"default": TrainConfig().lr, "min": 1e-5, "max": 1.0, "kind": "float"},
}


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
    def __init__(self, train_set, test_set, name, config, base=None, spec=None):
        """Train architecture `name` (or, named so, the `spec` of a network written in the page) from
        scratch, or with a `base` network a new head on its features."""
        self.architecture, self.config = (TRANSFER if base is not None else name), config
        self.train_set, self.test_set = train_set, test_set
        if base is not None:
            self.config = head_config(config.seed, config.epochs)  # what the head really trains with, as reported
            self.model = with_new_head(base, train_set.label_names, seed=config.seed)
            self.events = fit_head(self.model, train_set, test_set, seed=config.seed, epochs=config.epochs)
            self.total_steps = head_steps(self.model, len(train_set), self.config)
        else:
            spec = spec or architecture(name, len(train_set.label_names))
            self.model = Sequential(spec, train_set.input_shape, seed=config.seed)
            self.events = fit(self.model, train_set, config, val_set=test_set)
            self.total_steps = total_steps(len(train_set), config)
        self.done = False

    def step(self, seconds):
        """Train until `seconds` have passed (at least one event); return the new events, and how far a
        transfer run's feature caching has got ({"done", "total"} rows: the images and their copies; or None)."""
        deadline = time.perf_counter() + seconds
        batches, epochs, caching = [], [], None
        while not self.done:
            event = self._next_event()
            if event is None:
                self.done = True
            elif event["event"] == "batch":
                batches.append(event)
            elif event["event"] == "epoch":
                epochs.append(event)
            elif event["event"] == "features":  # caching ends a slice too: the page can pause it, and says how far
                caching = {"done": event["done"], "total": event["total"]}
            if time.perf_counter() >= deadline:
                break
        return {"batches": batches, "epochs": epochs, "features": caching, "done": self.done}

    def _next_event(self):
        try:
            return next(self.events, None)
        except MemoryError:  # a network written in the page may fit an image and not a batch of them
            self.done = True
            raise DigitlabError("Training ran out of memory: the network is too large for this page at a batch "
                                "of %d images. Try a smaller batch, or fewer filters." % self.config.batch_size)

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
    """TrainConfig from the page's settings; a value out of SETTINGS' bounds is refused, not clamped."""
    values = {name: setting_value(payload, name) for name in SETTINGS}
    return TrainConfig(epochs=values["epochs"], batch_size=values["batch_size"], lr=values["lr"],
                       augment=bool(payload.get("augment", True)))


def setting_value(payload, name):
    setting = SETTINGS[name]
    value = payload.get(name, setting["default"])
    kind = int if setting["kind"] == "int" else float
    if isinstance(value, bool) or not isinstance(value, (int, float)) or kind(value) != value \
            or not setting["min"] <= value <= setting["max"]:
        raise ValueError("%s must be %s from %g to %g, not %r" % (name, "a whole number" if kind is int else "a number",
                                                                  setting["min"], setting["max"], value))
    return kind(value)

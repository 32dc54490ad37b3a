"""The training loop, as a generator of progress events.

`fit` yields after every batch, so a caller decides what happens between
steps: the CLI prints, the browser worker reports charts and handles pause,
cancel and predictions. Nothing here knows who is listening.
"""
import functools
import time

import numpy as np

from .data.augment import photo_like, random_affine
from .data.batches import iterate_batches
from .errors import DigitlabError
from .nn.losses import NO_LABEL, softmax_cross_entropy
from .nn.optim import OPTIMIZERS, SCHEDULES

CLOCK_STEP = 1e-3  # the coarsest step of a browser's clock (1 ms): the shortest an epoch is timed as
DIVERGED = ("The training broke down in epoch %d: its loss is no longer a number, and it can learn nothing "
            "more. Train again with a lower learning rate.")


class TrainConfig:
    def __init__(self, epochs=12, batch_size=64, lr=2e-3, optimizer="adam", schedule="steady",
                 weight_decay=1e-4, augment=True, warp=0.0, photo=0.0, seed=0):
        self.epochs, self.batch_size, self.lr, self.schedule = epochs, batch_size, lr, schedule
        self.optimizer, self.weight_decay = optimizer, weight_decay
        self.augment, self.seed = augment, seed
        self.warp = warp  # the elastic warp's pixels
        self.photo = photo  # the share of images given a pen's and a photo's changes (augment.photo_like)

    def as_dict(self):
        return dict(vars(self))


def fit(model, train_set, config, val_set=None):
    """Train `model` in place; yield {"event": "batch" | "epoch", ...} dicts."""
    rng = np.random.default_rng(config.seed)
    optimizer = OPTIMIZERS[config.optimizer](lr=config.lr, weight_decay=config.weight_decay)
    schedule = SCHEDULES[config.schedule]
    total = total_steps(len(train_set), config)
    augment = augmentation(config) if config.augment else None
    step = 0
    for epoch in range(config.epochs):
        started, seen, loss_sum, scored, correct = time.perf_counter(), 0, 0.0, 0, 0
        for x, y in iterate_batches(train_set, config.batch_size, rng, augment):
            logits = model.forward(x, training=True)
            loss, grad = softmax_cross_entropy(logits, y)
            if not np.isfinite(loss):  # every step after it would be NaN too: say so, not train on
                raise DigitlabError(DIVERGED % (epoch + 1))
            model.backward(grad, input_grad=False)
            lr = schedule(config.lr, step, total)
            optimizer.step(model.trainable_layers(), lr)
            step += 1
            labelled = y != NO_LABEL  # the drawings to be unsure of have no right answer to count
            batch_correct = int((logits.argmax(axis=1) == y)[labelled].sum())
            seen += len(y)
            scored += int(labelled.sum())
            loss_sum += loss * len(y)
            correct += batch_correct
            yield {"event": "batch", "epoch": epoch, "step": step, "total_steps": total,
                   "loss": loss, "accuracy": batch_correct / max(1, int(labelled.sum())), "lr": lr}
        seconds = max(time.perf_counter() - started, CLOCK_STEP)  # a tiny folder's epoch: less than a step
        report = {"event": "epoch", "epoch": epoch, "loss": loss_sum / seen,
                  "accuracy": correct / max(1, scored), "seconds": seconds, "images_per_second": seen / seconds}
        if val_set is not None:
            scores = evaluate(model, val_set)
            report.update(val_loss=scores["loss"], val_accuracy=scores["accuracy"])
        yield report


def total_steps(image_count, config):
    """The batches `fit` trains for on `image_count` images (each epoch's last batch may be short)."""
    return -(-image_count // config.batch_size) * config.epochs


def augmentation(config):
    affine = functools.partial(random_affine, warp=config.warp)
    if not config.photo:
        return affine
    return lambda x, rng: affine(photo_like(x, rng, config.photo), rng)


def check_reads(model, image_set, whose="The model"):
    """Refuse, in words, to run `model` (`whose`: "The network to start from", say) on images of
    another shape than it reads: a model file and an image store are each of their own."""
    shape = image_set.input_shape
    if model.input_shape != shape:
        raise DigitlabError("%s reads %dx%dx%d images, and these are %dx%dx%d." % ((whose,) + model.input_shape + shape))


def evaluate(model, image_set, batch_size=128, predictions=None):
    """Accuracy, mean loss, per-class accuracy (None without images) and the confusion matrix (rows = truth).

    Pass a list as `predictions` to also receive each image's predicted class
    index, in order, from the same pass.
    """
    k = len(image_set.label_names)
    confusion = np.zeros((k, k), dtype=np.int64)
    loss_sum, seen = 0.0, 0
    for x, y in iterate_batches(image_set, batch_size):
        logits = model.forward(x)
        loss, _ = softmax_cross_entropy(logits, y)
        loss_sum, seen = loss_sum + loss * len(y), seen + len(y)
        predicted = logits.argmax(axis=1)
        labelled = y != NO_LABEL  # a drawing to be unsure of has no right answer: no row (-1 is the last one)
        np.add.at(confusion, (y[labelled], predicted[labelled]), 1)
        if predictions is not None:
            predictions.extend(predicted.tolist())
    n = max(1, int(confusion.sum()))
    per_class_total = confusion.sum(axis=1)
    per_class = [int(right) / total if total else None  # None: no images of that class to score
                 for right, total in zip(np.diag(confusion), per_class_total)]
    return {
        "accuracy": float(np.trace(confusion)) / n,
        "loss": loss_sum / max(1, seen),
        "per_class": dict(zip(image_set.label_names, per_class)),
        "confusion": confusion.tolist(),
        "labels": list(image_set.label_names),
    }

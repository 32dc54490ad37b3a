"""The training loop on a toy problem, and evaluation against a model with known answers."""
import math

import numpy as np
import pytest

from digitlab.data.store import ImageSet
from digitlab.nn.losses import NO_LABEL
from digitlab.nn.model import Sequential
from digitlab.nn.optim import steady_lr
from digitlab.nn.zoo import ARCHITECTURES
from digitlab import train
from digitlab.errors import DigitlabError
from digitlab.train import TrainConfig, check_reads, evaluate, fit

BATCH_KEYS = {"event", "epoch", "step", "total_steps", "loss", "accuracy", "lr"}
EPOCH_KEYS = {"event", "epoch", "loss", "accuracy", "seconds", "images_per_second"}


def two_pattern_set(n, seed):
    """Noisy 28x28 images: label 0 lights the top half, label 1 the bottom half."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.integers(0, 60, (n, 28, 28))
    for i, label in enumerate(labels):
        images[i, 14 * label:14 * label + 14, 4:24] += 150
    return ImageSet(images.astype(np.uint8), labels, [str(d) for d in range(10)])


@pytest.mark.parametrize("arch", ["logreg", "mlp"])
def test_fit_learns_a_separable_problem(arch):
    train_set, val_set = two_pattern_set(200, seed=0), two_pattern_set(60, seed=1)
    model = Sequential(ARCHITECTURES[arch], (28, 28, 1), seed=0)
    config = TrainConfig(epochs=3, batch_size=32, lr=1e-2, augment=False, seed=0)
    assert evaluate(model, train_set)["accuracy"] < 0.6
    events = list(fit(model, train_set, config, val_set=val_set))
    epochs = [e for e in events if e["event"] == "epoch"]
    assert epochs[-1]["accuracy"] > 0.9
    assert epochs[-1]["loss"] < epochs[0]["loss"]
    assert epochs[-1]["val_accuracy"] > 0.9
    assert evaluate(model, train_set)["accuracy"] > 0.9


def test_fit_event_stream():
    train_set = two_pattern_set(100, seed=0)
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1), seed=0)
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-2, augment=False, seed=0)
    events = list(fit(model, train_set, config, val_set=train_set))
    steps_per_epoch = 4  # 32 + 32 + 32 + 4
    total = 2 * steps_per_epoch
    assert [e["event"] for e in events] == (["batch"] * steps_per_epoch + ["epoch"]) * 2
    batches = [e for e in events if e["event"] == "batch"]
    for step, event in enumerate(batches):
        assert set(event) == BATCH_KEYS
        assert event["step"] == step + 1 and event["total_steps"] == total
        assert event["epoch"] == step // steps_per_epoch
        assert event["lr"] == pytest.approx(steady_lr(1e-2, step, total))
        assert 0.0 <= event["accuracy"] <= 1.0 and math.isfinite(event["loss"])
    epochs = [e for e in events if e["event"] == "epoch"]
    for epoch, event in enumerate(epochs):
        assert set(event) == EPOCH_KEYS | {"val_loss", "val_accuracy"}
        assert event["epoch"] == epoch
        assert event["seconds"] > 0 and event["images_per_second"] > 0
    last = batches[steps_per_epoch:]
    sizes = [32, 32, 32, 4]
    assert epochs[1]["accuracy"] == pytest.approx(sum(b["accuracy"] * s for b, s in zip(last, sizes)) / 100)
    assert epochs[1]["loss"] == pytest.approx(sum(b["loss"] * s for b, s in zip(last, sizes)) / 100)
    final = evaluate(model, train_set)
    assert epochs[1]["val_accuracy"] == final["accuracy"]
    assert epochs[1]["val_loss"] == pytest.approx(final["loss"])


def test_fit_steps_with_the_scheduled_learning_rate():
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1), seed=0)
    before = model.layers[1].params["w"].copy()
    config = TrainConfig(epochs=1, batch_size=10, lr=1e-2, augment=False, schedule="cosine")
    first = next(fit(model, two_pattern_set(200, seed=0), config))
    assert first["lr"] == pytest.approx(1e-2 / 2)  # step 0 of cosine's 2-step warm-up
    # Adam's first step moves every weight by lr (times |g| / (|g| + eps)).
    moved = np.abs(model.layers[1].params["w"] - before)
    assert moved.max() == pytest.approx(first["lr"], rel=1e-4)


def test_a_training_whose_loss_is_no_longer_a_number_stops_in_words():
    """At a learning rate of 1e37 the weights overflow float32 in the first steps: every step after
    would train on NaN, and the page's charts and the CLI's summary showed NaN for a model."""
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1), seed=0)
    config = TrainConfig(epochs=3, batch_size=32, lr=1e37, augment=False, seed=0)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(DigitlabError, match=(
            "The training broke down in epoch 1: its loss is no longer a number.*lower learning rate")):
        list(fit(model, two_pattern_set(200, seed=0), config))


def test_fit_without_val_set_has_no_val_keys():
    config = TrainConfig(epochs=1, batch_size=50, augment=False)
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1))
    events = list(fit(model, two_pattern_set(100, seed=0), config))
    assert set(events[-1]) == EPOCH_KEYS


def test_an_epoch_shorter_than_the_clock_can_tell_is_timed_as_one_step_of_it(monkeypatch):
    """A browser's clock may move in whole milliseconds; a tiny folder's epoch takes less."""
    monkeypatch.setattr(train.time, "perf_counter", lambda: 1000.0)  # a clock that has not moved on
    model = Sequential(ARCHITECTURES["logreg"], (28, 28, 1))
    epoch = list(fit(model, two_pattern_set(3, seed=0), TrainConfig(epochs=1, augment=False)))[-1]
    assert epoch["seconds"] == train.CLOCK_STEP and epoch["images_per_second"] == 3 / train.CLOCK_STEP


def test_a_model_is_not_scored_on_images_of_another_size_than_it_reads():
    with pytest.raises(DigitlabError, match=r"^The model reads 1x3x1 images, and these are 28x28x1\.$"):
        check_reads(argmax_model(), two_pattern_set(4, seed=0))


def argmax_model():
    """A 1x3-pixel classifier whose logits are the pixels: it predicts the brightest one."""
    model = Sequential([{"type": "flatten"}, {"type": "dense", "units": 3}], (1, 3, 1))
    model.layers[1].params["w"][...] = np.eye(3, dtype=np.float32)
    model.layers[1].params["b"][...] = 0.0
    return model


def test_evaluate_against_known_predictions():
    truth_and_prediction = [(0, 0), (0, 0), (0, 1), (0, 2), (1, 1), (1, 1),
                            (2, 2), (2, 2), (2, 2), (2, 0)]
    truth = np.array([t for t, _ in truth_and_prediction])
    images = np.zeros((10, 1, 3), np.uint8)
    for i, (_, predicted) in enumerate(truth_and_prediction):
        images[i, 0, predicted] = 255
    scores = evaluate(argmax_model(), ImageSet(images, truth, ["a", "b", "c"]), batch_size=4)
    confusion = np.array(scores["confusion"])
    np.testing.assert_array_equal(confusion, [[2, 1, 1], [0, 2, 0], [1, 0, 3]])
    assert confusion.sum() == 10
    assert scores["accuracy"] == pytest.approx(np.trace(confusion) / 10) == pytest.approx(0.7)
    assert scores["per_class"] == pytest.approx({"a": 2 / 4, "b": 2 / 2, "c": 3 / 4})
    assert scores["labels"] == ["a", "b", "c"]
    # Logits are one 1 and two 0s: loss log(e + 2) - 1 when right, log(e + 2) when wrong.
    assert scores["loss"] == pytest.approx(math.log(math.e + 2) - 0.7, rel=1e-6)


def test_evaluate_leaves_images_of_no_label_out_of_the_scores():
    images = np.array([[[0, 255, 0]], [[0, 0, 255]], [[255, 0, 0]]], dtype=np.uint8)  # read as b, c, a
    scores = evaluate(argmax_model(), ImageSet(images, [1, NO_LABEL, 0], ["a", "b", "c"]))
    assert scores["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0]] and scores["accuracy"] == 1.0
    assert scores["per_class"]["c"] is None


def test_evaluate_per_class_matches_confusion_diagonal():
    image_set = two_pattern_set(150, seed=3)
    scores = evaluate(Sequential(ARCHITECTURES["mlp"], (28, 28, 1), seed=1), image_set, batch_size=64)
    confusion = np.array(scores["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == 150
    np.testing.assert_array_equal(confusion.sum(axis=1)[:2], np.bincount(image_set.labels, minlength=2))
    assert scores["accuracy"] == pytest.approx(np.trace(confusion) / 150)
    for k, name in enumerate(image_set.label_names[:2]):
        assert scores["per_class"][name] == pytest.approx(confusion[k, k] / confusion[k].sum())
    assert all(scores["per_class"][name] is None for name in image_set.label_names[2:])  # no images


def test_evaluate_can_hand_back_its_predictions_in_order():
    images = np.array([[[0, 255, 0]], [[255, 0, 0]], [[0, 0, 255]], [[0, 255, 0]]], dtype=np.uint8)
    data = ImageSet(images, [1, 0, 0, 1], ["a", "b", "c"])
    predictions = []
    scores = evaluate(argmax_model(), data, batch_size=3, predictions=predictions)
    assert predictions == [1, 0, 2, 1]
    assert scores["accuracy"] == 0.75

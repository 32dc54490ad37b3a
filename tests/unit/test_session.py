"""Training in time slices, and the engine commands the page's trainer uses."""
import re
import base64
import io
import os
import resource
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from digitlab.data import store
from digitlab.data.store import ImageSet, save_sets
from digitlab import session, transfer
from digitlab.engine import Engine
from digitlab.errors import DigitlabError
from digitlab.model_file import load_model, model_bytes
from digitlab.nn.model import Sequential
from digitlab.session import TrainingSession, spread_over_labels, subset_per_label
from digitlab.train import TrainConfig

LABELS = ["a", "b", "c"]


def bars(n_per_label, seed=0):
    """Three easy classes: a horizontal, a vertical and a diagonal bar, with noise."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for k in range(3):
        for _ in range(n_per_label):
            image = np.zeros((28, 28))
            offset = rng.integers(8, 20)
            if k == 0:
                image[offset, 4:24] = 1
            elif k == 1:
                image[4:24, offset] = 1
            else:
                np.fill_diagonal(image, 1)
            image += rng.uniform(0, 0.2, image.shape)
            images.append(np.clip(image * 255, 0, 255).astype(np.uint8))
            labels.append(k)
    return ImageSet(np.array(images), np.array(labels), LABELS)


def store_bytes(train, test):
    out = io.BytesIO()
    save_sets(out, train=train, test=test)
    return out.getvalue()


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# A network the page's checks let through (each image fits), whose first batch of 256 needs 1.7 GB
# for one convolution's columns: run in a process held to 1.5 GB, as a tab's memory is held.
TOO_BIG = """
from tests.unit.test_session import bars, store_bytes
from digitlab.engine import Engine
from digitlab.errors import DigitlabError
code = "model = [Conv2D(filters=256, kernel=3, pad=1), ReLU(), Conv2D(filters=256, kernel=3, pad=1), Flatten(), " \
       "Dense(units=classes)]"
engine = Engine()
engine.handle("load_data", {}, store_bytes(bars(100), bars(5, seed=1)))
engine.handle("train_start", {"architecture": "python", "code": code, "epochs": 1, "batch_size": 256})
try:
    engine.handle("train_step", {"seconds": 0.1})
except DigitlabError as err:
    print(err)
print(engine.handle("train_step", {"seconds": 0.1})["done"])
"""


def test_a_network_too_big_for_its_batch_says_so_when_memory_runs_out():
    limit = 1536 * 2 ** 20
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "py"), ROOT]))
    run = subprocess.run([sys.executable, "-c", TOO_BIG], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=300, env=env,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "Training ran out of memory: the network is too large for this page at a batch of 256 images. Try a "
        "smaller batch, or fewer filters.", "True"]  # and the run has ended


def test_a_session_reports_every_batch_once_and_finishes():
    session = TrainingSession(bars(20), bars(5, seed=1), "logreg", TrainConfig(epochs=2, batch_size=16, augment=False))
    steps, epochs = [], []
    while not session.done:
        slice_ = session.step(0.0)  # a zero budget still makes progress: one batch
        steps += [b["step"] for b in slice_["batches"]]
        epochs += slice_["epochs"]
    assert steps == list(range(1, 2 * 4 + 1))  # 60 images in batches of 16: 4 a epoch
    assert [e["epoch"] for e in epochs] == [0, 1] and "val_accuracy" in epochs[-1]


def test_the_report_scores_the_test_set_and_shows_mistakes_of_every_label():
    session = TrainingSession(bars(30), bars(10, seed=2), "logreg", TrainConfig(epochs=1, batch_size=90, lr=1e-9,
                                                                                 augment=False))
    while not session.done:
        session.step(1.0)
    report = session.report()
    assert np.sum(report["confusion"]) == 30
    wrong = 30 - np.trace(report["confusion"])
    assert len(report["mistakes"]) == min(wrong, 24)
    for mistake in report["mistakes"]:
        assert mistake["truth"] != mistake["predicted"]
        assert len(base64.b64decode(mistake["pixels"])) == 28 * 28


def test_mistakes_are_spread_over_the_true_labels():
    labels = np.array([0] * 50 + [1] * 3 + [2] * 50)
    picked = spread_over_labels(np.arange(len(labels)), labels, 7)
    assert list(labels[picked]) == [0, 1, 2, 0, 1, 2, 0]


def test_a_subset_takes_the_first_images_of_each_label():
    data = bars(10)
    small = subset_per_label(data, 3)
    assert list(small.labels) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(small.images[3], data.images[10])
    assert subset_per_label(data, None) is data


def test_the_engine_trains_scores_and_exports_a_model_that_loads():
    engine = Engine()
    assert engine.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))["labels"] == LABELS
    started = engine.handle("train_start", {"architecture": "mlp", "epochs": 2, "batch_size": 20})
    assert started["total_steps"] == 6 and started["images"] == 60
    while not engine.handle("train_step", {"seconds": 0.05})["done"]:
        pass
    report = engine.handle("train_report", {})
    assert report["model"]["name"] == "mlp" and report["accuracy"] > 0.5
    exported = engine.handle("export_model", {"float16": True, "trained": True})
    saved = load_model(base64.b64decode(exported["base64"]))
    assert saved.labels == LABELS and saved.meta["weights_dtype"] == "float16"
    assert saved.meta["metrics"]["test_accuracy"] == report["accuracy"]


def test_the_model_trained_is_exported_only_by_the_engine_that_trained_it():
    """A trainer worker started again loads the reading model: it must not pass that off as trained."""
    engine = Engine()
    engine.handle("load_model", {}, a_logreg_file())
    with pytest.raises(DigitlabError, match="No model has been trained since the engine started"):
        engine.handle("export_model", {"trained": True})
    engine.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "batch_size": 20})
    trained, _ = trained_model_file(engine)
    assert load_model(trained).name == "mlp"
    reading = base64.b64decode(engine.handle("export_model", {})["base64"])
    assert load_model(reading).name == "logreg"  # training leaves the model that reads as it was


def test_the_engine_counts_the_memory_training_takes_then_stops_counting():
    engine = Engine()
    engine.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))
    engine.handle("memory_trace_start", {})
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "batch_size": 20})
    while not engine.handle("train_step", {"seconds": 0.05})["done"]:
        pass
    traced = engine.handle("memory_trace_stop", {})
    one_float_batch = 20 * 28 * 28 * 4
    assert traced["peak_bytes"] >= max(traced["current_bytes"], one_float_batch)
    assert not tracemalloc.is_tracing()
    with pytest.raises(DigitlabError, match="not being traced"):
        engine.handle("memory_trace_stop", {})


@pytest.mark.parametrize("settings, refusal", [
    ({"epochs": 10 ** 6}, "epochs must be a whole number from 1 to 50, not 1000000"),
    ({"epochs": 0}, "epochs must be a whole number from 1 to 50"),
    ({"batch_size": 5000}, "batch_size must be a whole number from 8 to 1024"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"lr": -1}, "lr must be a number from 1e-05 to 1, not -1"),
    ({"lr": "fast"}, "lr must be a number"),
])
def test_training_settings_out_of_their_bounds_are_refused_not_clamped(settings, refusal):
    engine = Engine()
    engine.handle("load_data", {}, store_bytes(bars(4), bars(2)))
    with pytest.raises(DigitlabError, match="Cannot train: " + re.escape(refusal)):
        engine.handle("train_start", dict(settings, architecture="logreg"))
    started = engine.handle("train_start", {"architecture": "logreg"})  # the definition's defaults
    defaults = {name: setting["default"] for name, setting in session.SETTINGS.items()}
    assert {name: started["config"][name] for name in defaults} == defaults
    assert engine.handle("info", {})["settings"] == session.SETTINGS


@pytest.mark.parametrize("command, payload", [("train_step", {}), ("train_report", {}), ("samples", {}),
                                             ("train_start", {"architecture": "mlp"})])
def test_training_commands_before_their_time_say_why(command, payload):
    with pytest.raises(DigitlabError, match="No (training is running|data set is loaded)"):
        Engine().handle(command, payload)


def test_an_unknown_architecture_and_a_bad_store_are_refused():
    engine = Engine()
    stray = bars(4)
    stray.labels[0] = 7  # a label beyond its three names
    for bad in (b"not a store", b"", b"PK\x03\x04 a damaged zip", store_bytes(stray, bars(2))):
        with pytest.raises(DigitlabError, match="could not be read"):
            engine.handle("load_data", {}, bad)
    engine.handle("load_data", {}, store_bytes(bars(4), bars(2)))
    with pytest.raises(DigitlabError, match="unknown model 'resnet'; choose from logreg, mlp"):
        engine.handle("train_start", {"architecture": "resnet"})
    assert engine.handle("train_cancel", {})["cancelled"]
    with pytest.raises(DigitlabError, match="No training is running"):
        engine.handle("train_step", {})


def test_a_store_that_would_unpack_past_the_limit_is_refused_before_it_is_unpacked(monkeypatch):
    data = store_bytes(bars(4), bars(2))  # 3 labels x 4 images of 28x28, and 3 x 2: over 10 kB unpacked
    monkeypatch.setattr(store, "MAX_UNPACKED", 10000)
    with pytest.raises(DigitlabError, match=r"could not be read \(it would unpack to .* MB, more than .* MB\)"):
        Engine().handle("load_data", {}, data)
    monkeypatch.setattr(store, "MAX_UNPACKED", 20000)
    assert Engine().handle("load_data", {}, data)["train"] == 12


def test_a_store_whose_array_declares_more_than_it_holds_is_refused_before_allocating():
    header = io.BytesIO()  # 2**40 images of 28x28 declared, 16 bytes held
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (2 ** 40, 28, 28)})
    good = io.BytesIO(store_bytes(bars(4), bars(2)))
    bad = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            claim = member.filename == "train_images.npy"
            archive.writestr(member.filename, header.getvalue() + bytes(16) if claim else source.read(member))
    with pytest.raises(DigitlabError, match="could not be read .*train_images.npy declares more numbers than it holds"):
        Engine().handle("load_data", {}, bad.getvalue())


def relabelled(image_set, names):
    """The same images under label names `names` (same order of labels)."""
    return ImageSet(image_set.images, image_set.labels, names)


def trained_model_file(engine):
    while not engine.handle("train_step", {"seconds": 0.05})["done"]:
        pass
    report = engine.handle("train_report", {})
    return base64.b64decode(engine.handle("export_model", {"trained": True})["base64"]), report


def a_logreg_file():
    """The file of a model of the bars' labels, trained an epoch in an engine of its own."""
    trainer = Engine()
    trainer.handle("load_data", {}, store_bytes(bars(10), bars(3)))
    trainer.handle("train_start", {"architecture": "logreg", "epochs": 1})
    return trained_model_file(trainer)[0]


def test_a_model_file_is_scored_on_the_test_images_with_labels_matched_by_name():
    trainer = Engine()
    trainer.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))
    trainer.handle("train_start", {"architecture": "mlp", "epochs": 2, "batch_size": 20})
    model_file, trained = trained_model_file(trainer)

    # The same test images, their labels listed in another order: names, not numbers, decide.
    test = bars(5, seed=3)
    order = [2, 0, 1]
    shuffled = ImageSet(test.images, np.array([order.index(y) for y in test.labels]), [LABELS[k] for k in order])
    engine = Engine()
    engine.handle("load_data", {}, store_bytes(bars(4), shuffled))
    report = engine.handle("evaluate_model", {}, model_file)
    assert report["accuracy"] == trained["accuracy"] and report["labels"] == LABELS
    assert np.array_equal(report["confusion"], trained["confusion"])
    assert report["model"] == {"name": "mlp", "labels": LABELS}
    with pytest.raises(DigitlabError, match="No model is loaded yet"):  # the engine's own model is untouched
        engine.handle("export_model", {})


def test_a_model_is_scored_on_the_labels_it_knows_and_the_others_are_named():
    """As `digitlab eval` does."""
    model_file = a_logreg_file()
    engine = Engine()
    engine.handle("load_data", {}, store_bytes(bars(4), relabelled(bars(2), ["a", "b", "z"])))
    report = engine.handle("evaluate_model", {}, model_file)
    assert report["unknown_labels"] == ["z"] and report["labels"] == LABELS
    assert np.sum(report["confusion"]) == 4 and np.sum(report["confusion"], axis=1).tolist() == [2, 2, 0]


def test_testing_a_model_with_no_images_held_out_says_how_to_get_some():
    model_file = a_logreg_file()
    engine = Engine()
    assert folder_of_bars(engine, 2)["test"] == 0  # too few to hold one out
    with pytest.raises(DigitlabError, match=r"There are no images to test on: give each label 5 images at least "
                                            r"\(1 in 5 is held out\), or a validation folder\."):
        engine.handle("evaluate_model", {}, model_file)


def test_a_model_that_does_not_know_the_labels_or_no_model_is_refused_and_the_engine_goes_on():
    model_file = a_logreg_file()
    engine = Engine()
    with pytest.raises(DigitlabError, match="No data set is loaded"):
        engine.handle("evaluate_model", {}, model_file)
    engine.handle("load_data", {}, store_bytes(relabelled(bars(4), ["x", "y", "z"]), relabelled(bars(2), ["x", "y", "z"])))
    with pytest.raises(DigitlabError, match=r"cannot be tested on these images. None of the labels of these images "
                                            r"\(x, y, z\) is among the model's \(a, b, c\)\."):
        engine.handle("evaluate_model", {}, model_file)
    with pytest.raises(DigitlabError, match="empty"):
        engine.handle("evaluate_model", {}, b"")
    with pytest.raises(DigitlabError):
        engine.handle("evaluate_model", {}, b"PK\x03\x04 not really a zip")
    engine.handle("load_data", {}, store_bytes(bars(4), bars(2)))
    wide = model_bytes(Sequential([{"type": "flatten"}, {"type": "dense", "units": 3}], (32, 32, 1)), LABELS)
    with pytest.raises(DigitlabError, match=r"^The model reads 32x32x1 images, and these are 28x28x1\.$"):
        engine.handle("evaluate_model", {}, wide)
    assert np.sum(engine.handle("evaluate_model", {}, model_file)["confusion"]) == 6


def folder_of_bars(engine, per_label):
    """Give `engine` the bars as a page gives a folder: paths, then each image's RGBA pixels."""
    data = bars(per_label)
    paths = ["bars/%s/%02d.png" % (LABELS[y], i) for i, y in enumerate(data.labels)]
    engine.handle("folder_start", {"paths": paths})
    for i, image in enumerate(data.images):
        rgba = np.repeat(255 - image[..., None], 4, axis=2)  # dark ink on white, opaque
        rgba[..., 3] = 255
        engine.handle("folder_image", {"index": i, "width": 28, "height": 28}, rgba.tobytes())
    return engine.handle("folder_done", {})


def test_the_engine_trains_a_folder_on_the_builtin_network_and_mnist_from_scratch():
    from digitlab.nn.zoo import architecture

    engine = Engine()
    base = Sequential(architecture("cnn", 10), (28, 28, 1), seed=1)
    labels = [str(d) for d in range(9)] + ["?"]  # a base's own labels are never read: the built-in one's glyphs hold a ?
    assert engine.handle("load_base", {}, model_bytes(base, labels, name="digits")) == {"name": "digits", "labels": 10}
    assert folder_of_bars(engine, 10)["labels"] == LABELS
    started = engine.handle("train_start", {"architecture": "mlp", "epochs": 2, "base": True, "lr": 0.05,
                                            "batch_size": 16})
    assert started["architecture"] == transfer.NAME and started["images"] == 24
    head = transfer.HEAD  # the head trains at its own rate and batch, and says so, not the form's
    assert {k: started["config"][k] for k in ("epochs", "lr", "batch_size")} == {"epochs": 2, "lr": head.lr,
                                                                                 "batch_size": head.batch_size}
    steps = []
    while True:
        step = engine.handle("train_step", {"seconds": 0.05})
        steps += [b["step"] for b in step["batches"]]
        if step["done"]:
            break
    assert steps == list(range(1, started["total_steps"] + 1))
    report = engine.handle("train_report", {})
    assert report["accuracy"] == 1.0 and report["model"]["labels"] == LABELS
    assert engine.trained.meta["metrics"]["train_config"] == started["config"]
    np.testing.assert_array_equal(engine.trained.model.layers[0].params["w"], base.layers[0].params["w"])

    engine.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))  # not a folder: no transfer
    assert engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "base": True})["architecture"] == "mlp"


def test_a_transfer_session_caches_its_features_in_slices_and_says_how_far_it_got():
    from digitlab.nn.model import Sequential
    from digitlab.nn.zoo import architecture

    base = Sequential(architecture("cnn", 10), (28, 28, 1), seed=1)
    run = TrainingSession(bars(40), None, "cnn", TrainConfig(epochs=1, seed=0), base)
    caching = []
    while True:
        slice_ = run.step(0.0)  # one event a slice at most
        if slice_["batches"]:
            break
        caching.append(slice_["features"])
    (feature_size,) = run.model.shapes[run.model.frozen]
    total = (1 + transfer.copies_for(120, feature_size)) * 120
    batches = -(-120 // transfer.FEATURE_BATCH)  # a pass over the images, then each copy's
    assert [c["done"] for c in caching] == [min(120, (k % batches + 1) * transfer.FEATURE_BATCH) + 120 * (k // batches)
                                            for k in range(len(caching))]
    assert caching[-1] == {"done": total, "total": total} and slice_["features"] is None


def test_a_folder_too_small_to_hold_images_out_trains_and_its_report_says_it_is_untested():
    engine = Engine()
    assert folder_of_bars(engine, 2)["test"] == 0
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1})
    while not engine.handle("train_step", {"seconds": 0.05})["done"]:
        pass
    report = engine.handle("train_report", {})
    assert report["accuracy"] is None and report["confusion"] == [] and report["model"]["labels"] == LABELS


def test_none_of_these_joins_a_folder_s_labels_in_training_and_test_and_never_mnist():
    engine = Engine()
    folder_of_bars(engine, 10)
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "none_of_these": True})
    while not engine.handle("train_step", {"seconds": 0.05})["done"]:
        pass
    report = engine.handle("train_report", {})
    assert report["model"]["labels"] == LABELS + ["none of these"] == report["labels"]
    assert sum(report["confusion"][-1]) >= 9  # built-in scribbles and lines are tested too (a thin bar blurred away)
    engine.handle("load_data", {}, store_bytes(bars(20), bars(5, seed=3)))
    engine.handle("train_start", {"architecture": "mlp", "epochs": 1, "none_of_these": True})
    assert engine.training.train_set.label_names == LABELS

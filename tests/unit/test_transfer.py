"""Transfer learning: frozen feature layers, cached features, a new head; and `train --base`."""
import json
import os

import numpy as np
import pytest

from digitlab import cli, transfer
from digitlab.data.nondigits import NONE_OF_THESE, nondigits
from digitlab.data.store import ImageSet
from digitlab.errors import DigitlabError
from digitlab.model_file import load_model
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import architecture
from digitlab.recognise import recognise_gray
from tests.unit.test_folder_cli import make_folder

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILT = os.path.join(ROOT, cli.FEATURE_MODEL)  # the built-in base


def small_base():
    return Sequential(architecture("cnn", 10), (28, 28, 1), seed=3)


def blobs(n_per_label=4, seed=0):
    """Two labels a conv net tells apart at once: ink on the left half or on the right."""
    rng = np.random.default_rng(seed)
    images = np.zeros((2 * n_per_label, 28, 28), np.uint8)
    for i in range(len(images)):
        left = 4 + 14 * (i % 2) + int(rng.integers(0, 3))
        images[i, 6:22, left:left + 6] = 255
    return ImageSet(images, np.arange(len(images)) % 2, ["left", "right"])


def run_to_end(generator):
    """What a generator returns, once it has yielded everything."""
    while True:
        try:
            next(generator)
        except StopIteration as end:
            return end.value


def test_the_new_head_sits_on_copied_frozen_convolutions():
    base = small_base()
    model = transfer.with_new_head(base, ["x", "y", "z"])
    start = transfer.head_start(base.spec)
    assert base.spec[start]["type"] == "dense" and all(s["type"] != "dense" for s in base.spec[:start])
    assert model.frozen == start and model.output_shape == (3,)
    assert [s["type"] for s in model.spec[start:]] == ["dropout", "dense"]
    for mine, theirs in zip(model.layers[:start], base.layers[:start]):
        for key in theirs.params:
            np.testing.assert_array_equal(mine.params[key], theirs.params[key])
            assert mine.params[key] is not theirs.params[key]  # a copy: training never touches the base


def test_a_base_of_any_ending_gets_a_dense_head_and_one_without_dense_layers_is_refused():
    ending_in_relu = Sequential(architecture("cnn", 10) + [{"type": "relu"}], (28, 28, 1), seed=3)  # written in the page
    model = transfer.with_new_head(ending_in_relu, ["x", "y"])
    assert [s["type"] for s in model.spec[model.frozen:]] == ["dropout", "dense"] and model.output_shape == (2,)
    no_dense = Sequential([{"type": "conv2d", "filters": 2, "kernel": 28, "stride": 1, "pad": 0}, {"type": "flatten"}],
                          (28, 28, 1), seed=3)
    with pytest.raises(DigitlabError, match="no dense layer"):
        transfer.with_new_head(no_dense, ["x", "y"])


def test_training_the_head_changes_only_the_head_and_never_runs_a_frozen_backward(monkeypatch):
    model = transfer.with_new_head(small_base(), ["left", "right"])
    before = [{k: v.copy() for k, v in layer.params.items()} for layer in model.layers]
    for layer in model.layers[:model.frozen]:
        monkeypatch.setattr(layer, "backward", lambda grad: pytest.fail("a frozen layer ran backward"))
    events = list(transfer.fit_head(model, blobs(), blobs(seed=1), epochs=5))
    caching = [e for e in events if e["event"] == "features"]
    finished = [(e["done"], e["total"]) for e in caching if e["done"] == e["total"]]
    assert finished == [((1 + transfer.COPIES) * 8,) * 2, (8, 8)]  # the training images' copies, then validation
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == list(range(5))
    steps = [e["step"] for e in events if e["event"] == "batch"]
    assert steps[-1] == transfer.head_steps(model, 8, transfer.head_config(0, 5)) == steps[0] + len(steps) - 1
    for layer, old in zip(model.layers, before):
        changed = any(not np.array_equal(layer.params[k], v) for k, v in old.items())
        assert changed == (layer in model.layers[model.frozen:] and bool(old))
    assert events[-1]["val_accuracy"] == 1.0


def test_a_frozen_model_backward_stops_at_the_first_trained_layer():
    model = Sequential(architecture("codelab", 10), (28, 28, 1), seed=3)  # no dropout: both passes alike
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
    grad = np.ones((2, 10), np.float32)
    model.forward(x, training=True)
    model.backward(grad, input_grad=False)
    full = [dict(layer.grads) for layer in model.layers]
    model.frozen = transfer.head_start(model.spec)
    for layer in model.layers:
        layer.grads = {}
    model.forward(x, training=True)
    model.backward(grad, input_grad=False)
    for i, layer in enumerate(model.layers):
        if i < model.frozen:
            assert layer.grads == {}
        for key, value in layer.grads.items():
            np.testing.assert_allclose(value, full[i][key], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        model.backward(grad)


def test_the_feature_cache_stays_within_its_budget():
    for images in (10, 120, 1200, 100000):
        rows = (1 + transfer.copies_for(images, 3136)) * images
        assert transfer.copies_for(images, 3136) <= transfer.COPIES
        assert rows * 3136 * 4 <= max(transfer.FEATURE_BYTES, images * 3136 * 4)  # a huge set: no copies
    assert transfer.copies_for(10, 3136) == transfer.COPIES and transfer.copies_for(100000, 3136) == 0


def test_a_larger_set_caches_fewer_copies_not_more_rows():
    for images in (40, 240, 1000, 5000):  # small features: the rows are the limit, not the bytes
        copies = transfer.copies_for(images, 576)
        assert (1 + copies) * images <= max(transfer.FEATURE_ROWS, images)
        assert (2 + copies) * images > transfer.FEATURE_ROWS or copies == transfer.COPIES  # no fewer than it may
    assert transfer.copies_for(40, 576) == transfer.COPIES  # a handful a class: every copy


def test_cached_features_are_the_frozen_layers_output_then_augmented_copies():
    model = transfer.with_new_head(small_base(), ["left", "right"])
    data = blobs()
    cached = run_to_end(transfer.features(model, data, 2, seed=0))
    x = data.batch(np.arange(len(data)))
    for layer in model.layers[:model.frozen]:
        x = layer.forward(x)
    assert cached.features.shape == (3 * len(data), x.shape[1])
    np.testing.assert_allclose(cached.features[:len(data)], x, rtol=1e-5)
    assert not np.allclose(cached.features[len(data):2 * len(data)], x)  # the copies are augmented
    np.testing.assert_array_equal(np.sort(cached.labels[len(data):]), np.sort(np.tile(data.labels, 2)))


SHAPES = ["square", "circle", "cross"]


def train_shapes(tmp_path, capsys, count, *options):
    """`train` a folder of `count` shapes a class from the built-in network, validated on 10 others
    a class -> (exit code, the JSON summary, the model saved)."""
    if not os.path.exists(BUILT):
        pytest.skip("no built feature network: run `python build.py`")
    data = make_folder(tmp_path / "train", shapes=SHAPES, count=count)
    val = make_folder(tmp_path / "val", shapes=SHAPES, count=10, seed=9)
    out = str(tmp_path / "shapes.model")
    code = cli.main(["train", "--data", data, "--val", val, "--out", out, "--json"] + list(options))
    said = capsys.readouterr()
    return code, json.loads(said.out.splitlines()[-1]), load_model(out), said.err


def test_train_from_the_builtin_network_learns_shapes_from_five_examples(tmp_path, capsys):
    code, summary, saved, warned = train_shapes(tmp_path, capsys, 5, "--lr", "0.5", "--photo", "0.3")
    assert code == 0 and summary["base"] == cli.BUILTIN_BASE and summary["model"] == transfer.NAME
    assert summary["accuracy"] >= 0.9  # with the head's own learning rate, not --lr 0.5
    assert saved.labels == sorted(SHAPES) and saved.meta["metrics"]["test_accuracy"] == summary["accuracy"]
    features = load_model(BUILT).model  # the feature network's convolutions, frozen
    np.testing.assert_array_equal(saved.model.layers[0].params["w"], features.layers[0].params["w"])
    assert warned == ("digitlab: warning: --lr, --photo: not used by a new head on a network's features, which "
                      "trains at learning rate %g, batch %d (--base none trains from scratch with them)\n"
                      % (transfer.HEAD.lr, transfer.HEAD.batch_size))


def test_a_none_of_these_class_takes_scribbles_and_leaves_the_shapes_their_own(tmp_path, capsys):
    code, summary, saved, _ = train_shapes(tmp_path, capsys, 8, "--none-of-these")
    assert code == 0 and summary["labels"] == sorted(SHAPES) + [NONE_OF_THESE]
    assert summary["classes"] == dict.fromkeys(SHAPES, 8)
    scribbles, _ = nondigits(20, seed=77, kinds=("scribbles",))  # not the seeds it was trained on
    read = [recognise_gray(saved, 1 - image / 255.0)["text"] for image in scribbles]
    assert read.count(NONE_OF_THESE) >= 16, read
    assert summary["accuracy"] >= 0.9  # the shapes, and held-out scribbles, on the validation folder

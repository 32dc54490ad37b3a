"""The model file: round trips, and refusal of every kind of bad file with a clear reason."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from digitlab.errors import ModelFileError
from digitlab.model_file import MAX_UNPACKED, load_model, model_bytes, save_model
from digitlab.nn import layers
from digitlab.nn.losses import softmax
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import CNN

LABELS = [str(d) for d in range(10)]
SHAPE = (28, 28, 1)


def make_model(seed=0):
    model = Sequential(CNN, SHAPE, seed=seed)
    for _, value in model.named_params():  # non-zero biases too, so every array is checked
        value += np.random.default_rng(seed).normal(0, 0.01, value.shape).astype(np.float32)
    return model


def sample_images(n=6):
    return np.random.default_rng(5).random((n,) + SHAPE).astype(np.float32)


def unpack(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def pack(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_meta(arrays):
    return json.loads(arrays["meta"].tobytes().decode("utf-8"))


def with_meta(data, change):
    """The model file `data` with its metadata passed through `change(meta)`."""
    arrays = unpack(data)
    meta = read_meta(arrays)
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    return pack(arrays)


def with_weights(data, change):
    """The model file `data` with its weight arrays passed through `change(arrays)`."""
    arrays = unpack(data)
    change(arrays)
    return pack(arrays)


def zip_of(**members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def with_member(data, name, content):
    """The model file `data` with one more zip member, compressed (a zip bomb is small)."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def claiming(count):
    """An .npy whose header declares `count` float32 numbers, holding 16 bytes of them."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False, "shape": (count,)})
    return buffer.getvalue() + bytes(16)


def npy_of(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def set_layer(index, key, value):
    def change(meta):
        meta["architecture"][index][key] = value
    return change


def set_field(key, value):
    def change(meta):
        meta[key] = value
    return change


def drop(key):
    def change(arrays):
        del arrays[key]
    return change


def replace(key, make):
    def change(arrays):
        arrays[key] = make(arrays[key])
    return change


def spring_trap(path):
    """Runs only if a pickle in a model file is ever loaded."""
    with open(path, "w") as f:
        f.write("unpickled")


class Trap:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return spring_trap, (self.path,)


@pytest.fixture(scope="module")
def good():
    """The bytes of a valid float32 model file."""
    return model_bytes(make_model(), LABELS, name="cnn", metrics={"test_accuracy": 0.5})


def test_float32_round_trip_is_exact(tmp_path):
    model = make_model()
    path = str(tmp_path / "model.npz")
    save_model(path, model, LABELS, name="cnn", metrics={"test_accuracy": 0.9})
    saved = load_model(path)
    assert saved.labels == LABELS and saved.name == "cnn"
    assert saved.meta["metrics"] == {"test_accuracy": 0.9}
    loaded = dict(saved.model.named_params())
    for key, value in model.named_params():
        assert loaded[key].dtype == np.float32
        np.testing.assert_array_equal(loaded[key], value)
    images = sample_images()
    np.testing.assert_array_equal(saved.predict_proba(images), softmax(model.forward(images)))


def test_loading_draws_no_random_weights_it_would_overwrite(good, monkeypatch):
    """The page loads its model as it boots: random initial weights would only cost time there."""
    def without_random_numbers(initialiser):
        def initialise(rng, *args):
            assert rng is None, "random weights were drawn while loading a model"
            return initialiser(rng, *args)
        return initialise

    for name in ("he_normal", "glorot_uniform"):
        monkeypatch.setattr(layers, name, without_random_numbers(getattr(layers, name)))
    saved = load_model(good)
    assert all(np.any(value != 0) for _, value in saved.model.named_params() if value.ndim == 2)


def test_loading_from_bytes_equals_loading_from_a_path(tmp_path, good):
    path = tmp_path / "model.npz"
    path.write_bytes(good)
    images = sample_images()
    from_path = load_model(str(path)).predict_proba(images)
    np.testing.assert_array_equal(load_model(good).predict_proba(images), from_path)


def test_float16_round_trip_is_close_and_half_the_size(good):
    model = make_model()
    half = model_bytes(model, LABELS, weights_dtype="float16")
    assert 0.45 < len(half) / len(good) < 0.55
    saved = load_model(half)
    assert saved.meta["weights_dtype"] == "float16"
    loaded = dict(saved.model.named_params())
    for key, value in model.named_params():
        assert loaded[key].dtype == np.float32  # computed in float32 whatever the storage
        np.testing.assert_allclose(loaded[key], value, rtol=1e-3, atol=1e-4)
    images = sample_images()
    expected = softmax(model.forward(images))
    got = saved.predict_proba(images)
    np.testing.assert_allclose(got, expected, atol=1e-3)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_save_refuses_an_unknown_weight_type():
    with pytest.raises(ValueError, match="weights_dtype"):
        model_bytes(make_model(), LABELS, weights_dtype="float64")


# Each bad file is made from the good one by a function of its bytes.
BAD_FILES = [
    ("random bytes", lambda good: np.random.default_rng(0).bytes(5000), "not a readable .npz"),
    ("empty file", lambda good: b"", "not a readable .npz"),
    ("truncated", lambda good: good[:len(good) // 2], "not a readable .npz"),
    ("last byte cut", lambda good: good[:-1], "not a readable .npz"),
    (".npy not .npz", lambda good: npy_of(np.arange(10.0)), "not a readable .npz"),
    ("zip of text", lambda good: zip_of(**{"readme.txt": "hello"}), "other than plain arrays"),
    ("zip with a text meta", lambda good: zip_of(meta='{"format": "digitlab-model"}'), "other than plain arrays"),
    ("npz without meta", lambda good: with_weights(good, drop("meta")), "no metadata record"),
    ("meta not JSON", lambda good: with_weights(good, replace("meta", lambda m: m[:-3])), "not valid JSON"),
    ("meta not bytes", lambda good: with_weights(good, replace("meta", lambda m: m.astype(np.float32))),
     "metadata record is malformed"),
    ("other format", lambda good: with_meta(good, set_field("format", "keras")), "some other kind"),
    ("future version", lambda good: with_meta(good, set_field("version", 2)), "version 2"),
    ("labels not text", lambda good: with_meta(good, set_field("labels", list(range(10)))), "labels"),
    ("too few labels", lambda good: with_meta(good, set_field("labels", LABELS[:9])), "9 labels for \\(10,\\)"),
    ("a label named twice", lambda good: with_meta(good, set_field("labels", LABELS[:9] + ["0"])),
     "among its labels, one is named twice"),
    ("an empty label", lambda good: with_meta(good, set_field("labels", LABELS[:9] + [""])), "among its labels, one is empty"),
    ("unknown weight type", lambda good: with_meta(good, set_field("weights_dtype", "int8")), "weight type"),
    ("unknown layer", lambda good: with_meta(good, set_layer(1, "type", "lambda")), "unknown layer"),
    ("huge layer", lambda good: with_meta(good, set_layer(7, "units", 10 ** 9)), "out of range"),
    ("negative kernel", lambda good: with_meta(good, set_layer(0, "kernel", -3)), "out of range"),
    # Each setting in range, yet 4096x4096 filters of 4096 would be 512 GiB: refused before allocating.
    ("huge in total", lambda good: with_meta(good, set_layer(0, "kernel", 4096)), "more than 20000000 parameters"),
    ("kernel beyond the image", lambda good: with_meta(good, set_layer(3, "kernel", 20)), "leaves no output"),
    ("bad initialiser", lambda good: with_meta(good, set_layer(10, "init", "os.system")), "out of range"),
    ("unknown setting", lambda good: with_meta(good, set_layer(7, "bias", 1)), "cannot be built"),
    ("stride of 0", lambda good: with_meta(good, set_layer(0, "stride", 0)), "out of range \\(stride=0"),
    ("pool of 2.0", lambda good: with_meta(good, set_layer(1, "size", 2.0)), "out of range \\(size=2.0"),
    ("dropout rate 5", lambda good: with_meta(good, set_layer(9, "rate", 5)), "out of range \\(rate=5"),
    # Few parameters, but a 8220x8220 output an image: refused before any reading allocates it.
    ("padded to huge", lambda good: with_meta(good, set_layer(0, "pad", 4096)), "more than 2097152 numbers an image"),
    ("name not text", lambda good: with_meta(good, set_field("name", 5)), "name or its metrics"),
    ("metadata nested deep", lambda good: with_weights(good, replace("meta", lambda m: np.frombuffer(b"[" * 200000, np.uint8))),
     "not valid JSON"),
    ("a zip bomb", lambda good: with_member(good, "padding.npy", bytes(MAX_UNPACKED)),
     r"unpack to \d+ MB, more than %d MB" % (MAX_UNPACKED >> 20)),
    ("a header claiming 2**40 numbers", lambda good: with_member(with_weights(good, drop("7.w")), "7.w.npy",
                                                                 claiming(2 ** 40)), "declares more numbers than it holds"),
    ("2-D input", lambda good: with_meta(good, set_field("input_shape", [28, 28])), "input shape"),
    ("missing weight", lambda good: with_weights(good, drop("7.w")), "missing 7.w"),
    ("extra weight", lambda good: pack(dict(unpack(good), extra=np.zeros(3, np.float32))), "extra arrays"),
    ("wrong shape", lambda good: with_weights(good, replace("7.w", lambda w: w[:, :64])),
     "7.w has shape \\(1568, 64\\).*expected \\(1568, 256\\)"),
    ("wrong weight dtype", lambda good: with_weights(good, replace("0.b", lambda b: b.astype(np.float64))),
     "0.b .*float64"),
    ("NaN weight", lambda good: with_weights(good, replace("3.w", lambda w: np.full_like(w, np.nan))), "non-finite"),
    ("infinite bias", lambda good: with_weights(good, replace("10.b", lambda b: b + np.inf)), "non-finite"),
]


@pytest.mark.parametrize("make_bad, reason", [(make, reason) for _, make, reason in BAD_FILES],
                         ids=[name for name, _, _ in BAD_FILES])
def test_bad_file_is_refused_with_a_clear_reason(good, make_bad, reason):
    with pytest.raises(ModelFileError, match=reason) as refusal:
        load_model(make_bad(good))
    assert "\n" not in str(refusal.value)


def test_object_array_is_refused_without_unpickling(tmp_path, good):
    marker = str(tmp_path / "sprung")
    payload = np.empty(1, dtype=object)
    payload[0] = Trap(marker)
    data = pack(dict(unpack(good), **{"7.w": payload}))
    with pytest.raises(ModelFileError, match="other than plain arrays"):
        load_model(data)
    assert not os.path.exists(marker)
    with np.load(io.BytesIO(data), allow_pickle=True) as archive:  # the control: the trap works
        archive["7.w"]
    assert os.path.exists(marker)


def test_pickled_file_is_refused_without_unpickling(tmp_path):
    marker = str(tmp_path / "sprung")
    with pytest.raises(ModelFileError):
        load_model(pickle.dumps(Trap(marker)))
    assert not os.path.exists(marker)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="not a readable"):
        load_model(str(tmp_path / "absent.npz"))


def test_a_calibrated_model_divides_its_logits_by_its_temperature():
    model = make_model()
    images = sample_images()
    saved = load_model(model_bytes(model, LABELS, temperature=2.5))
    assert saved.temperature == 2.5
    np.testing.assert_allclose(saved.predict_proba(images), softmax(model.forward(images) / 2.5), rtol=1e-6)
    assert load_model(model_bytes(model, LABELS)).temperature == 1.0  # uncalibrated: the logits as they are


@pytest.mark.parametrize("calibration", [{"temperature": 0}, {"temperature": -1.0}, {"temperature": 1e9},
                                         {"temperature": "2"}, {"temperature": True}, {}, [2.0]])
def test_a_damaged_calibration_is_refused(calibration):
    archive = dict(np.load(io.BytesIO(model_bytes(make_model(), LABELS, temperature=2.0))))
    meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
    meta["calibration"] = calibration
    archive["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **archive)
    with pytest.raises(ModelFileError, match="calibration"):
        load_model(buffer.getvalue())

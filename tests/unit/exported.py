"""Models and digits for the export tests (ONNX in tests/unit, TensorFlow.js in tests/browser)."""
import os

import numpy as np

import build
from digitlab.data.store import load_set
from digitlab.model_file import load_model, model_bytes
from digitlab.nn.model import Sequential
from digitlab.nn.zoo import architecture

LABELS = list("0123456789")


def trained_looking_file(name, seed=0):
    """The model file of architecture `name`, calibrated, whose every weight and bias is non-zero,
    so each is checked."""
    model = Sequential(architecture(name, 10), (28, 28, 1), seed=seed)
    rng = np.random.default_rng(seed)
    for _, value in model.named_params():
        value += rng.normal(0, 0.05, value.shape).astype(np.float32)
    return model_bytes(model, LABELS, name=name, temperature=1.7)


def trained_looking(name, seed=0):
    return load_model(trained_looking_file(name, seed))


def digits(count):
    """The first `count` test digits, as the engine feeds them (float32 NHWC, ink 1)."""
    test_set = load_set(os.path.join(build.OUT, build.MNIST_STORE), "test")
    return (test_set.images[:count].astype(np.float32) / 255)[..., None], test_set.labels[:count]

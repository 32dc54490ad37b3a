"""Models and digits for the export tests (ONNX in tests/unit, TensorFlow.js in tests/browser) and
the parity benchmark (tests/bench/bench_interop.py)."""
import os

import numpy as np

import build
from digitlab import cli
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


# Each model's answers to `count` NHWC images in TensorFlow.js, in the backend named.
TFJS_PREDICT = """async ({ names, images, count, backend }) => {
  await tf.setBackend(backend);
  const x = tf.tensor4d(images, [count, 28, 28, 1]);
  const answers = {};
  for (const name of names) {
    const model = await tf.loadLayersModel(`${name}/model.json`);
    answers[name] = Array.from(model.predict(x).dataSync());
  }
  return answers;
}"""


def tfjs_site(folder, models):
    """`folder` made a site with TensorFlow.js 4.22 (index.html loads it) and each of `models`
    ({name: model file}) exported by the CLI into its sub-folder `name`."""
    build.extract("tfjs", str(folder), ["package/dist/tf.min.js"])
    with open(os.path.join(str(folder), "index.html"), "w") as f:
        f.write("<!doctype html><script src='tf.min.js'></script>")
    for name, path in models.items():
        assert cli.main(["export", path, os.path.join(str(folder), name), "--format", "tfjs"]) == 0

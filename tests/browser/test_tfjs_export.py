"""TensorFlow.js export, checked by TensorFlow.js 4.22 itself in Chromium: `tf.loadLayersModel`
reads what `digitlab export --format tfjs` writes and computes what we do."""
import os
import threading

import numpy as np
import pytest

import build
from digitlab.model_file import load_model
from tests.unit.exported import TFJS_PREDICT, digits, tfjs_site, trained_looking_file

COUNT = 200


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A site with TensorFlow.js and our models exported by the CLI: (its URL, {name: SavedModel})."""
    site = tmp_path_factory.mktemp("tfjs-site")
    models = {"built-in": os.path.join(build.OUT, build.MODEL)}
    for name in ("codelab", "mlp"):  # a convolution without padding; a flatten first, and dropout
        models[name] = str(site / (name + ".npz"))
        with open(models[name], "wb") as f:
            f.write(trained_looking_file(name))
    tfjs_site(site, models)
    server = build.make_server(port=0, directory=str(site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/" % server.server_port, {name: load_model(path) for name, path in models.items()}
    server.shutdown()


def test_tfjs_reads_the_exported_models_and_gives_our_probabilities_on_200_test_digits(watched_context, exported):
    url, models = exported
    context, watch = watched_context
    page = context.new_page()
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.goto(url)
    images, _ = digits(COUNT)
    # TensorFlow.js's CPU backend: exact float32, as NumPy computes
    answers = page.evaluate(TFJS_PREDICT, {"names": list(models), "images": images.ravel().tolist(), "count": COUNT,
                                           "backend": "cpu"})
    for name, saved in models.items():
        theirs = np.array(answers[name], np.float32).reshape(COUNT, -1)
        ours = saved.predict_proba(images)
        assert np.abs(theirs - ours).max() <= 1e-5, name
        assert (theirs.argmax(1) == ours.argmax(1)).all(), name

"""Models that travel, in the real page: the model in use downloaded as ONNX for other tools, and an
ONNX file chosen or dropped used as any model file (the same checks, the same refusals)."""
import os

import numpy as np
import onnxruntime

import build
from digitlab.interop.onnx_export import INPUT, onnx_bytes
from digitlab.model_file import load_model
from drawing import draw_digit
from test_training import choose_model_file, drop_model_file, text
from tests.unit.exported import digits


def built_in():
    with open(os.path.join(build.OUT, build.MODEL), "rb") as f:
        return load_model(f.read())


def test_the_model_in_use_downloads_as_onnx_that_onnx_runtime_reads_as_we_do(app, tmp_path):
    with app.expect_download() as download:
        app.click('[data-testid="download-onnx"]')
    assert download.value.suggested_filename.endswith(".onnx")
    path = str(tmp_path / download.value.suggested_filename)
    download.value.save_as(path)
    assert text(app, "model-message").startswith("Downloading %s" % download.value.suggested_filename)
    images, _ = digits(50)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    theirs = session.run(None, {INPUT: images.transpose(0, 3, 1, 2)})[0]
    assert np.abs(theirs - built_in().predict_proba(images)).max() <= 1e-5


def test_an_onnx_file_is_used_like_a_model_file_and_a_broken_one_is_refused(app):
    exported = onnx_bytes(built_in())  # as if trained elsewhere and exported to ONNX
    said = drop_model_file(app, "broken.onnx", exported[: len(exported) // 3])
    assert said.startswith("This ONNX file cannot be imported: it is not a readable ONNX file")
    assert "built in" in text(app, "model-name")

    assert choose_model_file(app, "from-pytorch.onnx", exported) == "Now recognising with from-pytorch.onnx."
    assert "kept in this browser" in text(app, "model-name")
    draw_digit(app, "7")
    app.wait_for_function("document.querySelector('[data-testid=prediction]')?.textContent === '7'")

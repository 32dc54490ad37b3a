"""ONNX export, checked by the real tools: the `onnx` checker and ONNX Runtime compute what we do."""
import json
import os

import numpy as np
import onnx
import onnxruntime
import pytest

import build
from digitlab import cli
from digitlab.interop.onnx_export import INPUT, onnx_bytes
from digitlab.interop.onnx_proto import OPSET
from digitlab.model_file import load_model
from digitlab.nn.zoo import ARCHITECTURES
from tests.unit.exported import LABELS, digits, trained_looking, trained_looking_file

def onnx_runtime_answers(data, images):
    """ONNX Runtime's output for NHWC `images`, given as the graph wants them, NCHW."""
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {INPUT: images.transpose(0, 3, 1, 2)})[0]


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_every_architecture_exports_a_valid_graph_onnx_runtime_computes_as_we_do(name):
    saved = trained_looking(name)
    data = onnx_bytes(saved)
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    images = np.random.default_rng(1).random((20, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(onnx_runtime_answers(data, images), saved.predict_proba(images), atol=1e-5, rtol=0)


def test_the_file_carries_its_labels_opset_and_input_convention():
    saved = trained_looking("codelab")
    saved.labels[:] = ["cat", "dog", "<b>owl</b>"] + LABELS[3:]
    model = onnx.load_from_string(onnx_bytes(saved))
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    assert json.loads(metadata["labels"]) == saved.labels
    assert float(metadata["temperature"]) == pytest.approx(1.7)
    assert "NCHW" in metadata["input"] and "outside this graph" in metadata["input"]
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, 28, 28]


@pytest.mark.skipif(not os.path.exists(os.path.join(build.OUT, build.MODEL)), reason="no build")
def test_the_built_in_model_reads_200_test_digits_in_onnx_runtime_as_in_digitlab():
    saved = load_model(os.path.join(build.OUT, build.MODEL))
    images, labels = digits(200)
    ours = saved.predict_proba(images)
    full = onnx_runtime_answers(onnx_bytes(saved), images)
    assert np.abs(full - ours).max() <= 1e-5
    half = onnx_runtime_answers(onnx_bytes(saved, float16=True), images)
    assert np.abs(half - ours).max() <= 1e-2 and (half.argmax(1) == ours.argmax(1)).mean() >= 0.99


def test_the_cli_exports_onnx_and_says_so(tmp_path, capsys):
    model_path = tmp_path / "model.npz"
    model_path.write_bytes(trained_looking_file("mlp"))
    out = tmp_path / "model.onnx"
    assert cli.main(["export", str(model_path), str(out)]) == 0
    assert "ONNX opset %d" % OPSET in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)))


def test_the_cli_refuses_a_missing_model_or_folder_in_one_line(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "none.npz"), str(tmp_path / "m.onnx")]) == 1
    assert capsys.readouterr().err.startswith("digitlab: no model at")
    model_path = tmp_path / "model.npz"
    model_path.write_bytes(trained_looking_file("logreg"))
    assert cli.main(["export", str(model_path), str(tmp_path / "no" / "m.onnx")]) == 1
    assert "no folder" in capsys.readouterr().err

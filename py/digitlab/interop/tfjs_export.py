"""A digitlab model as a TensorFlow.js layers model: model.json (a Keras Sequential topology and
the weights' manifest) and one binary file of float32 weights, as `tf.loadLayersModel` reads them.

TensorFlow.js holds NHWC images as we do, and its Flatten takes (H, W, C) order as ours, so the
weights go across as they are: a conv2d's (KH*KW*C, F) matrix is its (KH, KW, C, F) kernel. A
padded conv2d becomes a ZeroPadding2D and a "valid" Conv2D, which computes exactly what ours does.
The calibration temperature is folded into the last dense layer (its weights divided by it), so
the model's softmax gives our calibrated probabilities; the input's normalisation stays outside.
"""
import json

import numpy as np

from .. import __version__
from ..errors import DigitlabError
from .onnx_export import INPUT_NOTE

WEIGHTS_FILE = "weights.bin"
TFJS_INPUT_NOTE = INPUT_NOTE.replace("[batch, channels, height, width] (NCHW)", "[batch, height, width, channels] (NHWC)")


def tfjs_files(saved):
    """-> {file name: bytes}: model.json and the weights file it names."""
    model = saved.model
    layers, weights = [], []  # Keras layer configs; (name, array) in the order of the weights file
    denses = [i for i, spec in enumerate(model.spec) if spec["type"] == "dense"]
    if not denses:  # the temperature is folded into the last dense layer
        raise DigitlabError("A TensorFlow.js export needs a network that ends in a dense layer.")
    last_dense = denses[-1]
    for index, spec in enumerate(model.spec):
        for class_name, config, params in _keras_layers(model.layers[index], spec, index):
            if index == last_dense and params:  # logits / T, folded into the weights
                params = [(key, value / np.float32(saved.temperature)) for key, value in params]
            config["name"] = config.get("name") or "%s_%d" % (class_name.lower(), index)
            layers.append({"class_name": class_name, "config": config})
            weights.extend(("%s/%s" % (config["name"], key), value.astype(np.float32)) for key, value in params)
    layers.append({"class_name": "Activation", "config": {"name": "softmax", "activation": "softmax"}})
    layers[0]["config"]["batch_input_shape"] = [None] + list(model.input_shape)
    topology = {"class_name": "Sequential", "config": {"name": saved.name or "digitlab", "layers": layers},
                "keras_version": "digitlab %s" % __version__, "backend": "tensor_flow.js"}
    manifest = [{"paths": [WEIGHTS_FILE], "weights": [{"name": name, "shape": list(value.shape), "dtype": "float32"}
                                                      for name, value in weights]}]
    metadata = {"labels": saved.labels, "input": TFJS_INPUT_NOTE,
                "output": "float32 [batch, classes]: our calibrated probabilities (the temperature, %r, is folded "
                          "into the last dense layer)" % float(saved.temperature)}
    document = {"format": "layers-model", "generatedBy": "digitlab %s" % __version__, "convertedBy": None,
                "modelTopology": topology, "weightsManifest": manifest, "userDefinedMetadata": metadata}
    return {"model.json": json.dumps(document, indent=1).encode("utf-8"),
            WEIGHTS_FILE: b"".join(value.astype("<f4").tobytes() for _, value in weights)}


def _keras_layers(layer, spec, index):
    """[(Keras class name, config, [(weight name, array)])] for one of our layers."""
    kind = spec["type"]
    if kind == "conv2d":
        k = layer.kernel
        channels = layer.params["w"].shape[0] // (k * k)
        conv = ("Conv2D", {"filters": layer.filters, "kernel_size": [k, k], "strides": [layer.stride] * 2,
                           "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1],
                           "activation": "linear", "use_bias": True},
                [("kernel", layer.params["w"].reshape(k, k, channels, layer.filters)), ("bias", layer.params["b"])])
        if not layer.pad:
            return [conv]
        padding = ("ZeroPadding2D", {"name": "zeropadding2d_%d" % index, "padding": [[layer.pad] * 2] * 2,
                                     "data_format": "channels_last"}, [])
        return [padding, conv]
    if kind == "maxpool2d":
        return [("MaxPooling2D", {"pool_size": [layer.size] * 2, "strides": [layer.size] * 2, "padding": "valid",
                                  "data_format": "channels_last"}, [])]
    if kind == "relu":
        return [("Activation", {"activation": "relu"}, [])]
    if kind == "dropout":
        return [("Dropout", {"rate": layer.rate}, [])]
    if kind == "flatten":
        return [("Flatten", {"data_format": "channels_last"}, [])]
    return [("Dense", {"units": layer.units, "activation": "linear", "use_bias": True},
             [("kernel", layer.params["w"]), ("bias", layer.params["b"])])]

"""A digitlab model as an ONNX graph (opset 13), for ONNX Runtime and the tools that read ONNX.

Our layers hold NHWC images; ONNX's Conv and MaxPool hold NCHW. So the graph takes NCHW input,
each conv2d's (KH*KW*C, F) filter matrix becomes an (F, C, KH, KW) weight, and the first dense
layer after a flatten gets its rows reordered from our flatten's (H, W, C) order to ONNX
Flatten's (C, H, W). Dropout is the identity at inference and is left out. The graph ends in
the model's calibrated softmax: its logits divided by the temperature. The normalisation of a
picture into a 28x28 digit stays outside the graph: the metadata says what the input must be.
"""
import json

import numpy as np

from .. import __version__
from . import onnx_proto as onnx

INPUT, OUTPUT = "image", "probabilities"
INPUT_NOTE = ("float32 [batch, channels, height, width] (NCHW): a picture normalised as digitlab does, "
              "outside this graph: ink 1.0 on paper 0.0, the ink's box scaled so its longer side is 20 px and "
              "its centre of mass at the centre of a 28x28 frame (MNIST's normalisation)")
OUTPUT_NOTE = "float32 [batch, classes]: softmax(logits / temperature), one probability per label"


def onnx_bytes(saved, float16=False):
    """The ONNX file of a SavedModel; float16 stores the weights at half size (cast back to float32
    in the graph, so it computes as before)."""
    model = saved.model
    builder = _Graph(float16)
    x, layout = INPUT, None  # layout: the (H, W, C) a flatten came from, until the next dense
    for index, (spec, in_shape) in enumerate(zip(model.spec, model.shapes)):
        layer, kind = model.layers[index], spec["type"]
        if kind == "conv2d":
            x = _conv(builder, x, layer, in_shape[2], index)
        elif kind == "maxpool2d":
            x = builder.node("MaxPool", [x], index, kernel_shape=[layer.size] * 2, strides=[layer.size] * 2)
        elif kind == "relu":
            x = builder.node("Relu", [x], index)
        elif kind == "flatten":
            x, layout = builder.node("Flatten", [x], index, axis=1), in_shape
        elif kind == "dense":
            x, layout = _dense(builder, x, layer, layout, index), None
    x = builder.node("Div", [x, builder.weight("temperature", np.float32(saved.temperature), cast=False)], "calibration")
    builder.node("Softmax", [x], "softmax", output=OUTPUT, axis=1)
    h, w, c = model.input_shape
    graph = onnx.graph(saved.name or "digitlab", builder.nodes, builder.initializers,
                       [onnx.value_info(INPUT, ["batch", c, h, w])],
                       [onnx.value_info(OUTPUT, ["batch", model.output_shape[0]])])
    metadata = {"labels": json.dumps(saved.labels), "input": INPUT_NOTE, "output": OUTPUT_NOTE,
                "temperature": repr(float(saved.temperature)), "digitlab_architecture": json.dumps(model.spec)}
    doc = "digitlab model %r: %s" % (saved.name, ", ".join(saved.labels))
    return onnx.model(graph, metadata, doc, __version__)


def _conv(builder, x, layer, channels, index):
    k = layer.kernel
    weight = layer.params["w"].reshape(k, k, channels, layer.filters).transpose(3, 2, 0, 1)  # (F, C, KH, KW)
    return builder.node("Conv", [x, builder.weight("conv%d.weight" % index, weight),
                                 builder.weight("conv%d.bias" % index, layer.params["b"])], index,
                        kernel_shape=[k, k], strides=[layer.stride] * 2, pads=[layer.pad] * 4)


def _dense(builder, x, layer, layout, index):
    weight = layer.params["w"]  # (inputs, units)
    if layout is not None and len(layout) == 3:  # rows in our flatten's (H, W, C) order -> ONNX's (C, H, W)
        h, w, c = layout
        weight = weight.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)
    return builder.node("Gemm", [x, builder.weight("dense%d.weight" % index, weight),
                                 builder.weight("dense%d.bias" % index, layer.params["b"])], index)


class _Graph:
    """Nodes and initialisers, named as they are added."""

    def __init__(self, float16):
        self.float16 = float16
        self.nodes, self.initializers = [], []

    def weight(self, name, array, cast=True):
        """An initialiser's name: a float16 one goes through a Cast to float32."""
        if not (self.float16 and cast):
            self.initializers.append(onnx.tensor(name, np.asarray(array, np.float32)))
            return name
        self.initializers.append(onnx.tensor(name + ".half", np.asarray(array, np.float16)))
        return self.node("Cast", [name + ".half"], name, output=name, to=onnx.FLOAT)

    def node(self, op_type, inputs, index, output=None, **attributes):
        name = "%s_%s" % (op_type.lower(), index)
        output = output or name
        self.nodes.append(onnx.node(op_type, inputs, [output], name, **attributes))
        return output

"""An ONNX image classifier as a digitlab model file: what PyTorch's and TensorFlow's exporters
write for the layers we have, and what onnx_export writes.

The graph must be a chain: each node takes the previous one's output (and constants), from the
one input to the one output. Read along it: Conv, MaxPool, Relu, Flatten or Reshape (to a
constant shape), Gemm or MatMul + Add, and Transpose between NHWC and NCHW (TensorFlow's graphs
hold NHWC and transpose around each convolution); Dropout and Identity pass through; a Div by a
constant and a Softmax (or LogSoftmax) at the end are the calibration and the output, which our
model applies itself. Anything else is refused with the node's name and type, never half-read.
ONNX's NCHW is our NHWC: a (F, C, KH, KW) weight becomes our (KH*KW*C, F) filter matrix, and a
dense layer after an NCHW flatten gets its rows reordered from (C, H, W) to our (H, W, C).
"""
import json

import numpy as np

from ..data.store import label_names_fault
from ..errors import ModelFileError
from ..model_file import MAX_PARAMS, MAX_VALUES, load_model, model_bytes
from ..nn.model import Sequential
from ..nn.ops import conv_out
from ..preprocess import INPUT_SHAPE
from . import onnx_proto as onnx

TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def import_onnx(data, name=""):
    """ONNX bytes -> the bytes of a digitlab model file of the same network (checked as any model file)."""
    try:
        graph, metadata = onnx.read_model(data, MAX_PARAMS)
        spec, weights, temperature = _Reader(graph).read()
    except onnx.OnnxError as err:
        raise ModelFileError("This ONNX file cannot be imported: %s." % err)
    except (TypeError, ValueError, OverflowError) as err:  # an attribute of the wrong kind (a number where ONNX
        # has a list), or past any size (an infinite shape)
        raise ModelFileError("This ONNX file cannot be imported: a node's attributes are malformed (%s)." % err)
    try:
        model = Sequential(spec, INPUT_SHAPE, max_params=MAX_PARAMS, max_values=MAX_VALUES, initialise=False)
    except ValueError as err:  # layers whose shapes do not fit the 28x28 input
        raise ModelFileError("This ONNX file cannot be imported: its layers do not fit a 28x28 image (%s)." % err)
    for i, (layer, params) in enumerate(zip(model.layers, weights)):
        for key, value in params.items():
            if np.shape(value) != layer.params[key].shape:  # no broadcasting: a bias of 1 for 10 outputs is damage
                raise ModelFileError("This ONNX file cannot be imported: layer %d's %s is %s, not %s."
                                     % (i, key, np.shape(value), layer.params[key].shape))
            layer.params[key][...] = value
    data = model_bytes(model, _labels(metadata, model.output_shape[0]), name=name, temperature=temperature)
    load_model(data)  # the checks of every model file: sizes, finite weights, a sane temperature
    return data


def _labels(metadata, classes):
    """The file's own label names (ours, as onnx_export writes them), else 0.. for each class: also when
    they are names a model file cannot hold (one empty, or one twice)."""
    try:
        labels = json.loads(metadata.get("labels", "null"))
    except ValueError:
        labels = None
    if (isinstance(labels, list) and len(labels) == classes and all(isinstance(x, str) for x in labels)
            and not label_names_fault(labels)):
        return labels
    return [str(i) for i in range(classes)]


class _Reader:
    """Walks the chain of nodes, turning them into our layer spec and weights."""

    def __init__(self, graph):
        self.graph = graph
        self.constants = dict(graph.initializers)
        self.spec, self.weights = [], []
        self.temperature, self.finished = None, False
        self.layout = "nchw"  # what the ONNX tensor holds: nchw, nhwc, or flat (after a flatten)
        self.flat_from = None  # the (H, W, C) it flattened
        self.reorder_next_dense = False  # the first dense layer after an NCHW flatten: rows to (H, W, C)
        self.calibrated = False  # after the temperature's Div, only the softmax may follow
        self.shape = INPUT_SHAPE  # (H, W, C) of the current tensor, in our terms

    def read(self):
        if len(self.graph.inputs) != 1 or len(self.graph.outputs) != 1:
            raise onnx.OnnxError("it has %d inputs and %d outputs; an image classifier has one of each"
                                 % (len(self.graph.inputs), len(self.graph.outputs)))
        current = self._start(*self.graph.inputs[0])
        for node in self.graph.nodes:
            if node.op_type == "Constant":
                self._constant(node)
                continue
            if not node.inputs or node.inputs[0] != current or len(node.outputs) < 1:
                raise onnx.OnnxError("the node %r (%s) does not follow the one before it: digitlab reads a chain of "
                                     "layers, without branches or cycles" % (node.name, node.op_type))
            if self.finished:
                raise onnx.OnnxError("the node %r (%s) comes after the softmax" % (node.name, node.op_type))
            self._read_node(node)
            current = node.outputs[0]
        if current != self.graph.outputs[0][0]:
            raise onnx.OnnxError("its output is not the end of its chain of layers")
        if not self.spec or self.spec[-1]["type"] != "dense":
            raise onnx.OnnxError("it does not end in a dense layer (Gemm or MatMul), one score per class")
        return self.spec, self.weights, self.temperature

    def _start(self, name, dims):
        """The input's layout from its dimensions: [N, 1, 28, 28], [N, 28, 28, 1] (then a Transpose
        to NCHW must follow) or [N, 784] (flat)."""
        dims = dims[1:]
        h, w, c = INPUT_SHAPE
        if dims == [c, h, w]:
            self.layout = "nchw"
        elif dims == [h, w, c]:
            self.layout = "nhwc"
        elif dims == [h * w * c]:
            self._flatten("hwc")  # one channel: both orders agree
        else:
            raise onnx.OnnxError("its input is %s; digitlab reads 28x28 grey images, [batch, 1, 28, 28]"
                                 % (["batch"] + dims))
        return name

    def _constant(self, node):
        value = node.attributes.get("value")
        if not isinstance(value, np.ndarray):
            raise onnx.OnnxError("the node %r (Constant) holds no tensor digitlab reads" % node.name)
        self.constants[node.outputs[0]] = value

    def _constant_input(self, node, index, required=True):
        if index >= len(node.inputs) or not node.inputs[index]:
            if required:
                raise onnx.OnnxError("the node %r (%s) lacks an input" % (node.name, node.op_type))
            return None
        if node.inputs[index] not in self.constants:
            raise onnx.OnnxError("the node %r (%s) takes a computed %r where digitlab needs a constant"
                                 % (node.name, node.op_type, node.inputs[index]))
        return self.constants[node.inputs[index]]

    def _read_node(self, node):
        if self.calibrated and node.op_type not in ("Softmax", "LogSoftmax", "Identity", "Dropout"):
            self._refuse(node, "comes after a Div, which digitlab reads only as the calibration before the softmax")
        read = {"Conv": self._conv, "MaxPool": self._maxpool, "Relu": self._relu, "Flatten": self._flatten_node,
                "Reshape": self._reshape, "Gemm": self._gemm, "MatMul": self._matmul, "Add": self._add,
                "Transpose": self._transpose, "Div": self._div, "Softmax": self._softmax,
                "LogSoftmax": self._softmax, "Dropout": _passes, "Identity": _passes}.get(node.op_type)
        if read is None:
            raise onnx.OnnxError("the node %r is a %s, which is no layer digitlab has" % (node.name, node.op_type))
        read(node)

    def _refuse(self, node, why):
        raise onnx.OnnxError("the node %r (%s) %s" % (node.name, node.op_type, why))

    def _expect_layout(self, node, layout):
        if self.layout != layout:
            self._refuse(node, "needs %s input but gets %s" % (layout.upper(), self.layout.upper()))

    def _add_layer(self, spec, params=None):
        self.spec.append(spec)
        self.weights.append(params or {})

    def _conv(self, node):
        self._expect_layout(node, "nchw")
        weight, bias = self._constant_input(node, 1), self._constant_input(node, 2, required=False)
        a = node.attributes
        if weight.ndim != 4 or weight.shape[2] != weight.shape[3] or weight.shape[1] != self.shape[2]:
            self._refuse(node, "has a weight of shape %s; digitlab's convolutions are square, over all %d channels"
                         % (list(weight.shape), self.shape[2]))
        filters, k = weight.shape[0], weight.shape[2]
        strides, pads = a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])
        if (a.get("group", 1) != 1 or set(a.get("dilations", [1, 1])) != {1} or len(set(strides)) != 1
                or len(set(pads)) != 1 or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID")):
            self._refuse(node, "uses strides %s, pads %s, dilations or groups digitlab's convolutions do not have"
                         % (strides, pads))
        stride, pad = strides[0], pads[0]
        if stride < 1 or pad < 0 or k < 1:
            self._refuse(node, "has a stride of %s, a pad of %s or a kernel of %s" % (stride, pad, k))
        w = weight.transpose(2, 3, 1, 0).reshape(k * k * self.shape[2], filters)  # (F, C, KH, KW) -> (KH*KW*C, F)
        b = np.zeros(filters, np.float32) if bias is None else bias
        self._add_layer({"type": "conv2d", "filters": int(filters), "kernel": int(k), "stride": int(stride),
                         "pad": int(pad)}, {"w": w, "b": b})
        h, w_ = (conv_out(size, k, stride, pad) for size in self.shape[:2])
        self.shape = (h, w_, int(filters))

    def _maxpool(self, node):
        self._expect_layout(node, "nchw")
        a = node.attributes
        kernel = a.get("kernel_shape", [])
        if (len(set(kernel)) != 1 or a.get("strides", [1, 1]) != kernel or set(a.get("pads", [0])) != {0}
                or a.get("ceil_mode", 0) or set(a.get("dilations", [1])) != {1}
                or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID")):  # SAME_* pads an odd edge: 7 -> 4
            self._refuse(node, "is not a square pooling with its stride equal to its size, which digitlab's is")
        size = kernel[0]
        if size < 1:
            self._refuse(node, "pools windows of %s" % size)
        self._add_layer({"type": "maxpool2d", "size": int(size)})
        self.shape = (self.shape[0] // size, self.shape[1] // size, self.shape[2])

    def _relu(self, node):
        self._add_layer({"type": "relu"})

    def _transpose(self, node):
        perm = node.attributes.get("perm")
        if self.layout == "nhwc" and perm == TO_NCHW:
            self.layout = "nchw"
        elif self.layout == "nchw" and perm == TO_NHWC:
            self.layout = "nhwc"
        else:
            self._refuse(node, "reorders %s by %s, which is no move between NHWC and NCHW" % (self.layout, perm))

    def _flatten_node(self, node):
        if node.attributes.get("axis", 1) != 1:
            self._refuse(node, "flattens from axis %s, not after the batch" % node.attributes.get("axis"))
        self._flatten_here(node)

    def _reshape(self, node):
        """A flatten as TensorFlow writes it: a Reshape to [-1, values] (or [0, -1]: keep the batch)."""
        shape, values = [int(d) for d in np.ravel(self._constant_input(node, 1))], int(np.prod(self.shape))
        if len(shape) != 2 or shape[0] not in (-1, 0) or shape[1] not in (-1, values) or shape == [-1, -1]:
            self._refuse(node, "reshapes to %s, not to [batch, %d]" % (shape, values))
        self._flatten_here(node)

    def _flatten_here(self, node):
        if self.layout == "flat":
            return  # already flat: a no-op
        self._flatten("chw" if self.layout == "nchw" else "hwc")

    def _flatten(self, order):
        self._add_layer({"type": "flatten"})
        self.layout, self.flat_from = "flat", self.shape
        self.reorder_next_dense = order == "chw"
        self.shape = (int(np.prod(self.shape)),)

    def _dense(self, node, weight, bias):
        """A dense layer of `weight` (inputs, units), its rows reordered to ours after an NCHW flatten."""
        self._expect_layout(node, "flat")
        if weight.ndim != 2 or weight.shape[0] != self.shape[0]:
            self._refuse(node, "has a weight of shape %s for %d inputs" % (list(weight.shape), self.shape[0]))
        if self.reorder_next_dense:  # (a ReLU or Dropout may stand between the flatten and it)
            self.reorder_next_dense = False
            h, w, c = self.flat_from
            weight = weight.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
        units = weight.shape[1]
        self._add_layer({"type": "dense", "units": int(units)},
                        {"w": weight, "b": np.zeros(units, np.float32) if bias is None else bias})
        self.shape = (int(units),)

    def _gemm(self, node):
        a = node.attributes
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            self._refuse(node, "scales or transposes its input, which a dense layer does not")
        weight = self._constant_input(node, 1)
        weight = weight.T if a.get("transB", 0) else weight  # (inputs, units)
        bias = self._constant_input(node, 2, required=False)
        if bias is not None and bias.shape == (1, weight.shape[-1]):  # a row, broadcast down the batch: one bias
            bias = bias[0]
        self._dense(node, weight, bias)

    def _matmul(self, node):
        self._dense(node, self._constant_input(node, 1), None)

    def _add(self, node):
        bias = self._constant_input(node, 1)
        last = self.weights[-1] if self.spec and self.spec[-1]["type"] == "dense" else None
        if last is None or np.ravel(bias).shape != last["b"].shape or np.any(last["b"]):
            self._refuse(node, "adds something other than a dense layer's bias")
        last["b"] = np.ravel(bias)

    def _div(self, node):
        divisor = np.ravel(self._constant_input(node, 1))
        if divisor.size != 1 or not self.spec or self.spec[-1]["type"] != "dense" or self.temperature is not None:
            self._refuse(node, "divides by something other than one calibration temperature after the last layer")
        self.temperature, self.calibrated = float(divisor[0]), True

    def _softmax(self, node):
        if node.attributes.get("axis", -1) not in (-1, 1):
            self._refuse(node, "is not over the classes")
        self.finished = True


def _passes(node):
    """Dropout (at inference) and Identity change nothing."""

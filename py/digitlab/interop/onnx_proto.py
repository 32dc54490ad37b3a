"""The ONNX messages we write and read (onnx.proto3's field numbers), over protobuf.py.

Writing: `tensor`, `node`, `value_info`, `graph`, `model` each return an encoded message.
Reading: `read_model` returns the graph as plain Python (`Node`s, initialisers as NumPy arrays),
refusing, before it allocates anything large, what we would not load: external data, tensors
bigger than `max_values`, types other than float32, float16 and int64.
"""
from collections import namedtuple

import numpy as np

from . import protobuf as pb

IR_VERSION = 7  # ONNX 1.8's, the first with opset 13
OPSET = 13
FLOAT, INT64, FLOAT16 = 1, 7, 10  # TensorProto.DataType
DTYPES = {FLOAT: np.dtype("<f4"), INT64: np.dtype("<i8"), FLOAT16: np.dtype("<f2")}
ATTRIBUTE_FLOAT, ATTRIBUTE_INT, ATTRIBUTE_STRING, ATTRIBUTE_TENSOR, ATTRIBUTE_INTS = 1, 2, 3, 4, 7  # AttributeType
EXTERNAL = 1  # TensorProto.DataLocation
MAX_DIMS = 8  # a tensor's dimensions: ours have at most 4

Node = namedtuple("Node", "op_type name inputs outputs attributes")
Graph = namedtuple("Graph", "nodes initializers inputs outputs")  # inputs, outputs: [(name, dims)]


class OnnxError(ValueError):
    """An ONNX file we cannot read, with the reason."""


# ---------------------------------------------------------------- writing

def tensor(name, array):
    array = np.ascontiguousarray(array)
    data_type = {v: k for k, v in DTYPES.items()}[array.dtype.newbyteorder("<")]
    return pb.message(pb.packed_varints(1, array.shape), pb.varint_field(2, data_type), pb.bytes_field(8, name),
                      pb.bytes_field(9, array.astype(array.dtype.newbyteorder("<")).tobytes()))


def attribute(name, value):
    if isinstance(value, float):
        return pb.message(pb.bytes_field(1, name), pb.float_field(2, value), pb.varint_field(20, ATTRIBUTE_FLOAT))
    if isinstance(value, int):
        return pb.message(pb.bytes_field(1, name), pb.varint_field(3, value), pb.varint_field(20, ATTRIBUTE_INT))
    return pb.message(pb.bytes_field(1, name), pb.packed_varints(8, value), pb.varint_field(20, ATTRIBUTE_INTS))


def node(op_type, inputs, outputs, name, **attributes):
    return pb.message(*[pb.bytes_field(1, i) for i in inputs], *[pb.bytes_field(2, o) for o in outputs],
                      pb.bytes_field(3, name), pb.bytes_field(4, op_type),
                      *[pb.bytes_field(5, attribute(k, v)) for k, v in sorted(attributes.items())])


def value_info(name, dims, elem_type=FLOAT):
    """A float tensor's name and shape; a dimension given as text is named, not fixed (the batch)."""
    dimensions = [pb.message(pb.bytes_field(2, d) if isinstance(d, str) else pb.varint_field(1, d)) for d in dims]
    shape = pb.message(*[pb.bytes_field(1, d) for d in dimensions])
    tensor_type = pb.message(pb.varint_field(1, elem_type), pb.bytes_field(2, shape))
    return pb.message(pb.bytes_field(1, name), pb.bytes_field(2, pb.message(pb.bytes_field(1, tensor_type))))


def graph(name, nodes, initializers, inputs, outputs):
    return pb.message(*[pb.bytes_field(1, n) for n in nodes], pb.bytes_field(2, name),
                      *[pb.bytes_field(5, t) for t in initializers],
                      *[pb.bytes_field(11, v) for v in inputs], *[pb.bytes_field(12, v) for v in outputs])


def model(graph_bytes, metadata, doc, producer_version):
    opset = pb.message(pb.bytes_field(1, ""), pb.varint_field(2, OPSET))
    return pb.message(pb.varint_field(1, IR_VERSION), pb.bytes_field(2, "digitlab"), pb.bytes_field(3, producer_version),
                      pb.bytes_field(6, doc), pb.bytes_field(7, graph_bytes), pb.bytes_field(8, opset),
                      *[pb.bytes_field(14, pb.message(pb.bytes_field(1, k), pb.bytes_field(2, v)))
                        for k, v in metadata.items()])


# ---------------------------------------------------------------- reading

def read_model(data, max_values):
    """ONNX bytes -> (Graph, {metadata key: value})."""
    try:
        fields = pb.read_fields(data)
        graphs = [value for number, _, value in fields if number == 7]
        if len(graphs) != 1:
            raise OnnxError("it holds no graph" if not graphs else "it holds several graphs")
        metadata = dict(_pair(value) for number, _, value in fields if number == 14)
        return _read_graph(graphs[0], max_values), metadata
    except OnnxError:
        raise
    except pb.WireError as err:
        raise OnnxError("it is not a readable ONNX file (%s)" % err)
    except UnicodeDecodeError:
        raise OnnxError("it is not a readable ONNX file (a name is not text)")
    except (TypeError, AttributeError, ValueError, OverflowError):  # a field of another wire type than ONNX's
        raise OnnxError("it is not a readable ONNX file (a field has the wrong type)")


def _text(value):
    if not isinstance(value, (bytes, memoryview)):  # a number where text belongs: never bytes(number), its size
        raise pb.WireError("a name is not text")
    return bytes(value).decode("utf-8")


def _pair(entry):
    fields = {number: value for number, _, value in pb.read_fields(entry)}
    return _text(fields.get(1, b"")), _text(fields.get(2, b""))


def _read_graph(data, max_values):
    nodes, initializers, inputs, outputs = [], {}, [], []
    budget = [max_values, max_values]  # what every initialiser together may still hold, and at most
    for number, _, value in pb.read_fields(data):
        if number == 1:
            nodes.append(_read_node(value, budget))
        elif number == 5:
            name, array = _read_tensor(value, budget)
            initializers[name] = array
        elif number == 11:
            inputs.append(_read_value_info(value))
        elif number == 12:
            outputs.append(_read_value_info(value))
        elif number == 15:
            raise OnnxError("it holds a sparse tensor, which digitlab does not read")
    return Graph(nodes, initializers, [i for i in inputs if i[0] not in initializers], outputs)


def _read_node(data, budget):
    op_type, name, inputs, outputs, attributes = "", "", [], [], {}
    for number, _, value in pb.read_fields(data):
        if number == 1:
            inputs.append(_text(value))
        elif number == 2:
            outputs.append(_text(value))
        elif number == 3:
            name = _text(value)
        elif number == 4:
            op_type = _text(value)
        elif number == 5:
            key, attr = _read_attribute(value, budget)
            attributes[key] = attr
    return Node(op_type, name or op_type, inputs, outputs, attributes)


def _read_attribute(data, budget):
    """-> (name, value): an int, a float, text, a list of ints or an array (a Constant's); other
    kinds as None (refused where used)."""
    name, values, kind = "", {}, 0
    ints = []
    for field in pb.read_fields(data):
        number, _, value = field
        if number == 1:
            name = _text(value)
        elif number == 20:
            kind = value
        elif number == 8:
            ints.extend(pb.read_packed_varints(field))
        else:
            values[number] = value
    if kind == ATTRIBUTE_INT:
        return name, pb.signed(values.get(3, 0))
    if kind == ATTRIBUTE_FLOAT:
        return name, pb.as_float(values.get(2, 0))
    if kind == ATTRIBUTE_STRING:
        return name, _text(values.get(4, b""))
    if kind == ATTRIBUTE_INTS:
        return name, ints
    if kind == ATTRIBUTE_TENSOR and 5 in values:
        return name, _read_tensor(values[5], budget)[1]
    return name, None


def _read_tensor(data, budget):
    """-> (name, array), its size checked against what is left of `budget` before anything is copied."""
    dims, data_type, name, raw, numbers = [], FLOAT, "", None, {}
    for field in pb.read_fields(data):
        number, _, value = field
        if number == 1:
            dims.extend(pb.read_packed_varints(field))
        elif number == 2:
            data_type = value
        elif number == 8:
            name = _text(value)
        elif number == 9:
            raw = value
        elif number in (4, 5, 7):  # float_data, int32_data (float16's bits), int64_data
            numbers.setdefault(number, []).append(field)
        elif number == 13 or (number == 14 and value == EXTERNAL):
            raise OnnxError("the tensor %r refers to data outside the file, which digitlab never reads" % name)
    if data_type not in DTYPES:
        raise OnnxError("the tensor %r has a type digitlab does not read (ONNX type %d)" % (name, data_type))
    if any(d < 0 for d in dims) or len(dims) > MAX_DIMS:
        raise OnnxError("the tensor %r declares a negative size or more than %d dimensions" % (name, MAX_DIMS))
    count = 1
    for dim in dims:  # in Python integers: a hostile file's sizes must not wrap around
        count *= dim
        if count > budget[0]:
            raise OnnxError("its tensors hold more than the %d numbers a model may have" % budget[1])
    budget[0] -= count
    dtype = DTYPES[data_type]
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            raise OnnxError("the tensor %r holds %d bytes for %d numbers" % (name, len(raw), count))
        array = np.frombuffer(raw, dtype=dtype)
    else:
        array = np.array(_listed_numbers(numbers, data_type, count), dtype=dtype)
        if array.size != count:
            raise OnnxError("the tensor %r holds %d numbers, not %d" % (name, array.size, count))
    return name, array.astype(dtype.newbyteorder("=")).reshape(dims)


def _listed_numbers(numbers, data_type, count):
    """A tensor's numbers listed one by one (not raw), their bytes checked against `count` first."""
    fields = numbers.get({INT64: 7, FLOAT16: 5}.get(data_type, 4), [])
    size = sum(len(value) if wire_type == pb.LENGTH else 4 for _, wire_type, value in fields)
    if size > count * pb.MAX_VARINT_BYTES:
        raise OnnxError("a tensor lists more numbers than it declares")
    if data_type == INT64:
        return [v for field in fields for v in pb.read_packed_varints(field)]
    if data_type == FLOAT16:  # listed as their bits, one number each
        bits = [v for field in fields for v in pb.read_packed_varints(field)]
        if any(not 0 <= v < 2 ** 16 for v in bits):
            raise OnnxError("a float16 tensor lists a number of more than 16 bits")
        return np.array(bits, np.uint16).view("<f2")
    values = []
    for _, wire_type, value in fields:
        raw = bytes(value) if wire_type == pb.LENGTH else value.to_bytes(4, "little")
        values.extend(np.frombuffer(raw, dtype="<f4").tolist())
    return values


def _read_value_info(data):
    """-> (name, [dimension: an int, or None when named or unknown])."""
    name, dims = "", []
    for number, _, value in pb.read_fields(data):
        if number == 1:
            name = _text(value)
        elif number == 2:
            dims = _tensor_dims(value)
    return name, dims


def _tensor_dims(type_proto):
    for number, _, tensor_type in pb.read_fields(type_proto):
        if number != 1:
            continue
        for n, _, shape in pb.read_fields(tensor_type):
            if n == 2:
                return [_dimension(d) for k, _, d in pb.read_fields(shape) if k == 1]
    return []


def _dimension(data):
    fields = {number: value for number, _, value in pb.read_fields(data)}
    return pb.signed(fields[1]) if 1 in fields else None

"""Protocol Buffers' wire format, the little of it an ONNX file needs, in plain Python.

ONNX files are protobuf messages. The `onnx` package reads and writes them, but it is a compiled
extension that Pyodide 0.17 cannot load, and the page imports and exports models too; so our
engine carries this small codec, and the tests check its files with `onnx` and onnxruntime.

A message is written as a list of fields (`varint_field`, `bytes_field`, ... each returns bytes)
and read back by `read_fields`, which never reads past its buffer.
"""
import struct

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5  # the wire types we meet
MAX_VARINT_BYTES = 10


class WireError(ValueError):
    """Bytes that are no well-formed protobuf message."""


def varint(value):
    """An integer (int64: a negative one as its two's complement) as a base-128 varint."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _tag(number, wire_type):
    return varint(number << 3 | wire_type)


def varint_field(number, value):
    return _tag(number, VARINT) + varint(value)


def bytes_field(number, data):
    """A string (UTF-8), bytes or an encoded message."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _tag(number, LENGTH) + varint(len(data)) + data


def float_field(number, value):
    return _tag(number, FIXED32) + struct.pack("<f", value)


def packed_varints(number, values):
    return bytes_field(number, b"".join(varint(v) for v in values))


def message(*fields):
    """A message's fields, each already encoded (None: left out)."""
    return b"".join(f for f in fields if f is not None)


def read_varint(data, at):
    """-> (value as an unsigned 64-bit integer, position after it)."""
    value = 0
    for shift in range(0, 7 * MAX_VARINT_BYTES, 7):
        if at >= len(data):
            raise WireError("a number runs past the end")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value & ((1 << 64) - 1), at
    raise WireError("a number is longer than ten bytes")


def signed(value):
    """An int64 read as an unsigned varint, back to its sign."""
    return value - (1 << 64) if value >> 63 else value


def read_fields(data):
    """[(field number, wire type, value)] of a message: an int for a varint or a fixed-size field
    (its raw bits), a memoryview for a length-delimited one."""
    data = memoryview(data)
    fields, at = [], 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire_type = key >> 3, key & 7
        if wire_type == VARINT:
            value, at = read_varint(data, at)
        elif wire_type == LENGTH:
            length, at = read_varint(data, at)
            if length > len(data) - at:
                raise WireError("a field of %d bytes runs past the end" % length)
            value, at = data[at:at + length], at + length
        elif wire_type in (FIXED32, FIXED64):
            size = 4 if wire_type == FIXED32 else 8
            if at + size > len(data):
                raise WireError("a number runs past the end")
            value, at = int.from_bytes(data[at:at + size], "little"), at + size
        else:
            raise WireError("unknown wire type %d" % wire_type)
        fields.append((number, wire_type, value))
    return fields


def read_packed_varints(field):
    """A repeated integer field's values, packed (one LENGTH field) or not (one VARINT)."""
    _, wire_type, value = field
    if wire_type == VARINT:
        return [signed(value)]
    out, at = [], 0
    while at < len(value):
        number, at = read_varint(value, at)
        out.append(signed(number))
    return out


def as_float(bits):
    """A FIXED32 field's bits as the float they hold."""
    return struct.unpack("<f", bits.to_bytes(4, "little"))[0]

"""Write the folded EfficientNet-Lite0 as an ONNX ModelProto, by hand, so onnxruntime needs no onnx package.

Protobuf's wire format is small: each field is a varint key (field number << 3 | wire type) then either a
varint (type 0) or a varint length and that many bytes (type 2: strings, bytes, packed repeated numbers
and nested messages). Field numbers below are onnx.proto's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from imgsearch.describers.local.vision.efficientnet import Conv, Network

IR_VERSION = 7  # the IR version that goes with opset 13
OPSET = 13

# onnx.proto enums
_FLOAT = 1  # TensorProto.DataType.FLOAT
_ATTR_INT, _ATTR_INTS = 2, 7  # AttributeProto.AttributeType


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 fields encode negatives as 10-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


class _Message:
    """A message's encoded fields, kept as a list of chunks until the final join."""

    # Nesting then only adds a length prefix: the 18 MB of weights are copied once, not once per level
    # (15 ms instead of 215, and ~95 MB less peak memory).

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = []
        self.size = 0

    def _add(self, chunk: bytes | memoryview) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)

    def int(self, field: int, value: int) -> _Message:
        self._add(_key(field, 0) + _varint(value))
        return self

    def bytes(self, field: int, value: bytes | memoryview) -> _Message:
        self._add(_key(field, 2) + _varint(len(value)))
        self._add(value)
        return self

    def str(self, field: int, value: str) -> _Message:
        return self.bytes(field, value.encode())

    def ints(self, field: int, values: list[int]) -> _Message:
        """A repeated int64 field, unpacked as proto2 (onnx.proto's syntax) writes it by default."""
        for v in values:
            self.int(field, v)
        return self

    def message(self, field: int, value: _Message) -> _Message:
        self._add(_key(field, 2) + _varint(value.size))
        self.chunks += value.chunks
        self.size += value.size
        return self

    def encode(self) -> bytes:
        return b"".join(self.chunks)


def tensor(name: str, array: np.ndarray) -> _Message:
    """TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian float32)."""
    data = np.ascontiguousarray(array, dtype="<f4")
    raw = memoryview(data.reshape(-1).view(np.uint8))  # no copy until the final join
    return _Message().ints(1, list(data.shape)).int(2, _FLOAT).str(8, name).bytes(9, raw)


def attr_int(name: str, value: int) -> _Message:
    """AttributeProto: name=1, i=3, type=20."""
    return _Message().str(1, name).int(3, value).int(20, _ATTR_INT)


def attr_ints(name: str, values: list[int]) -> _Message:
    """AttributeProto: name=1, ints=8, type=20."""
    return _Message().str(1, name).ints(8, values).int(20, _ATTR_INTS)


def node(
    op_type: str, inputs: list[str], outputs: list[str], name: str, attrs: tuple[_Message, ...] = ()
) -> _Message:
    """NodeProto: input=1, output=2, name=3, op_type=4, attribute=5."""
    msg = _Message()
    for i in inputs:
        msg.str(1, i)
    for o in outputs:
        msg.str(2, o)
    msg.str(3, name).str(4, op_type)
    for a in attrs:
        msg.message(5, a)
    return msg


def value_info(name: str, dims: list[int | str]) -> _Message:
    """ValueInfoProto name=1, type=2 -> TypeProto.tensor_type=1 -> elem_type=1, shape=2 -> dim=1."""
    shape = _Message()
    for d in dims:  # Dimension: dim_value=1, dim_param=2
        shape.message(1, _Message().str(2, d) if isinstance(d, str) else _Message().int(1, d))
    tensor_type = _Message().int(1, _FLOAT).message(2, shape)
    return _Message().str(1, name).message(2, _Message().message(1, tensor_type))


def network_to_onnx(net: Network) -> bytes:
    """Serialised ModelProto: input "input" (N,3,224,224); outputs "logits" (N,1000), "features" (N,1280)."""
    nodes: list[_Message] = []
    inits = [tensor("relu6_min", np.array(0.0, np.float32)), tensor("relu6_max", np.array(6.0, np.float32))]

    def conv(x: str, c: Conv, name: str) -> str:
        inits.append(tensor(name + ".w", c.weight))
        inits.append(tensor(name + ".b", c.bias))
        attrs = (
            attr_ints("kernel_shape", [c.kernel, c.kernel]),
            attr_ints("strides", [c.stride, c.stride]),
            attr_ints("pads", list(c.pads)),  # [top, left, bottom, right]: asymmetric "same" padding
            attr_int("group", c.weight.shape[0] if c.depthwise else 1),
        )
        y = name + (".conv" if c.relu6 else "")
        nodes.append(node("Conv", [x, name + ".w", name + ".b"], [y], name, attrs))
        if not c.relu6:
            return y
        nodes.append(node("Clip", [y, "relu6_min", "relu6_max"], [name], name + ".relu6"))
        return name

    x = conv("input", net.stem, "stem")
    for i, block in enumerate(net.blocks):
        inp = x
        if block.expand is not None:
            x = conv(x, block.expand, f"blocks.{i}.expand")
        x = conv(x, block.depthwise, f"blocks.{i}.depthwise")
        x = conv(x, block.project, f"blocks.{i}.project")
        if block.skip:
            nodes.append(node("Add", [x, inp], [f"blocks.{i}"], f"blocks.{i}.add"))
            x = f"blocks.{i}"
    x = conv(x, net.head, "head")
    nodes.append(node("GlobalAveragePool", [x], ["pooled"], "pool"))
    nodes.append(node("Flatten", ["pooled"], ["features"], "flatten", (attr_int("axis", 1),)))
    inits += [tensor("fc.w", net.fc_weight), tensor("fc.b", net.fc_bias)]
    nodes.append(node("Gemm", ["features", "fc.w", "fc.b"], ["logits"], "fc", (attr_int("transB", 1),)))

    # GraphProto: node=1, name=2, initializer=5, input=11, output=12
    graph = _Message()
    for n in nodes:
        graph.message(1, n)
    graph.str(2, "efficientnet_lite0")
    for t in inits:
        graph.message(5, t)
    graph.message(11, value_info("input", ["N", 3, 224, 224]))
    graph.message(12, value_info("logits", ["N", 1000])).message(12, value_info("features", ["N", 1280]))
    # ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8 (OperatorSetIdProto version=2)
    model = _Message().int(1, IR_VERSION).str(2, "imgsearch").message(7, graph)
    return model.message(8, _Message().int(2, OPSET)).encode()


# ---------------------------------------------------------------------------------------------------------
# Generic helpers, added for tflite_model.py (BlazeFace); nothing above depends on them.

_INT64 = 7  # TensorProto.DataType.INT64
_ATTR_STRING = 3  # AttributeProto.AttributeType.STRING


def tensor_int64(name: str, array: np.ndarray) -> _Message:
    """TensorProto of int64 (shapes, pads, sizes): dims=1, data_type=2, name=8, raw_data=9."""
    data = np.ascontiguousarray(array, dtype="<i8")
    return _Message().ints(1, list(data.shape)).int(2, _INT64).str(8, name).bytes(9, data.tobytes())


def attr_str(name: str, value: str) -> _Message:
    """AttributeProto: name=1, s=4, type=20."""
    return _Message().str(1, name).str(4, value).int(20, _ATTR_STRING)


def model_proto(
    name: str,
    nodes: list[_Message],
    initializers: list[_Message],
    inputs: list[_Message],
    outputs: list[_Message],
) -> bytes:
    """Serialised ModelProto (opset OPSET) of one graph; inputs and outputs are value_info() messages."""
    # GraphProto: node=1, name=2, initializer=5, input=11, output=12
    graph = _Message()
    for n in nodes:
        graph.message(1, n)
    graph.str(2, name)
    for t in initializers:
        graph.message(5, t)
    for i in inputs:
        graph.message(11, i)
    for o in outputs:
        graph.message(12, o)
    # ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8 (OperatorSetIdProto version=2)
    model = _Message().int(1, IR_VERSION).str(2, "imgsearch").message(7, graph)
    return model.message(8, _Message().int(2, OPSET)).encode()

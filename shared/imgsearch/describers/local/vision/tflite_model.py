"""Read a TensorFlow Lite model without the tflite or flatbuffers packages, and rewrite it as an ONNX graph.

A .tflite file is a FlatBuffer (flatbuffers.dev, "internals"), little-endian throughout:
- the file starts with a uint32 offset to the root table (a Model), then the identifier "TFL3";
- every offset to a table, vector or string is a uint32 counted forward from where it is stored;
- a table starts with an int32 that, subtracted from the table's position, locates its vtable: uint16
  vtable size, uint16 table size, then one uint16 per field, the field's position inside the table
  (0 or past the end of the vtable: absent, the schema's default applies);
- a vector or string is a uint32 element count followed by the elements (strings add a NUL);
- a union field takes two field slots: a ubyte type, then the offset to that type's table.
Field numbers and enums are tensorflow/lite/schema/schema.fbs's. Every read is bounds-checked, and every
count is checked against the bytes left before anything is allocated, so a damaged file raises
TFLiteModelError (a ValueError) rather than crashing or allocating gigabytes.

What is read: each subgraph's tensors (shape, type, constant data, whether quantized), inputs, outputs
and operators (builtin code, inputs, outputs, and the builtin options of the tables in _OPTION_FIELDS:
those of the operators to_onnx() converts), and the buffers. to_onnx() rewrites the main subgraph of a
float model made of the operators in SUPPORTED_OPS as ONNX (NCHW inside, NHWC at the edges, as in the
TFLite model) and refuses anything else by name.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from imgsearch.describers.local.vision import onnx_graph as og

MAX_MODEL_BYTES = 64 << 20  # a generous cap for the small detectors read here; stops a wrong path early
FILE_IDENTIFIER = b"TFL3"


class TFLiteModelError(ValueError):
    """The file is not a readable TensorFlow Lite model (truncated, damaged or another format)."""


class UnsupportedModelError(TFLiteModelError):
    """A well-formed model that uses an operator, type or option to_onnx() does not implement."""


# BuiltinOperator (schema.fbs), codes 0 to 54, enough to name any operator a small vision model uses.
_OP_NAMES_TEXT = """ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE
EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D
LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE
RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM
EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE
MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT
LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU"""
_OP_NAMES = tuple(_OP_NAMES_TEXT.split())
_CUSTOM = 32

# TensorType (schema.fbs) -> numpy dtype; other types are kept by number and carry no data.
_TENSOR_TYPES: dict[int, str] = {
    0: "float32",
    1: "float16",
    2: "int32",
    3: "uint8",
    4: "int64",
    6: "bool",
    7: "int16",
    9: "int8",
    10: "float64",
}
_PADDING = ("SAME", "VALID")
_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")

# BuiltinOptions union type -> (table name, fields as (name, field number, kind, default)).
# Kinds: "b"/"B" int8/uint8, "i" int32, "?" bool, "ints" [int], "padding"/"activation" enums (bytes).
_OPTION_FIELDS: dict[int, tuple[str, tuple[tuple[str, int, str, Any], ...]]] = {
    1: (
        "Conv2DOptions",
        (
            ("padding", 0, "padding", "SAME"),
            ("stride_w", 1, "i", 0),
            ("stride_h", 2, "i", 0),
            ("fused_activation_function", 3, "activation", "NONE"),
            ("dilation_w_factor", 4, "i", 1),
            ("dilation_h_factor", 5, "i", 1),
        ),
    ),
    2: (
        "DepthwiseConv2DOptions",
        (
            ("padding", 0, "padding", "SAME"),
            ("stride_w", 1, "i", 0),
            ("stride_h", 2, "i", 0),
            ("depth_multiplier", 3, "i", 0),
            ("fused_activation_function", 4, "activation", "NONE"),
            ("dilation_w_factor", 5, "i", 1),
            ("dilation_h_factor", 6, "i", 1),
        ),
    ),
    5: (
        "Pool2DOptions",
        (
            ("padding", 0, "padding", "SAME"),
            ("stride_w", 1, "i", 0),
            ("stride_h", 2, "i", 0),
            ("filter_width", 3, "i", 0),
            ("filter_height", 4, "i", 0),
            ("fused_activation_function", 5, "activation", "NONE"),
        ),
    ),
    11: ("AddOptions", (("fused_activation_function", 0, "activation", "NONE"),)),
    15: ("ResizeBilinearOptions", (("align_corners", 2, "?", False), ("half_pixel_centers", 3, "?", False))),
    17: ("ReshapeOptions", (("new_shape", 0, "ints", ()),)),
    22: ("PadOptions", ()),
    38: ("DequantizeOptions", ()),
}


@dataclass(frozen=True)
class Tensor:
    """One tensor of the subgraph; data is the constant value (read-only, no copy) or None."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy's name, or "type<N>" for a TensorType without a numpy equivalent
    buffer: int
    data: np.ndarray | None
    quantized: bool  # carries scale/zero-point quantization parameters


@dataclass(frozen=True)
class Operator:
    """One operator: its builtin name ("CONV_2D"; "CUSTOM:<code>"; "BUILTIN_<n>" past _OP_NAMES)."""

    op: str
    inputs: tuple[int, ...]  # tensor indices; -1 marks an omitted optional input
    outputs: tuple[int, ...]
    options_type: str | None  # the BuiltinOptions table's name, or None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subgraph:
    """The tensors and the operators in execution order."""

    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]


@dataclass(frozen=True)
class Model:
    """A parsed .tflite model: schema version, description, subgraphs (the first is the main one), buffers."""

    version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    buffers: tuple[memoryview, ...]

    @property
    def main(self) -> Subgraph:
        """The subgraph TFLite runs for inference."""
        return self.subgraphs[0]

    def op_counts(self) -> dict[str, int]:
        """How many operators of each kind the main subgraph has."""
        counts: dict[str, int] = {}
        for operator in self.main.operators:
            counts[operator.op] = counts.get(operator.op, 0) + 1
        return counts


# ------------------------------------------------------------------------------------------ FlatBuffers


class _Buffer:
    """Bounds-checked little-endian reads from the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.size = len(data)

    def check(self, pos: int, size: int, what: str) -> None:
        if pos < 0 or size < 0 or pos + size > self.size:
            raise TFLiteModelError(
                f"{what} at byte {pos} (+{size}) lies outside the {self.size}-byte file: "
                "truncated or not a TFLite model"
            )

    def unpack(self, fmt: str, pos: int, what: str) -> Any:
        self.check(pos, struct.calcsize(fmt), what)
        return struct.unpack_from(fmt, self.data, pos)[0]

    def follow(self, pos: int, what: str) -> int:
        """The position a uoffset stored at pos points to."""
        target = pos + self.unpack("<I", pos, what)
        self.check(target, 4, what)  # anything pointed to is at least 4 bytes: a count or a vtable offset
        return target

    def table(self, pos: int, what: str) -> _Table:
        vtable = pos - self.unpack("<i", pos, what)
        vtable_size = self.unpack("<H", vtable, what + " vtable")
        table_size = self.unpack("<H", vtable + 2, what + " vtable")
        if vtable_size < 4 or vtable_size % 2 or table_size < 4:
            raise TFLiteModelError(f"{what} at byte {pos} has a malformed vtable: not a TFLite model")
        self.check(vtable, vtable_size, what + " vtable")
        self.check(pos, table_size, what)
        return _Table(self, pos, vtable, vtable_size, table_size, what)


class _Table:
    """One FlatBuffer table: typed access to its fields by number, with the schema's defaults."""

    def __init__(self, buf: _Buffer, pos: int, vtable: int, vtable_size: int, size: int, what: str) -> None:
        self.buf = buf
        self.pos = pos
        self.vtable = vtable
        self.vtable_size = vtable_size
        self.size = size
        self.what = what

    def _field(self, number: int, width: int) -> int | None:
        slot = 4 + 2 * number
        if slot + 2 > self.vtable_size:
            return None
        offset = self.buf.unpack("<H", self.vtable + slot, self.what)
        if offset == 0:
            return None
        if offset + width > self.size:
            raise TFLiteModelError(f"{self.what} field {number} lies outside its table: damaged file")
        return self.pos + offset

    def scalar(self, number: int, fmt: str, default: Any) -> Any:
        pos = self._field(number, struct.calcsize(fmt))
        return default if pos is None else self.buf.unpack("<" + fmt, pos, f"{self.what} field {number}")

    def table(self, number: int, what: str) -> _Table | None:
        pos = self._field(number, 4)
        return None if pos is None else self.buf.table(self.buf.follow(pos, what), what)

    def vector(self, number: int, item_size: int, what: str) -> tuple[int, int]:
        """(position of the first element, count); (0, 0) when the field is absent."""
        pos = self._field(number, 4)
        if pos is None:
            return 0, 0
        start = self.buf.follow(pos, what)
        count = self.buf.unpack("<I", start, what)
        # Checked before anything is allocated: a damaged count cannot ask for more than the file holds.
        self.buf.check(start + 4, count * item_size, f"{what} ({count} items)")
        return start + 4, count

    def numbers(self, number: int, fmt: str, what: str) -> tuple[Any, ...]:
        start, count = self.vector(number, struct.calcsize(fmt), what)
        return struct.unpack_from(f"<{count}{fmt}", self.buf.data, start) if count else ()

    def tables(self, number: int, what: str) -> list[_Table]:
        start, count = self.vector(number, 4, what)
        return [
            self.buf.table(self.buf.follow(start + 4 * i, f"{what}[{i}]"), f"{what}[{i}]")
            for i in range(count)
        ]

    def string(self, number: int, what: str) -> str:
        start, count = self.vector(number, 1, what)
        return bytes(self.buf.data[start : start + count]).decode("utf-8", "replace") if count else ""

    def bytes(self, number: int, what: str) -> memoryview:
        start, count = self.vector(number, 1, what)
        return self.buf.data[start : start + count]


# -------------------------------------------------------------------------------------------- reading


def read_model(path: Path | str, max_bytes: int = MAX_MODEL_BYTES) -> Model:
    """Parse a .tflite file; raises TFLiteModelError if it is not a well-formed TFLite model."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise TFLiteModelError(f"{path} is {size} bytes, more than the {max_bytes} allowed for a model")
    return parse_model(path.read_bytes())


def parse_model(data: bytes) -> Model:
    """Parse a .tflite model held in memory (see read_model)."""
    buf = _Buffer(data)
    if buf.size < 8 or bytes(buf.data[4:8]) != FILE_IDENTIFIER:
        raise TFLiteModelError("not a TFLite model: the FlatBuffer identifier 'TFL3' is missing at byte 4")
    root = buf.table(buf.follow(0, "root offset"), "Model")
    # Model: version=0, operator_codes=1, subgraphs=2, description=3, buffers=4
    version = root.scalar(0, "I", 0)
    if version != 3:
        raise TFLiteModelError(f"TFLite schema version {version}; only version 3 is supported")
    op_names = [_op_name(code) for code in root.tables(1, "operator_codes")]
    buffers = tuple(_buffer_data(buf, t) for t in root.tables(4, "buffers"))
    subgraphs = tuple(_subgraph(t, op_names, buffers) for t in root.tables(2, "subgraphs"))
    if not subgraphs:
        raise TFLiteModelError("the model has no subgraph")
    return Model(version, root.string(3, "description"), subgraphs, buffers)


def _op_name(code: _Table) -> str:
    # OperatorCode: deprecated_builtin_code=0 (int8), custom_code=1, version=2, builtin_code=3 (int32).
    # TFLite itself takes the larger of the two codes: old files set only the first, new ones both.
    builtin = max(code.scalar(0, "b", 0), code.scalar(3, "i", 0))
    if builtin == _CUSTOM:
        return "CUSTOM:" + code.string(1, "custom_code")
    return _OP_NAMES[builtin] if 0 <= builtin < len(_OP_NAMES) else f"BUILTIN_{builtin}"


def _buffer_data(buf: _Buffer, table: _Table) -> memoryview:
    # Buffer: data=0; offset=1, size=2 (uint64, from the file's start) for data kept outside the FlatBuffer.
    data = table.bytes(0, "buffer data")
    offset, size = table.scalar(1, "Q", 0), table.scalar(2, "Q", 0)
    if offset > 1:
        buf.check(offset, size, "external buffer")
        return buf.data[offset : offset + size]
    return data


def _subgraph(table: _Table, op_names: list[str], buffers: tuple[memoryview, ...]) -> Subgraph:
    # SubGraph: tensors=0, inputs=1, outputs=2, operators=3, name=4
    tensors = tuple(_tensor(t, buffers) for t in table.tables(0, "tensors"))
    inputs = table.numbers(1, "i", "subgraph inputs")
    outputs = table.numbers(2, "i", "subgraph outputs")
    for index in (*inputs, *outputs):
        if not 0 <= index < len(tensors):
            raise TFLiteModelError(f"subgraph input/output {index} is not one of its {len(tensors)} tensors")
    operators = tuple(
        _operator(t, i, op_names, len(tensors)) for i, t in enumerate(table.tables(3, "operators"))
    )
    return Subgraph(table.string(4, "subgraph name"), tensors, inputs, outputs, operators)


def _tensor(table: _Table, buffers: tuple[memoryview, ...]) -> Tensor:
    # Tensor: shape=0, type=1 (int8 enum), buffer=2 (uint32), name=3, quantization=4
    name = table.string(3, "tensor name")
    shape = table.numbers(0, "i", "tensor shape")
    if any(d < 0 for d in shape):
        raise TFLiteModelError(f"tensor {name!r} has a negative dimension in its shape {shape}")
    type_code = table.scalar(1, "b", 0)
    dtype = _TENSOR_TYPES.get(type_code, f"type{type_code}")
    buffer = table.scalar(2, "I", 0)
    if buffer >= len(buffers) and buffer != 0:
        raise TFLiteModelError(f"tensor {name!r} refers to buffer {buffer}; the model has {len(buffers)}")
    quantization = table.table(4, "quantization")
    # QuantizationParameters: min=0, max=1, scale=2, zero_point=3
    quantized = quantization is not None and quantization.vector(2, 4, "quantization scale")[1] > 0
    data = None
    raw = buffers[buffer] if 0 < buffer < len(buffers) else memoryview(b"")
    if len(raw):
        if dtype not in _TENSOR_TYPES.values():
            raise UnsupportedModelError(f"tensor {name!r} holds constant data of TensorType {type_code}")
        itemsize = np.dtype(dtype).itemsize
        count = math.prod(shape)
        if count * itemsize != len(raw):
            raise TFLiteModelError(
                f"tensor {name!r} of shape {shape} ({dtype}) needs {count * itemsize} bytes; "
                f"its buffer has {len(raw)}"
            )
        data = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    return Tensor(name, tuple(shape), dtype, buffer, data, quantized)


def _operator(table: _Table, index: int, op_names: list[str], num_tensors: int) -> Operator:
    # Operator: opcode_index=0, inputs=1, outputs=2, builtin_options_type=3 (ubyte), builtin_options=4
    what = f"operator {index}"
    opcode = table.scalar(0, "I", 0)
    if opcode >= len(op_names):
        raise TFLiteModelError(f"{what} uses operator code {opcode}; the model defines {len(op_names)}")
    inputs = table.numbers(1, "i", what + " inputs")
    outputs = table.numbers(2, "i", what + " outputs")
    for t in (*inputs, *outputs):
        if not -1 <= t < num_tensors:
            raise TFLiteModelError(f"{what} refers to tensor {t}; the subgraph has {num_tensors}")
    options_type, options = None, {}
    union_type = table.scalar(3, "B", 0)
    if union_type in _OPTION_FIELDS:
        options_type, fields = _OPTION_FIELDS[union_type]
        sub = table.table(4, f"{what} {options_type}")
        for name, number, kind, default in fields:
            options[name] = default if sub is None else _option(sub, number, kind, default)
    elif union_type:
        options_type = f"BuiltinOptions{union_type}"  # kept unparsed: to_onnx refuses such operators
    return Operator(op_names[opcode], inputs, outputs, options_type, options)


def _option(table: _Table, number: int, kind: str, default: Any) -> Any:
    if kind == "ints":
        return table.numbers(number, "i", table.what)
    if kind == "?":
        return bool(table.scalar(number, "B", int(default)))
    if kind in ("padding", "activation"):
        names = _PADDING if kind == "padding" else _ACTIVATIONS
        value = table.scalar(number, "b", names.index(default))
        if not 0 <= value < len(names):
            raise TFLiteModelError(f"{table.what}: {kind} {value} is not a known value")
        return names[value]
    return table.scalar(number, kind, default)


# -------------------------------------------------------------------------------------- TFLite -> ONNX

# Operator -> (its BuiltinOptions table or None, fewest and most inputs, 4-D input and output required).
_OP_SPECS: dict[str, tuple[str | None, int, int, bool]] = {
    "ADD": ("AddOptions", 2, 2, False),
    "CONV_2D": ("Conv2DOptions", 2, 3, True),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", 2, 3, True),
    "DEQUANTIZE": ("DequantizeOptions", 1, 1, False),
    "MAX_POOL_2D": ("Pool2DOptions", 1, 1, True),
    "PAD": ("PadOptions", 2, 2, False),
    "RELU": (None, 1, 1, False),
    "RESHAPE": ("ReshapeOptions", 1, 2, False),
    "RESIZE_BILINEAR": ("ResizeBilinearOptions", 2, 2, True),
}
SUPPORTED_OPS = tuple(sorted(_OP_SPECS))
_DEFAULT_OPTIONS = {table: {f[0]: f[3] for f in fields} for table, fields in _OPTION_FIELDS.values()}
_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


def to_onnx(model: Model, graph_name: str = "tflite") -> bytes:
    """The main subgraph as a serialised ONNX ModelProto; inputs and outputs keep their names and shapes."""
    return _Converter(model.main, graph_name).convert()


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite "SAME" padding (before, after) on one axis: output ceil(size / stride), any odd pixel after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


class _Converter:
    """Walks the operators in order, writing each as ONNX nodes; 4-D activations are kept NCHW."""

    # ONNX convolutions and pools want NCHW and TFLite is NHWC. Rather than transposing around every op,
    # each 4-D activation is held NCHW and transposed back only where the TFLite layout matters (RESHAPE,
    # graph outputs): this model then needs one Transpose in and one per output.

    def __init__(self, graph: Subgraph, name: str) -> None:
        self.g = graph
        self.name = name
        self.nodes: list[og._Message] = []
        self.inits: list[og._Message] = []
        self.consts: dict[int, np.ndarray] = {
            i: t.data for i, t in enumerate(graph.tensors) if t.data is not None
        }
        self.nchw: dict[int, str] = {}  # tensor index -> ONNX value holding it as NCHW
        self.plain: dict[int, str] = {}  # tensor index -> ONNX value holding it in TFLite's layout
        names = [t.name for t in graph.tensors]
        unique = len(set(names)) == len(names) and all(names)
        self.names = names if unique else [f"{n}:{i}" for i, n in enumerate(names)]
        self.count = 0

    # ---- helpers

    def fail(self, index: int, why: str) -> UnsupportedModelError:
        op = self.g.operators[index]
        return UnsupportedModelError(f"operator {index} ({op.op}) {why}")

    def uid(self, base: str) -> str:
        self.count += 1
        return f"{base}#{self.count}"

    def const(self, name: str, array: np.ndarray) -> str:
        if array.dtype == np.int64:
            self.inits.append(og.tensor_int64(name, array))
        else:
            self.inits.append(og.tensor(name, array))
        return name

    def shape(self, t: int) -> tuple[int, ...]:
        return self.g.tensors[t].shape

    def as_nchw(self, t: int) -> str:
        if t not in self.nchw:
            if t not in self.plain:
                raise UnsupportedModelError(
                    f"tensor {self.g.tensors[t].name!r} is used before it is computed"
                )
            out = self.uid(self.names[t] + ".nchw")
            perm = og.attr_ints("perm", _NHWC_TO_NCHW)
            self.nodes.append(og.node("Transpose", [self.plain[t]], [out], out, (perm,)))
            self.nchw[t] = out
        return self.nchw[t]

    def as_plain(self, t: int) -> str:
        if t not in self.plain:
            if t not in self.nchw:
                raise UnsupportedModelError(
                    f"tensor {self.g.tensors[t].name!r} is used before it is computed"
                )
            out = self.uid(self.names[t] + ".nhwc")
            perm = og.attr_ints("perm", _NCHW_TO_NHWC)
            self.nodes.append(og.node("Transpose", [self.nchw[t]], [out], out, (perm,)))
            self.plain[t] = out
        return self.plain[t]

    def activation(self, index: int, x: str, act: str, out: str) -> None:
        """The (fused) activation from x to out."""
        if act == "RELU":
            self.nodes.append(og.node("Relu", [x], [out], out))
        elif act in ("RELU6", "RELU_N1_TO_1"):
            low, high = (0.0, 6.0) if act == "RELU6" else (-1.0, 1.0)
            lo = self.const(self.uid("clip_min"), np.array(low, np.float32))
            hi = self.const(self.uid("clip_max"), np.array(high, np.float32))
            self.nodes.append(og.node("Clip", [x, lo, hi], [out], out))
        else:
            raise self.fail(index, f"has fused activation {act}, which is not supported")

    def spatial(self, index: int, x: int, out: int, kernel: tuple[int, int], opts: dict) -> list[int]:
        """ONNX pads [top, left, bottom, right] for TFLite's padding; checks the declared output size."""
        _, h, w, _ = self.shape(x)
        (kh, kw), sh, sw = kernel, opts["stride_h"], opts["stride_w"]
        dh, dw = opts.get("dilation_h_factor", 1), opts.get("dilation_w_factor", 1)
        if min(sh, sw, dh, dw) < 1:
            raise self.fail(index, f"has strides ({sh}, {sw}) / dilations ({dh}, {dw}) below 1")
        if opts["padding"] == "SAME":
            top, bottom = same_pads(h, kh, sh, dh)
            left, right = same_pads(w, kw, sw, dw)
        else:
            top = bottom = left = right = 0
        oh = (h + top + bottom - (kh - 1) * dh - 1) // sh + 1
        ow = (w + left + right - (kw - 1) * dw - 1) // sw + 1
        if self.shape(out)[1:3] != (oh, ow):
            raise self.fail(index, f"declares output {self.shape(out)}, but its options give {oh}x{ow}")
        return [top, left, bottom, right]

    # ---- conversion

    def convert(self) -> bytes:
        g = self.g
        inputs, outputs = [], []
        for t in g.inputs:
            tensor = g.tensors[t]
            if tensor.dtype != "float32" or tensor.quantized:
                raise UnsupportedModelError(
                    f"input {tensor.name!r} is {tensor.dtype}; only float32 is supported"
                )
            self.plain[t] = self.names[t]
            inputs.append(og.value_info(self.names[t], list(tensor.shape)))
        for index, op in enumerate(g.operators):
            if op.op not in SUPPORTED_OPS:
                raise UnsupportedModelError(
                    f"operator {index} is {op.op}, which this converter does not support "
                    f"(supported: {', '.join(SUPPORTED_OPS)})"
                )
            self.check(index, op)
            getattr(self, "op_" + op.op.lower())(index, self.with_defaults(index, op))
        for t in g.outputs:
            out = self.as_plain(t)
            name = self.names[t]
            if out != name:
                self.nodes.append(og.node("Identity", [out], [name], name + ".out"))
            outputs.append(og.value_info(name, list(g.tensors[t].shape)))
        return og.model_proto(self.name, self.nodes, self.inits, inputs, outputs)

    def check(self, index: int, op: Operator) -> None:
        """The operator's arity, ranks and output types, so that a damaged model fails here, by name."""
        _, fewest, most, four_d = _OP_SPECS[op.op]
        if not fewest <= len(op.inputs) <= most or len(op.outputs) != 1:
            raise self.fail(index, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs")
        if any(t < 0 for t in op.inputs[:fewest]) or op.outputs[0] < 0:
            raise self.fail(index, "lacks a required input or its output")
        (out,) = op.outputs
        tensor = self.g.tensors[out]
        if tensor.quantized or tensor.dtype != "float32":
            raise self.fail(
                index, f"produces {tensor.dtype} tensor {tensor.name!r}; only float32 is supported"
            )
        if out in self.consts or out in self.plain or out in self.nchw:
            raise self.fail(index, f"writes tensor {tensor.name!r}, which already has a value")
        source = self.shape(op.inputs[0])
        if four_d and (len(source) != 4 or len(tensor.shape) != 4 or source[0] != tensor.shape[0]):
            raise self.fail(index, f"maps {source} to {tensor.shape}; 4-D NHWC of one batch size is expected")
        # Every declared shape is checked against its inputs', so each shape used later is the real one.
        if op.op in ("ADD", "RELU") and tensor.shape != source:
            raise self.fail(index, f"maps {source} to {tensor.shape}")

    def with_defaults(self, index: int, op: Operator) -> Operator:
        """The operator with every option its converter reads (the schema's defaults where absent)."""
        table = _OP_SPECS[op.op][0]
        if op.options_type is not None and op.options_type != table:
            raise self.fail(index, f"carries {op.options_type}, not {table}")
        if table is None:
            return op
        return replace(op, options={**_DEFAULT_OPTIONS[table], **op.options})

    def weights(self, index: int, op: Operator, position: int) -> np.ndarray:
        t = op.inputs[position] if position < len(op.inputs) else -1
        if t < 0 or t not in self.consts:
            raise self.fail(index, f"input {position} is not a constant: only constant weights are supported")
        value = self.consts[t]
        if value.dtype != np.float32:
            raise self.fail(index, f"input {position} is {value.dtype}; float32 weights are supported")
        return value

    def op_dequantize(self, index: int, op: Operator) -> None:
        # float16 weights stored compactly: TFLite widens them to float32 once; do that here, at load.
        (src,), (dst,) = op.inputs, op.outputs
        value = self.consts.get(src)
        if value is None or value.dtype != np.float16 or self.g.tensors[src].quantized:
            raise self.fail(index, "is only supported on constant float16 tensors (weights)")
        self.consts[dst] = value.astype(np.float32)

    def op_conv_2d(self, index: int, op: Operator, depthwise: bool = False) -> None:
        x, out = op.inputs[0], op.outputs[0]
        weight = self.weights(index, op, 1)
        channels = self.shape(x)[3]
        if depthwise:
            # TFLite (1, kh, kw, C * multiplier); ONNX grouped conv, one group per input channel.
            if weight.ndim != 4 or weight.shape[0] != 1 or weight.shape[3] % channels:
                raise self.fail(index, f"has weights {weight.shape} for {channels} input channels")
            onnx_weight, group = weight.transpose(3, 0, 1, 2), channels
        else:
            # TFLite (out, kh, kw, in / groups); ONNX (out, in / groups, kh, kw).
            if weight.ndim != 4 or channels % weight.shape[3]:
                raise self.fail(index, f"has weights {weight.shape} for {channels} input channels")
            onnx_weight, group = weight.transpose(0, 3, 1, 2), channels // weight.shape[3]
        out_channels = onnx_weight.shape[0]
        if self.shape(out)[3] != out_channels:
            raise self.fail(
                index, f"declares {self.shape(out)[3]} output channels; its weights have {out_channels}"
            )
        kernel = (onnx_weight.shape[2], onnx_weight.shape[3])
        pads = self.spatial(index, x, out, kernel, op.options)
        name = self.names[out]
        w = self.const(name + ".w", onnx_weight)
        conv_inputs = [self.as_nchw(x), w]
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            bias = self.weights(index, op, 2)
            if bias.shape != (out_channels,):
                raise self.fail(index, f"has bias {bias.shape} for {out_channels} output channels")
            conv_inputs.append(self.const(name + ".b", bias))
        attrs = (
            og.attr_ints("kernel_shape", list(kernel)),
            og.attr_ints("strides", [op.options["stride_h"], op.options["stride_w"]]),
            og.attr_ints("dilations", [op.options["dilation_h_factor"], op.options["dilation_w_factor"]]),
            og.attr_ints("pads", pads),  # [top, left, bottom, right]: asymmetric SAME padding kept exact
            og.attr_int("group", group),
        )
        act = op.options["fused_activation_function"]
        y = name if act == "NONE" else self.uid(name + ".conv")
        self.nodes.append(og.node("Conv", conv_inputs, [y], self.uid(name), attrs))
        if act != "NONE":
            self.activation(index, y, act, name)
        self.nchw[out] = name

    def op_depthwise_conv_2d(self, index: int, op: Operator) -> None:
        self.op_conv_2d(index, op, depthwise=True)

    def op_max_pool_2d(self, index: int, op: Operator) -> None:
        (x,), (out,) = op.inputs, op.outputs
        if self.shape(out)[3] != self.shape(x)[3]:
            raise self.fail(index, f"maps {self.shape(x)} to {self.shape(out)}")
        kernel = (op.options["filter_height"], op.options["filter_width"])
        if min(kernel) < 1:
            raise self.fail(index, f"has filter {kernel}")
        # ONNX MaxPool pads with -inf, as TFLite's SAME max-pool ignores the padded cells.
        pads = self.spatial(index, x, out, kernel, op.options)
        name = self.names[out]
        act = op.options["fused_activation_function"]
        y = name if act == "NONE" else self.uid(name + ".pool")
        attrs = (
            og.attr_ints("kernel_shape", list(kernel)),
            og.attr_ints("strides", [op.options["stride_h"], op.options["stride_w"]]),
            og.attr_ints("pads", pads),
        )
        self.nodes.append(og.node("MaxPool", [self.as_nchw(x)], [y], self.uid(name), attrs))
        if act != "NONE":
            self.activation(index, y, act, name)
        self.nchw[out] = name

    def op_add(self, index: int, op: Operator) -> None:
        a, b = op.inputs
        (out,) = op.outputs
        if a in self.consts or b in self.consts or self.shape(a) != self.shape(b):
            raise self.fail(index, "is only supported between two computed tensors of the same shape")
        name = self.names[out]
        act = op.options["fused_activation_function"]
        y = name if act == "NONE" else self.uid(name + ".add")
        if len(self.shape(a)) == 4:
            self.nodes.append(og.node("Add", [self.as_nchw(a), self.as_nchw(b)], [y], self.uid(name)))
            self.nchw[out] = name
        else:
            self.nodes.append(og.node("Add", [self.as_plain(a), self.as_plain(b)], [y], self.uid(name)))
            self.plain[out] = name
        if act != "NONE":
            self.activation(index, y, act, name)

    def op_relu(self, index: int, op: Operator) -> None:
        (x,), (out,) = op.inputs, op.outputs
        name = self.names[out]
        if x in self.nchw:  # elementwise: stays in whichever layout its input has
            self.activation(index, self.nchw[x], "RELU", name)
            self.nchw[out] = name
        else:
            self.activation(index, self.as_plain(x), "RELU", name)
            self.plain[out] = name

    def op_pad(self, index: int, op: Operator) -> None:
        x, paddings = op.inputs[:2]
        (out,) = op.outputs
        value = self.consts.get(paddings)
        rank = len(self.shape(x))
        if value is None or value.shape != (rank, 2) or value.dtype.kind != "i" or (value < 0).any():
            raise self.fail(index, "needs constant, non-negative paddings of shape (rank, 2)")
        expected = tuple(d + int(p.sum()) for d, p in zip(self.shape(x), value, strict=True))
        if expected != self.shape(out):
            raise self.fail(index, f"declares output {self.shape(out)}; its paddings give {expected}")
        name = self.names[out]
        if rank == 4:
            value, source = value[_NHWC_TO_NCHW], self.as_nchw(x)
            self.nchw[out] = name
        else:
            source = self.as_plain(x)
            self.plain[out] = name
        # ONNX pads: every axis's "before", then every axis's "after"; zeros, as TFLite's PAD.
        pads = self.const(name + ".pads", np.concatenate([value[:, 0], value[:, 1]]).astype(np.int64))
        attrs = (og.attr_str("mode", "constant"),)
        self.nodes.append(og.node("Pad", [source, pads], [name], self.uid(name), attrs))

    def op_resize_bilinear(self, index: int, op: Operator) -> None:
        x, size = op.inputs[:2]
        (out,) = op.outputs
        value = self.consts.get(size)
        n, _, _, c = self.shape(x)
        if value is None or value.shape != (2,) or (n, *map(int, value), c) != self.shape(out):
            raise self.fail(index, f"needs a constant size matching its output {self.shape(out)}")
        if op.options["align_corners"] and op.options["half_pixel_centers"]:
            raise self.fail(index, "sets both align_corners and half_pixel_centers")
        # TFLite's three sampling grids are ONNX's coordinate transformation modes of the same names;
        # both clamp samples that fall off the edge to the edge pixel.
        if op.options["align_corners"]:
            mode = "align_corners"
        elif op.options["half_pixel_centers"]:
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        name = self.names[out]
        sizes = self.const(name + ".sizes", np.array([n, c, *map(int, value)], np.int64))
        attrs = (og.attr_str("mode", "linear"), og.attr_str("coordinate_transformation_mode", mode))
        self.nodes.append(og.node("Resize", [self.as_nchw(x), "", "", sizes], [name], self.uid(name), attrs))
        self.nchw[out] = name

    def op_reshape(self, index: int, op: Operator) -> None:
        x, out = op.inputs[0], op.outputs[0]
        shape = self.shape(out)
        if math.prod(shape) != math.prod(self.shape(x)):
            raise self.fail(index, f"cannot reshape {self.shape(x)} to {shape}")
        name = self.names[out]
        # The declared output shape, not the shape input or option: all three must agree in a valid model,
        # and this one is static.
        target = self.const(name + ".shape", np.array(shape, np.int64))
        self.nodes.append(og.node("Reshape", [self.as_plain(x), target], [name], self.uid(name)))
        self.plain[out] = name

"""Read a legacy (pre-zip) torch ``.pth`` state dict with pickle and numpy, without torch.

The legacy format (torch < 1.6, and ``torch.save(..., _use_new_zipfile_serialization=False)``) is five
pickles and the raw storages, one after the other:

1. the magic number 0x1950a86a20f9469cfc6c, 2. the protocol version 1001, 3. a dict of system info
(byte order, type sizes), 4. the object saved (here an OrderedDict of tensors, each pickled as a call of
``torch._utils._rebuild_tensor_v2`` on a storage named by a persistent id), 5. the list of storage keys;
then, for each key in that order, an int64 element count and the storage's raw bytes.

Pickle can call any importable function, so the unpickler here resolves only an allow-list of names, and
to inert stand-ins (the storage types become markers, the tensor rebuild records its arguments): loading
a tampered file raises WeightsError before anything it names can run. Each pickle is first walked with
pickletools and refused if it uses an opcode a state dict never needs, and the stand-ins cannot be
altered by the pickle afterwards; tensor shapes are bound-checked against the bytes actually read.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import struct
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# numpy dtype of each torch storage type (byte order is applied from the file's system info).
_STORAGE_DTYPES = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "BFloat16Storage": "u2",  # numpy has no bfloat16: read the bits, widen to float32 below
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}
_REBUILD_NAMES = {"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2"}
# The opcodes of pickle protocols 0-4 for dicts, lists, tuples, strings, numbers and calls of globals:
# all a state dict needs. Left out: protocol-5 buffers, sets, copyreg extensions, INST/OBJ/NEWOBJ.
_OPCODES = frozenset(
    """
    PROTO FRAME STOP MARK POP POP_MARK DUP NONE NEWTRUE NEWFALSE INT BININT BININT1 BININT2 LONG LONG1
    LONG4 FLOAT BINFLOAT STRING BINSTRING SHORT_BINSTRING UNICODE BINUNICODE SHORT_BINUNICODE BINUNICODE8
    BINBYTES SHORT_BINBYTES EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 EMPTY_LIST LIST APPEND APPENDS
    EMPTY_DICT DICT SETITEM SETITEMS GLOBAL STACK_GLOBAL REDUCE BUILD PERSID BINPERSID PUT BINPUT
    LONG_BINPUT MEMOIZE GET BINGET LONG_BINGET
    """.split()  # noqa: SIM905 - a word list reads better than 54 quoted strings
)


class WeightsError(ValueError):
    """The file is not a legacy torch state dict we can read safely (bad, truncated or tampered)."""


class _Inert:
    """Base of every object of ours the pickle can reach: read-only once made."""

    # Slots, no __dict__, no __setstate__ and a refusing __setattr__: a BUILD opcode cannot rewrite one
    # after it was checked (a tensor's stride changed that way made as_strided read outside the file).
    __slots__ = ()

    def __init__(self, **fields: Any) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class _StorageType(_Inert):
    """Stands in for torch.FloatStorage etc.: only names the element type."""

    __slots__ = ("name",)
    name: str


class _StorageRef(_Inert):
    """A storage as the pickle names it: a key, and for old-style views an element offset and size."""

    __slots__ = ("key", "offset", "size")
    key: str
    offset: int
    size: int | None


class _TensorRef(_Inert):
    """What ``_rebuild_tensor_v2`` was asked to build; made real once the storages have been read."""

    __slots__ = ("offset", "size", "storage", "stride")
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


class _Rebuild(_Inert):
    """Stands in for torch._utils._rebuild_tensor_v2: checks and records its arguments."""

    __slots__ = ()

    def __call__(self, storage: Any, offset: Any, size: Any, stride: Any, *_ignored: Any) -> _TensorRef:
        # requires_grad, backward hooks and metadata mean nothing for inference.
        if not isinstance(storage, _StorageRef):
            raise WeightsError("a tensor in the file is not built on a storage")
        if not (_is_count(offset) and _is_shape(size) and _is_shape(stride) and len(size) == len(stride)):
            raise WeightsError(
                f"a tensor in the file has a malformed shape {size!r:.60} / stride {stride!r:.60}"
            )
        return _TensorRef(storage=storage, offset=offset, size=size, stride=stride)


_REBUILD = _Rebuild()


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _is_shape(value: Any) -> bool:
    return type(value) is tuple and all(_is_count(v) for v in value)


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only OrderedDict, the tensor rebuild and the storage types; anything else is refused."""

    def __init__(self, file: io.BytesIO, path: Path, storages: dict[str, tuple[str, int]]) -> None:
        super().__init__(file)
        self._path = path
        self._storages = storages  # key -> (storage type name, element count): out of the pickle's reach

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        if full == "collections.OrderedDict":
            return collections.OrderedDict
        if full in _REBUILD_NAMES:
            return _REBUILD
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name=name)
        raise WeightsError(f"refusing to load {self._path}: it names {full}, which is not a tensor")

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (type(pid) is tuple and len(pid) in (5, 6) and pid[0] == "storage"):
            raise WeightsError(f"refusing to load {self._path}: unexpected persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel, *rest = pid
        if not (isinstance(storage_type, _StorageType) and type(key) is str and _is_count(numel)):
            raise WeightsError(f"refusing to load {self._path}: malformed storage reference {pid!r:.80}")
        declared = self._storages.setdefault(key, (storage_type.name, numel))
        if declared != (storage_type.name, numel):
            raise WeightsError(f"{self._path}: storage {key} is declared twice with different types or sizes")
        view = rest[0] if rest else None
        if view is None:
            return _StorageRef(key=key, offset=0, size=None)
        if not (type(view) is tuple and len(view) == 3 and _is_count(view[1]) and _is_count(view[2])) or (
            view[1] + view[2] > numel
        ):
            raise WeightsError(f"{self._path}: malformed storage view {view!r:.80}")
        return _StorageRef(key=key, offset=view[1], size=view[2])


def _check_opcodes(stream: io.BytesIO, path: Path, what: str) -> None:
    """Walk one pickle without running it; refuse opcodes a tensor file never needs."""
    # find_class already keeps code from running. This also keeps out the rarely used opcodes, and
    # genops checks every length against the bytes that remain, so a crafted length cannot make the
    # C unpickler allocate gigabytes before it fails.
    for op, _arg, _pos in pickletools.genops(stream):
        if op.name not in _OPCODES:
            raise WeightsError(f"refusing to load {path}: its {what} uses the pickle opcode {op.name}")


def load_legacy_state_dict(path: str | PathLike[str]) -> dict[str, np.ndarray]:
    """Read a legacy torch state dict into numpy arrays (contiguous copies), running no code from it."""
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise WeightsError(f"{path} is empty")
    if data[:4] == b"PK\x03\x04":
        raise WeightsError(
            f"{path} is a zip-format torch file (torch >= 1.6); only the legacy format is read here"
        )
    stream = io.BytesIO(data)
    storages: dict[str, tuple[str, int]] = {}

    def unpickle(what: str) -> Any:
        start = stream.tell()
        try:
            _check_opcodes(stream, path, what)
            stream.seek(start)
            return _RestrictedUnpickler(stream, path, storages).load()
        except WeightsError:
            raise
        except Exception as exc:
            if what == "magic number":
                raise WeightsError(
                    f"{path} is not a legacy torch weights file: it does not start with a pickle ({exc})"
                ) from exc
            # The scan reads on until the bytes run out, so a cut-off pickle leaves the stream at the end.
            if isinstance(exc, EOFError) or stream.tell() >= len(data) or "truncated" in str(exc):
                raise WeightsError(f"{path} is truncated: it ends inside the {what}") from exc
            raise WeightsError(
                f"{path} is not a legacy torch weights file: unreadable {what} ({exc})"
            ) from exc

    magic = unpickle("magic number")
    if magic != MAGIC_NUMBER:
        raise WeightsError(f"{path} is not a legacy torch weights file: bad magic number {magic!r:.40}")
    protocol = unpickle("protocol version")
    if protocol != PROTOCOL_VERSION:
        raise WeightsError(f"{path}: unsupported torch protocol version {protocol!r:.40}")
    sys_info = unpickle("system info")
    if not isinstance(sys_info, dict):
        raise WeightsError(f"{path}: malformed system info")
    byte_order = "<" if sys_info.get("little_endian", True) else ">"

    state = unpickle("pickled state dict")
    keys = unpickle("list of storage keys")
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise WeightsError(f"{path}: malformed list of storage keys")

    offset = stream.tell()
    arrays: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in storages:
            raise WeightsError(f"{path}: storage {key} is listed but no tensor uses it")
        type_name, declared = storages[key]
        if offset + 8 > len(data):
            raise WeightsError(
                f"{path} is truncated: expected 8 bytes for the size of storage {key}, "
                f"found {len(data) - offset}"
            )
        (numel,) = struct.unpack_from(byte_order + "q", data, offset)
        if numel != declared:
            raise WeightsError(f"{path}: storage {key} holds {numel} elements, the pickle says {declared}")
        dtype = np.dtype(_STORAGE_DTYPES[type_name]).newbyteorder(byte_order)
        nbytes = numel * dtype.itemsize
        found = len(data) - offset - 8
        if found < nbytes:
            raise WeightsError(
                f"{path} is truncated: expected {nbytes} bytes for storage {key}, found {found}"
            )
        array = np.frombuffer(data, dtype=dtype, count=numel, offset=offset + 8)
        if type_name == "BFloat16Storage":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        arrays[key] = array
        offset += 8 + nbytes

    if not isinstance(state, dict):
        raise WeightsError(f"{path} holds a {type(state).__name__}, not a state dict")
    out: dict[str, np.ndarray] = {}
    _collect(state, "", out, arrays, path)
    return out


def _collect(
    state: dict, prefix: str, out: dict[str, np.ndarray], arrays: dict[str, np.ndarray], path: Path
) -> None:
    for name, value in state.items():
        if not isinstance(name, str):
            raise WeightsError(f"{path}: state dict key {name!r:.40} is not a string")
        if isinstance(value, dict):  # checkpoints that nest the state dict, e.g. {"model": {...}}
            _collect(value, f"{prefix}{name}.", out, arrays, path)
        elif isinstance(value, _TensorRef):
            out[prefix + name] = _materialise(value, prefix + name, arrays, path)
        else:
            raise WeightsError(f"{path}: {prefix}{name} is a {type(value).__name__}, not a tensor")


def _materialise(ref: _TensorRef, name: str, arrays: dict[str, np.ndarray], path: Path) -> np.ndarray:
    key = ref.storage.key
    if key not in arrays:
        raise WeightsError(f"{path}: tensor {name} uses storage {key}, which is not in the file")
    flat = arrays[key]
    if ref.storage.size is not None:
        flat = flat[ref.storage.offset : ref.storage.offset + ref.storage.size]
    dtype = flat.dtype.newbyteorder("=")
    if any(s == 0 for s in ref.size):
        return np.zeros(ref.size, dtype=dtype)
    # as_strided trusts its arguments: bound-check them so a crafted file cannot read past the storage
    # (all of them are non-negative ints, checked by _Rebuild and kept so by _Inert).
    last = ref.offset + sum((s - 1) * st for s, st in zip(ref.size, ref.stride, strict=True))
    if last >= len(flat):
        raise WeightsError(f"{path}: tensor {name} reaches past the end of storage {key}")
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset :],
        shape=ref.size,
        strides=tuple(st * flat.dtype.itemsize for st in ref.stride),
        writeable=False,
    )
    # np.array, not ascontiguousarray, which would turn a 0-d tensor (num_batches_tracked) into 1-d
    return np.array(view, dtype=dtype, order="C", copy=True)

